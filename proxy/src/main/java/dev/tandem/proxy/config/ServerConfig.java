package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * The data-plane listener.
 *
 * @param instances    event loops serving it (one verticle each); defaults to the number of processors
 * @param idleTimeout  how long an idle keep-alive client connection stays open
 * @param limits       what a client may send, and how fast (see {@link EdgeLimits})
 * @param tls          TLS on the listener; null for plain HTTP
 */
public record ServerConfig(String host, int port, int instances, Duration idleTimeout, EdgeLimits limits,
                           ListenerTls tls) {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8080;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(75);
}
