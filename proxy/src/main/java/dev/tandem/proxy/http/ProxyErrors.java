package dev.tandem.proxy.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/** The answers Tandem gives itself when it cannot give the backend's: short JSON bodies that say which backend. */
final class ProxyErrors {

  static final int BAD_GATEWAY = 502;
  static final int GATEWAY_TIMEOUT = 504;

  private ProxyErrors() {
  }

  /** 504 for a timeout (connecting or waiting for the answer), 502 for anything else the backend did wrong. */
  static int statusFor(Throwable failure) {
    return failure instanceof TimeoutException ? GATEWAY_TIMEOUT : BAD_GATEWAY;
  }

  static String describe(Throwable failure) {
    if (failure instanceof TimeoutException) {
      return "timed out: " + failure.getMessage();
    }
    if (failure instanceof ConnectException) {
      return "connection refused";
    }
    String tls = tlsFailure(failure);
    if (tls != null) {
      return tls;
    }
    String message = failure.getMessage();
    return message == null ? failure.getClass().getSimpleName() : message;
  }

  static void send(HttpServerResponse response, int status, String backend, String message) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return;
    }
    JsonObject body = new JsonObject().put("error", reason(status)).put("message", message);
    if (backend != null) {
      body.put("backend", backend);
    }
    response.headers().clear();
    response.setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode() + "\n");
  }

  /** What went wrong in a TLS handshake with the backend, in words an operator acts on; null for other failures. */
  private static String tlsFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        String all = chain(failure);
        if (all.contains("PKIX path") || all.contains("unable to find valid certification path")) {
          return "TLS: the backend's certificate is not trusted (it does not chain to the configured ca): " + all;
        }
        if (all.contains("No subject alternative") || all.contains("No name matching")) {
          return "TLS: the backend's certificate does not name the host it was reached as (set tls.sni to the"
              + " name it has): " + all;
        }
        if (all.contains("expired") || all.contains("NotAfter")) {
          return "TLS: the backend's certificate has expired: " + all;
        }
        return "TLS handshake with the backend failed: " + all;
      }
    }
    return null;
  }

  private static String chain(Throwable failure) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = failure; t != null && b.length() < 400; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && b.indexOf(m) < 0) {
        b.append(b.length() == 0 ? "" : "; ").append(m);
      }
    }
    return b.toString();
  }

  private static String reason(int status) {
    return switch (status) {
      case 404 -> "no_route";
      case BAD_GATEWAY -> "bad_gateway";
      case GATEWAY_TIMEOUT -> "gateway_timeout";
      default -> "error";
    };
  }
}
