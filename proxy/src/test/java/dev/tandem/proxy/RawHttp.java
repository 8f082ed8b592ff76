package dev.tandem.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A plain socket speaking HTTP/1.1 by hand, for tests that must control every byte: hop-by-hop headers, encoded
 * paths, {@code Expect: 100-continue}, a client that disappears.
 */
public final class RawHttp implements AutoCloseable {

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawHttp(int port) throws IOException {
    this(new Socket("127.0.0.1", port));
  }

  /** Over a socket already connected: a TLS one, say. */
  public RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(20_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Sends {@code text} with every "\n" written as CRLF. */
  public RawHttp send(String text) throws IOException {
    out.write(text.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /** Reads up to and including the blank line that ends a response head. */
  public String readHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads exactly {@code n} bytes. */
  public String readBytes(int n) throws IOException {
    return new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
  }

  /** Reads until the peer closes the connection. */
  public String readToEnd() throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  /** Sends bytes exactly as given. */
  public RawHttp sendRaw(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /** One response: its status, head and body (read by its Content-Length, or to the end without one). */
  public record Response(int status, String head, String body) {
    public String header(String name) {
      return RawHttp.header(head, name);
    }
  }

  /** Reads one whole response. */
  public Response readResponse() throws IOException {
    String head = readHead();
    if (head.isEmpty()) {
      throw new IOException("the connection closed before a response");
    }
    int status = Integer.parseInt(head.substring(9, 12));
    String length = header(head, "Content-Length");
    String body = length != null ? readBytes(Integer.parseInt(length)) : status == 100 || status == 101 ? ""
        : readToEnd();
    return new Response(status, head, body);
  }

  /** Whether the peer has closed the connection: the next read finds its end, not a byte. */
  public boolean closedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException e) {
      return true; // reset by the peer: closed too
    }
  }

  public Socket socket() {
    return socket;
  }

  /** The value of {@code name} in a response head, or null. */
  public static String header(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
