package dev.tandem.proxy.demo;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Requests that an edge proxy must refuse, sent over raw connections the way an attacker would: a request smuggled
 * behind an ambiguous framing, an unknown transfer coding, a slowloris head, and a chunked upload over its route's
 * limit (a route with requestBuffering, so that not even its head reaches the service). For the demo.
 */
public final class HostileClients {

  /** What Tandem answered one of them, and how long it took to be closed. */
  public record Outcome(String what, int status, String rule, boolean closed, long millis) {
  }

  private static final String CRLF = "\r\n";
  /** The demo's route whose bodies are held whole, up to 64 KB. */
  public static final String UPLOADS = "/uploads";

  private final Vertx vertx;
  private final int port;
  private final NetClient client;

  public HostileClients(Vertx vertx, int port) {
    this.vertx = vertx;
    this.port = port;
    this.client = vertx.createNetClient();
  }

  /** Sends each, one after the other. */
  public Future<List<Outcome>> run() {
    List<Outcome> out = new ArrayList<>();
    String smuggle = "POST /orders HTTP/1.1" + CRLF + "Host: shop" + CRLF + "Content-Type: application/json" + CRLF
        + "Content-Length: 6" + CRLF + "Transfer-Encoding: chunked" + CRLF + CRLF + "0" + CRLF + CRLF
        + "GET /orders/1?smuggled=1 HTTP/1.1" + CRLF + "Host: shop" + CRLF + CRLF;
    String xchunked = "POST /orders HTTP/1.1" + CRLF + "Host: shop" + CRLF + "Transfer-Encoding: xchunked" + CRLF
        + CRLF + "2" + CRLF + "{}" + CRLF + "0" + CRLF + CRLF;
    String slow = "GET /orders/7 HTTP/1.1" + CRLF + "Host: shop" + CRLF + "User-Agent: slowloris" + CRLF + CRLF;
    String chunk = Integer.toHexString(16 * 1024) + CRLF + "u".repeat(16 * 1024) + CRLF;
    String upload = "POST " + UPLOADS + "/report HTTP/1.1" + CRLF + "Host: shop" + CRLF + "Transfer-Encoding: chunked"
        + CRLF + CRLF + chunk.repeat(5) + "0" + CRLF + CRLF;
    return send("POST with Content-Length and Transfer-Encoding, a GET smuggled after it", smuggle, 0)
        .compose(o -> {
          out.add(o);
          return send("Transfer-Encoding: xchunked", xchunked, 0);
        })
        .compose(o -> {
          out.add(o);
          return send("a head sent one byte every 100 ms (slowloris)", slow, 100);
        })
        .compose(o -> {
          out.add(o);
          return send("a chunked 80 KB upload to " + UPLOADS + " (maxBodyBytes 64KB, requestBuffering)", upload, 0);
        })
        .map(o -> {
          out.add(o);
          client.close();
          return out;
        });
  }

  /** Sends {@code raw} at once, or a byte every {@code everyMillis}, and reads until the server closes. */
  private Future<Outcome> send(String what, String raw, long everyMillis) {
    long start = System.nanoTime();
    return client.connect(port, "127.0.0.1").compose(socket -> {
      Buffer answer = Buffer.buffer();
      Promise<Outcome> done = Promise.promise();
      socket.handler(answer::appendBuffer);
      socket.closeHandler(v -> done.tryComplete(outcome(what, answer.toString(StandardCharsets.ISO_8859_1),
          (System.nanoTime() - start) / 1_000_000)));
      if (everyMillis == 0) {
        socket.write(raw);
      } else {
        drip(socket, raw, 0, everyMillis, done.future());
      }
      return done.future();
    });
  }

  private void drip(NetSocket socket, String raw, int at, long everyMillis, Future<Outcome> done) {
    if (done.isComplete() || at >= raw.length()) {
      return;
    }
    socket.write(raw.substring(at, at + 1));
    vertx.setTimer(everyMillis, id -> drip(socket, raw, at + 1, everyMillis, done));
  }

  private static Outcome outcome(String what, String answer, long millis) {
    if (answer.length() < 12) {
      return new Outcome(what, 0, null, true, millis);
    }
    int status = Integer.parseInt(answer.substring(9, 12));
    int body = answer.indexOf("\r\n\r\n");
    String rule = null;
    try {
      rule = new JsonObject(answer.substring(body + 4).trim()).getString("rule");
    } catch (RuntimeException notJson) {
      // an answer from the backend: the request got through
    }
    return new Outcome(what, status, rule, true, millis);
  }
}
