package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.Map;

/**
 * The admin listener and who may call it.
 *
 * @param tokens caller name to bearer token; empty when no token is configured, in which case every
 *               {@code /admin/*} call answers 503 (never open)
 * @param tls    TLS on the admin listener; null for plain HTTP
 * @param replayReports a directory of {@code tandem replay --report DIR/NAME.json} files that the admin API and the
 *               dashboard list; null when none is configured
 * @param trafficHistory how often {@code GET /admin/traffic/history} samples the request metrics and how many samples
 *               it keeps
 */
public record AdminConfig(String host, int port, Map<String, String> tokens, ListenerTls tls, String replayReports,
                          TrafficHistory trafficHistory) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8081;

  public AdminConfig {
    tokens = Map.copyOf(tokens);
  }

  public boolean hasTokens() {
    return !tokens.isEmpty();
  }

  /**
   * The dashboard's traffic history: a sample every {@code interval}, the newest {@code points} kept, so the
   * history is {@code interval × points} long (5 s × 180 = 15 minutes by default) and its memory is fixed.
   */
  public record TrafficHistory(Duration interval, int points) {

    public static final TrafficHistory DEFAULT = new TrafficHistory(Duration.ofSeconds(5), 180);
    public static final Duration MIN_INTERVAL = Duration.ofMillis(10);
    public static final Duration MAX_INTERVAL = Duration.ofHours(1);
    public static final int MAX_POINTS = 10_000;
  }
}
