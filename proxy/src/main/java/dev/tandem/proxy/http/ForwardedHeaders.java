package dev.tandem.proxy.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * Appends this hop to {@code X-Forwarded-For}, {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}, keeping what
 * earlier proxies wrote (as NGINX's {@code $proxy_add_x_forwarded_for} does), folded into one header each.
 */
final class ForwardedHeaders {

  private ForwardedHeaders() {
  }

  static void append(HttpServerRequest request, MultiMap out) {
    SocketAddress remote = request.remoteAddress();
    String client = remote == null ? "unknown" : remote.hostAddress();
    appendTo(out, "X-Forwarded-For", client);
    appendTo(out, "X-Forwarded-Proto", request.isSSL() ? "https" : "http");
    String host = request.headers().get("Host");
    if (host != null) {
      appendTo(out, "X-Forwarded-Host", host);
    }
  }

  private static void appendTo(MultiMap headers, String name, String value) {
    String first = headers.get(name);
    if (first == null) {
      headers.set(name, value);
      return;
    }
    var all = headers.getAll(name);
    headers.set(name, (all.size() == 1 ? first : String.join(", ", all)) + ", " + value);
  }
}
