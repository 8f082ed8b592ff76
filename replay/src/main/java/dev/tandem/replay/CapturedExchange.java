package dev.tandem.replay;

import java.util.List;
import java.util.Map;

/**
 * One request read from a capture file, with the response recorded with it when the file has one.
 *
 * @param source    where it was read: {@code file:line} or {@code file@byteOffset}, for messages
 * @param id        the record's id in the file (GoReplay's id, a HAR entry's index, Tandem's id)
 * @param timeNanos when the request was captured, nanoseconds since the epoch
 * @param method    request method
 * @param uri       path and query
 * @param headers   request headers in order; HTTP/2 pseudo-headers dropped, Host and Content-Length recomputed
 * @param body      request body, exact bytes
 * @param response  the original response, or null when the file has none
 * @param protocol  the HTTP version the client spoke ({@code HTTP/1.0}, {@code HTTP/1.1}, {@code HTTP/2})
 */
public record CapturedExchange(String source, String id, long timeNanos, String method, String uri,
                               List<Map.Entry<String, String>> headers, byte[] body, Response response,
                               String protocol) {

  public CapturedExchange {
    headers = List.copyOf(headers);
  }

  /** An exchange the client sent over HTTP/1.1. */
  public CapturedExchange(String source, String id, long timeNanos, String method, String uri,
                          List<Map.Entry<String, String>> headers, byte[] body, Response response) {
    this(source, id, timeNanos, method, uri, headers, body, response, "HTTP/1.1");
  }

  /** A recorded response; {@code trailers} empty when it had none. */
  public record Response(int status, List<Map.Entry<String, String>> headers, byte[] body, long latencyNanos,
                         List<Map.Entry<String, String>> trailers) {
    public Response {
      headers = List.copyOf(headers);
      trailers = List.copyOf(trailers);
    }

    /** A response without trailers. */
    public Response(int status, List<Map.Entry<String, String>> headers, byte[] body, long latencyNanos) {
      this(status, headers, body, latencyNanos, List.of());
    }
  }

  /** This exchange with the response the file recorded for it. */
  public CapturedExchange withResponse(Response r) {
    return new CapturedExchange(source, id, timeNanos, method, uri, headers, body, r, protocol);
  }

  /** Whether the client sent it over HTTP/2 ({@link CaptureRecord#HTTP_2}). */
  public boolean http2() {
    return CaptureRecord.HTTP_2.equals(protocol);
  }
}
