package dev.tandem.replay;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One exchange as the proxy captures it: the request, the primary's answer, and the shadow's when the request was
 * mirrored. Bodies are exact bytes, possibly cut at the capture's body limit ({@code bodyLength} says how long they
 * really were).
 *
 * @param id      unique within the capture; with the file name it derives the replay's {@code Idempotency-Key}
 * @param time    when the request arrived
 * @param route   the route that matched
 * @param primary the answer the client got; null when the capture ended before it (never written so)
 * @param shadow  the mirrored copy's answer; null when the request was not mirrored
 * @param replayed answers of the targets of a replay ({@code tandem replay --record}), each named by its URL;
 *                 empty in the proxy's captures
 */
public record CaptureRecord(String id, Instant time, String route, Request request, Answer primary, Answer shadow,
                            List<Answer> replayed) {

  /** {@link Request#version()} of a request the client sent over HTTP/2. */
  public static final String HTTP_2 = "HTTP/2";

  public CaptureRecord {
    replayed = List.copyOf(replayed);
  }

  /** A record as the proxy captures it: nothing replayed. */
  public CaptureRecord(String id, Instant time, String route, Request request, Answer primary, Answer shadow) {
    this(id, time, route, request, primary, shadow, List.of());
  }

  /**
   * The request as the client sent it (after redaction).
   *
   * @param version the HTTP version the client spoke: {@code HTTP/1.0}, {@code HTTP/1.1} or {@code HTTP/2}; replay
   *                sends an {@code HTTP/2} request over HTTP/2 (see {@link CaptureRecord#HTTP_2})
   */
  public record Request(String method, String uri, String version, List<Map.Entry<String, String>> headers,
                        byte[] body, long bodyLength) {
    public Request {
      headers = List.copyOf(headers);
    }

    public boolean truncated() {
      return bodyLength > body.length;
    }
  }

  /**
   * One backend's answer.
   *
   * @param status   0 when the backend did not answer ({@code error} says why)
   * @param trailers the trailers that followed the body (gRPC's {@code grpc-status}, {@code grpc-message}), in
   *                 order; empty when there were none
   */
  public record Answer(String backend, int status, List<Map.Entry<String, String>> headers, byte[] body,
                       long bodyLength, long latencyNanos, String error, List<Map.Entry<String, String>> trailers) {
    public Answer {
      headers = List.copyOf(headers);
      trailers = List.copyOf(trailers);
    }

    /** An answer without trailers. */
    public Answer(String backend, int status, List<Map.Entry<String, String>> headers, byte[] body, long bodyLength,
                  long latencyNanos, String error) {
      this(backend, status, headers, body, bodyLength, latencyNanos, error, List.of());
    }

    public boolean truncated() {
      return bodyLength > body.length;
    }
  }

  /** Bytes held by the bodies: what this record weighs in a queue. */
  public long bodyBytes() {
    long n = request.body().length + (primary == null ? 0 : primary.body().length)
        + (shadow == null ? 0 : shadow.body().length);
    for (Answer a : replayed) {
      n += a.body().length;
    }
    return n;
  }
}
