package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * One upstream service.
 *
 * @param basePath        prefix put before every forwarded path ("" for none)
 * @param connectTimeout  to obtain a connection (pool wait plus TCP connect); exceeded → 504
 * @param timeout         longest silence while waiting for or reading the answer; exceeded → 504
 * @param maxConnections  pooled keep-alive connections per event loop
 * @param hostHeader      {@code preserve} (the client's Host), {@code rewrite} (the backend's host:port), or a
 *                        fixed value
 * @param protocol        how Tandem speaks to it: {@code http1} (HTTP/1.1), {@code h2c} (HTTP/2 in cleartext, by prior
 *                        knowledge) or {@code h2} (HTTP/2 over TLS, by ALPN; needs an https:// URL)
 * @param tls             TLS settings for an {@code https://} backend; null for plain HTTP
 */
public record BackendConfig(
    String name,
    String url,
    String host,
    int port,
    boolean ssl,
    String basePath,
    Duration connectTimeout,
    Duration timeout,
    int maxConnections,
    String hostHeader,
    String protocol,
    BackendTls tls) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_CONNECTIONS = 128;
  public static final String HOST_PRESERVE = "preserve";
  public static final String HOST_REWRITE = "rewrite";
  public static final String HTTP1 = "http1";
  public static final String H2C = "h2c";
  public static final String H2 = "h2";

  /** Whether Tandem speaks HTTP/2 to it. */
  public boolean http2() {
    return !protocol.equals(HTTP1);
  }

  /** The host:port this backend is reached at, as a Host header would name it. */
  public String authority() {
    boolean defaultPort = (ssl && port == 443) || (!ssl && port == 80);
    return defaultPort ? host : host + ":" + port;
  }
}
