package dev.tandem.proxy.http;

import dev.tandem.proxy.config.BackendConfig;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;

/** The Vert.x client options of a pool that reaches one backend, as a primary, a canary or a shadow. */
public final class UpstreamOptions {

  private UpstreamOptions() {
  }

  /**
   * How a pool speaks to {@code config}'s backend: keep-alive, no decompression, its TLS, and its protocol. HTTP/2
   * in cleartext is by prior knowledge (no upgrade round trip); over TLS by ALPN.
   */
  public static HttpClientOptions client(BackendConfig config) {
    HttpClientOptions options = dev.tandem.proxy.tls.TlsOptions.backend(new HttpClientOptions(), config)
        .setKeepAlive(true)
        .setTcpNoDelay(true)
        .setDecompressionSupported(false);
    if (config.http2()) {
      options.setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false);
    }
    return options;
  }

  /** {@code maxConnections} per event loop, HTTP/1.1 or HTTP/2 (each of which multiplexes streams). */
  public static PoolOptions pool(BackendConfig config) {
    return new PoolOptions()
        .setHttp1MaxSize(config.maxConnections())
        .setHttp2MaxSize(config.maxConnections())
        .setMaxWaitQueueSize(-1);
  }

}
