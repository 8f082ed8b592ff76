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
    String tls = dev.tandem.proxy.tls.TlsFailure.describe(failure);
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

  private static String reason(int status) {
    return switch (status) {
      case 404 -> "no_route";
      case BAD_GATEWAY -> "bad_gateway";
      case GATEWAY_TIMEOUT -> "gateway_timeout";
      default -> "error";
    };
  }
}
