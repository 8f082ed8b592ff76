package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * The data-plane listener.
 *
 * @param instances    event loops serving it (one verticle each); defaults to the number of processors
 * @param idleTimeout  how long an idle keep-alive client connection stays open
 * @param limits       what a client may send, and how fast (see {@link EdgeLimits})
 * @param tls          TLS on the listener; null for plain HTTP
 * @param shutdown     how a SIGTERM drains the listener (see {@link Shutdown})
 * @param http2        HTTP/2 from clients (ALPN on TLS, cleartext by prior knowledge or upgrade)
 * @param dataPlane    {@code netty} (the default: plain forwarding on Netty's own objects, everything else on
 *                     Vert.x's HTTP server and client) or {@code vertx} (every request on Vert.x's)
 */
public record ServerConfig(String host, int port, int instances, Duration idleTimeout, EdgeLimits limits,
                           ListenerTls tls, Shutdown shutdown, Http2Config http2,
                           String dataPlane) {

  public static final String DATA_PLANE_NETTY = "netty";
  public static final String DATA_PLANE_VERTX = "vertx";

  /**
   * The drain on SIGTERM.
   *
   * @param delay   readiness answers 503 this long before the listener stops accepting, while requests are still
   *                served, so that load balancers take the instance out first (Kubernetes: the endpoint removal)
   * @param timeout from the SIGTERM, the deadline for answering what is in flight, the mirror copies and the
   *                comparator, capture and dead-letter writes; what is left then is cut and said so
   */
  public record Shutdown(Duration delay, Duration timeout) {
    public static final Shutdown DEFAULT = new Shutdown(Duration.ZERO, Duration.ofSeconds(30));
  }

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8080;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(75);
}
