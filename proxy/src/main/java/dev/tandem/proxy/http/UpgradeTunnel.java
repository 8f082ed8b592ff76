package dev.tandem.proxy.http;

import dev.tandem.proxy.metrics.Recorder;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetSocket;

/**
 * A WebSocket upgrade passed through: the handshake goes to the backend as it came, and once the backend answers
 * {@code 101 Switching Protocols} the two connections are joined byte for byte, so any subprotocol and extension
 * the two ends agree on works. A backend that refuses the upgrade has its answer passed back to the client.
 */
final class UpgradeTunnel {

  private final HttpServerRequest request;
  private final Backend backend;
  private final Recorder metrics;
  private final String uri;
  private final long startNanos;
  private final ForwardedHeaders forwarded;
  private final dev.tandem.proxy.edge.Edge edge;

  UpgradeTunnel(HttpServerRequest request, Backend backend, Recorder metrics, String uri, long startNanos,
                ForwardedHeaders forwarded, dev.tandem.proxy.edge.Edge edge) {
    this.edge = edge;
    this.forwarded = forwarded;
    this.request = request;
    this.backend = backend;
    this.metrics = metrics;
    this.uri = uri;
    this.startNanos = startNanos;
  }

  static boolean isWebSocketUpgrade(HttpServerRequest request) {
    String upgrade = request.headers().get("Upgrade");
    return upgrade != null && upgrade.equalsIgnoreCase("websocket") && request.canUpgradeToWebSocket();
  }

  void start() {
    request.pause();
    backend.client().request(backend.requestOptions(request.method(), uri))
        .compose(this::handshake)
        .onComplete(ar -> {
          if (ar.failed()) {
            int status = ProxyErrors.statusFor(ar.cause());
            request.resume();
            ProxyErrors.send(request.response(), status, backend.name(), ProxyErrors.describe(ar.cause()));
            metrics.record(status, System.nanoTime() - startNanos);
          } else {
            relay(ar.result());
          }
        });
  }

  private io.vertx.core.Future<HttpClientResponse> handshake(HttpClientRequest upstream) {
    upstream.exceptionHandler(ignored -> { }); // failures arrive through connect()'s future
    HopByHop.copy(request.headers(), upstream.headers(), true);
    upstream.headers().remove("Host");
    forwarded.append(request, upstream.headers());
    upstream.authority(backend.authorityFor(request));
    return upstream.connect();
  }

  private void relay(HttpClientResponse answer) {
    metrics.record(answer.statusCode(), System.nanoTime() - startNanos);
    var response = request.response();
    if (answer.statusCode() != 101) {
      response.setStatusCode(answer.statusCode());
      HopByHop.copy(answer.headers(), response.headers(), false);
      request.resume();
      answer.body().onComplete(body -> {
        if (body.succeeded()) {
          response.end(body.result());
        } else {
          response.reset();
        }
      });
      return;
    }
    response.setStatusCode(101);
    HopByHop.copy(answer.headers(), response.headers(), true);
    NetSocket backendSocket = answer.netSocket();
    request.toNetSocket().onComplete(ar -> {
      if (ar.failed()) {
        backendSocket.close();
        return;
      }
      NetSocket clientSocket = ar.result();
      edge.tunnelOpened(clientSocket);
      clientSocket.pipeTo(backendSocket);
      backendSocket.pipeTo(clientSocket);
    });
  }
}
