package dev.tandem.proxy.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;

/**
 * What the data plane knows of gRPC (gRPC over HTTP/2, as grpc.io's PROTOCOL-HTTP2 says it): a call is a POST whose
 * content type starts with {@code application/grpc}; its outcome is the {@code grpc-status} in the trailers (or in
 * the headers of a "trailers-only" answer), not the HTTP status, which is 200 for failed calls too.
 */
public final class Grpc {

  /** No gRPC status: the exchange is not a gRPC call, or its answer carried none. */
  public static final int NONE = -1;
  static final int DEADLINE_EXCEEDED = 4;
  static final int UNIMPLEMENTED = 12;
  static final int UNAVAILABLE = 14;
  static final int UNKNOWN = 2;
  /** Tandem's own refusal of a body over the route's maxBodyBytes, as {@link #fail} maps it. */
  static final int RESOURCE_EXHAUSTED_HTTP = 413;

  private Grpc() {
  }

  /** Whether a request or an answer with these headers is gRPC. */
  public static boolean is(MultiMap headers) {
    String type = headers.get("content-type");
    if (type == null || !type.regionMatches(true, 0, "application/grpc", 0, 16)) {
      return false;
    }
    // application/grpc, application/grpc+proto, application/grpc;charset=...; not gRPC-Web (application/grpc-web),
    // which is made for HTTP/1.1 and carries its status in the body.
    return type.length() == 16 || type.charAt(16) == '+' || type.charAt(16) == ';';
  }

  /** The call's gRPC status from the answer's trailers, else its headers; {@link #NONE} when neither has one. */
  static int status(MultiMap headers, MultiMap trailers) {
    String s = trailers == null ? null : trailers.get("grpc-status");
    if (s == null) {
      s = headers.get("grpc-status");
    }
    if (s == null) {
      return NONE;
    }
    try {
      int v = Integer.parseInt(s.trim());
      return v >= 0 && v <= 16 ? v : NONE;
    } catch (NumberFormatException e) {
      return NONE;
    }
  }

  /**
   * Tandem's own answer to a gRPC call it could not forward, as gRPC clients read one (and as Envoy answers): HTTP
   * 200 with {@code grpc-status} in a trailers-only answer. A client of a JSON 502 would see "UNAVAILABLE: HTTP 502"
   * and lose the reason.
   */
  static io.vertx.core.Future<Void> fail(HttpServerResponse response, int httpStatus, String message) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return io.vertx.core.Future.succeededFuture();
    }
    int code = switch (httpStatus) {
      case ProxyErrors.GATEWAY_TIMEOUT -> DEADLINE_EXCEEDED;
      case 404 -> UNIMPLEMENTED;
      case RESOURCE_EXHAUSTED_HTTP -> 8;
      default -> UNAVAILABLE;
    };
    response.headers().clear();
    response.setStatusCode(200)
        .putHeader("content-type", "application/grpc")
        .putHeader("grpc-status", Integer.toString(code))
        .putHeader("grpc-message", percentEncode(message));
    return response.end();
  }

  /** grpc-message is percent-encoded UTF-8 (the protocol's "Percent-Encoded" rule). */
  static String percentEncode(String message) {
    StringBuilder b = new StringBuilder(message.length());
    for (byte c : message.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c & 0xff));
      }
    }
    return b.toString();
  }

  /**
   * A gRPC failure is counted as the 5xx it stands for by rollout gates, which judge HTTP statuses: Envoy's mapping
   * of the statuses that say the server failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
   * DATA_LOSS); the others are the caller's (bad argument, not found, denied) and keep the HTTP status.
   */
  public static int httpEquivalent(int httpStatus, int grpcStatus) {
    return switch (grpcStatus) {
      case 2, 13, 15 -> 500;
      case 12 -> 501;
      case 14 -> 503;
      case 4 -> 504;
      default -> httpStatus;
    };
  }
}
