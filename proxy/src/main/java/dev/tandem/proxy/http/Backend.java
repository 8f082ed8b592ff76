package dev.tandem.proxy.http;

import dev.tandem.proxy.config.BackendConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;

/** One upstream service as seen from one event loop: its settings and its pool of keep-alive connections. */
final class Backend {

  private final BackendConfig config;
  private final HttpClientAgent client;
  private final HostAndPort ownAuthority;
  private final HostAndPort fixedAuthority;

  Backend(Vertx vertx, BackendConfig config) {
    this.config = config;
    this.client = vertx.createHttpClient(UpstreamOptions.client(config).setName("tandem-" + config.name()),
        UpstreamOptions.pool(config));
    this.ownAuthority = HostAndPort.create(config.host(), config.port());
    String hostHeader = config.hostHeader();
    this.fixedAuthority = hostHeader.equals(BackendConfig.HOST_PRESERVE) || hostHeader.equals(BackendConfig.HOST_REWRITE)
        ? null : HostAndPort.parseAuthority(hostHeader, config.ssl() ? 443 : 80);
  }

  String name() {
    return config.name();
  }

  HttpClientAgent client() {
    return client;
  }

  /** Where and how to send {@code uri}, with this backend's timeouts. */
  RequestOptions requestOptions(HttpMethod method, String uri) {
    return dev.tandem.proxy.tls.TlsOptions.address(new RequestOptions(), config)
        .setMethod(method)
        .setURI(config.basePath().isEmpty() ? uri : config.basePath() + uri)
        .setConnectTimeout(config.connectTimeout().toMillis())
        .setIdleTimeout(config.timeout().toMillis());
  }

  /** The Host the backend should see for a request the client sent to {@code original}. */
  HostAndPort authorityFor(HttpServerRequest request) {
    if (fixedAuthority != null) {
      return fixedAuthority;
    }
    if (config.hostHeader().equals(BackendConfig.HOST_PRESERVE)) {
      HostAndPort original = request.authority();
      if (original != null) {
        return original;
      }
    }
    return ownAuthority;
  }

  BackendConfig config() {
    return config;
  }

  /** The path the backend is sent for the client's {@code uri}. */
  String pathFor(String uri) {
    return config.basePath().isEmpty() ? uri : config.basePath() + uri;
  }

  /** The Host header the backend should see when the client sent {@code clientHost} (null: none). */
  String hostHeaderFor(String clientHost) {
    if (fixedAuthority != null) {
      return config.hostHeader();
    }
    if (clientHost != null && config.hostHeader().equals(BackendConfig.HOST_PRESERVE)) {
      return clientHost;
    }
    return config.authority();
  }

  void close() {
    client.close();
  }
}
