package dev.tandem.proxy.config;

import java.util.Map;

/**
 * The admin listener and who may call it.
 *
 * @param tokens caller name to bearer token; empty when no token is configured, in which case every
 *               {@code /admin/*} call answers 503 (never open)
 * @param tls    TLS on the admin listener; null for plain HTTP
 */
public record AdminConfig(String host, int port, Map<String, String> tokens, ListenerTls tls) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8081;

  public AdminConfig {
    tokens = Map.copyOf(tokens);
  }

  public boolean hasTokens() {
    return !tokens.isEmpty();
  }
}
