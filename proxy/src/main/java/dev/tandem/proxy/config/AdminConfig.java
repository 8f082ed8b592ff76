package dev.tandem.proxy.config;

import java.util.Map;

/**
 * The admin listener and who may call it.
 *
 * @param tokens caller name to bearer token; empty when no token is configured, in which case every
 *               {@code /admin/*} call answers 503 (never open)
 * @param tls    TLS on the admin listener; null for plain HTTP
 * @param replayReports a directory of {@code tandem replay --report DIR/NAME.json} files that the admin API and the
 *               dashboard list; null when none is configured
 */
public record AdminConfig(String host, int port, Map<String, String> tokens, ListenerTls tls, String replayReports) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8081;

  public AdminConfig {
    tokens = Map.copyOf(tokens);
  }

  public boolean hasTokens() {
    return !tokens.isEmpty();
  }
}
