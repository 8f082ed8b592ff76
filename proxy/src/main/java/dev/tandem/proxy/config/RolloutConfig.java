package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * A progressive rollout: the canary weight goes through {@code steps}, one per {@code interval}, as long as the
 * gates pass over the interval just ended; a failed gate sets the weight to 0 and stops.
 *
 * @param steps    canary weights in percent, ascending
 * @param interval time spent at each step before its gates are checked
 * @param gates    what the canary must satisfy against the primary
 */
public record RolloutConfig(List<Double> steps, Duration interval, Gates gates) {

  public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(1);
  /** Shortest and longest interval a rollout accepts. */
  public static final Duration MIN_INTERVAL = Duration.ofMillis(100);
  public static final Duration MAX_INTERVAL = Duration.ofDays(7);

  public RolloutConfig {
    steps = List.copyOf(steps);
  }

  /**
   * The checks made before each step, canary against primary over the last interval.
   *
   * @param maxErrorRateIncrease the canary's error rate (5xx, in percent) may exceed the primary's by at most this
   *                             many points
   * @param maxP99Ratio          the canary's p99 latency may be at most this multiple of the primary's
   * @param maxDiffRate          with mirroring and comparison on: at most this percent of compared exchanges differ
   * @param minRequests          the canary needs at least this many requests in the interval before a gate may pass;
   *                             with fewer, the step waits for another interval
   * @param metrics              PromQL queries whose value must stay within bounds, run against
   *                             {@code rollout.prometheus}
   */
  public record Gates(double maxErrorRateIncrease, double maxP99Ratio, double maxDiffRate, int minRequests,
                      List<MetricGate> metrics) {

    public static final Gates DEFAULT = new Gates(1.0, 1.5, 5.0, 100, List.of());

    public Gates {
      metrics = List.copyOf(metrics);
    }

    public Gates(double maxErrorRateIncrease, double maxP99Ratio, double maxDiffRate, int minRequests) {
      this(maxErrorRateIncrease, maxP99Ratio, maxDiffRate, minRequests, List.of());
    }
  }

  /**
   * A gate on a Prometheus query, as Flagger's metric checks and Argo Rollouts' analysis do: the query's value at the
   * end of the interval must be at least {@code min} and at most {@code max}. {@code {{route}}},
   * {@code {{interval}}} (e.g. {@code 30s}), {@code {{primary}}} and {@code {{canary}}} (backend names) are filled in.
   * A query that fails or has no single value holds the step; it never passes it.
   *
   * @param name how checks and reasons name the gate; optional in the file and the API ({@link #defaultName})
   * @param min null for no lower bound
   * @param max null for no upper bound
   */
  public record MetricGate(String name, String query, Double min, Double max) {
    /** The name of the {@code index}-th (from 0) gate that was given none: {@code metric-1}, {@code metric-2}, ... */
    public static String defaultName(int index) {
      return "metric-" + (index + 1);
    }
  }
}
