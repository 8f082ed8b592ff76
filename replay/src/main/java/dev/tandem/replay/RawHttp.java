package dev.tandem.replay;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses a raw HTTP/1.x message as GoReplay records it: start line, headers, and a body framed by Content-Length or
 * chunked encoding (decoded), or running to the end of the payload. Written by hand because the payload is already
 * in memory and the HTTP codecs at hand (Netty's) parse from a channel, not from a byte array.
 */
final class RawHttp {

  /** A parsed message: its start line split on spaces, headers in order, and the body. */
  record Message(String[] startLine, List<Map.Entry<String, String>> headers, byte[] body) {

    String header(String name) {
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase(name)) {
          return h.getValue();
        }
      }
      return null;
    }
  }

  private RawHttp() {
  }

  /** The body ends before its Content-Length: the message may go on in the next piece. */
  static final class ShortBodyException extends IllegalArgumentException {
    ShortBodyException(String message) {
      super(message);
    }
  }

  static Message parse(byte[] raw) {
    int headEnd = indexOf(raw, new byte[] {'\r', '\n', '\r', '\n'}, 0);
    int sepLen = 4;
    if (headEnd < 0) {
      headEnd = indexOf(raw, new byte[] {'\n', '\n'}, 0);
      sepLen = 2;
    }
    if (headEnd < 0) {
      headEnd = raw.length;
      sepLen = 0;
    }
    String head = new String(raw, 0, headEnd, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r?\n");
    if (lines.length == 0 || lines[0].isBlank()) {
      throw new IllegalArgumentException("no HTTP start line");
    }
    String[] start = lines[0].split(" ", 3);
    if (start.length < 2) {
      throw new IllegalArgumentException("not an HTTP start line: '" + lines[0] + "'");
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("not a header line: '" + lines[i] + "'");
      }
      headers.add(new AbstractMap.SimpleImmutableEntry<>(lines[i].substring(0, colon).trim(),
          lines[i].substring(colon + 1).trim()));
    }
    int bodyStart = Math.min(raw.length, headEnd + sepLen);
    byte[] rest = Arrays.copyOfRange(raw, bodyStart, raw.length);
    Message m = new Message(start, headers, rest);
    String te = m.header("Transfer-Encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      return new Message(start, headers, dechunk(rest));
    }
    String length = m.header("Content-Length");
    if (length != null) {
      int n;
      try {
        n = Integer.parseInt(length.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Content-Length is not a number: '" + length + "'");
      }
      if (n > rest.length) {
        throw new ShortBodyException("body shorter than its Content-Length (" + rest.length + " of " + n
            + " bytes)");
      }
      return new Message(start, headers, Arrays.copyOf(rest, n));
    }
    return m;
  }

  private static byte[] dechunk(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int pos = 0;
    while (pos < in.length) {
      int lineEnd = indexOf(in, new byte[] {'\r', '\n'}, pos);
      if (lineEnd < 0) {
        throw new IllegalArgumentException("chunked body cut short");
      }
      String size = new String(in, pos, lineEnd - pos, StandardCharsets.ISO_8859_1).trim();
      int semi = size.indexOf(';');
      int n;
      try {
        n = Integer.parseInt(semi < 0 ? size : size.substring(0, semi), 16);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad chunk size '" + size + "'");
      }
      pos = lineEnd + 2;
      if (n == 0) {
        return out.toByteArray();
      }
      if (pos + n > in.length) {
        throw new IllegalArgumentException("chunk cut short");
      }
      out.write(in, pos, n);
      pos += n + 2;
    }
    throw new IllegalArgumentException("chunked body without its last chunk");
  }

  static int indexOf(byte[] haystack, byte[] needle, int from) {
    return indexOf(haystack, needle, from, haystack.length);
  }

  /** The first place of {@code needle} in {@code haystack[from, to)}, or -1. */
  static int indexOf(byte[] haystack, byte[] needle, int from, int to) {
    outer:
    for (int i = from; i <= to - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
