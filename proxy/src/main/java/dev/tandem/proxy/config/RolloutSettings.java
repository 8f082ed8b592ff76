package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * What every rollout shares: where its metric gates ask Prometheus.
 *
 * @param prometheus the Prometheus server's URL ({@code http://prometheus:9090}); null when no gate queries it
 * @param timeout    how long one query may take before the step is held for it
 */
public record RolloutSettings(String prometheus, Duration timeout) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  public static final RolloutSettings DEFAULT = new RolloutSettings(null, DEFAULT_TIMEOUT);
}
