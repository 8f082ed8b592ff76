package dev.tandem.replay;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a replay saw, per endpoint and per target: requests, failures, the status mix and latency (HdrHistogram,
 * 1 µs to 1 h). Endpoints are bounded by the grouper. Used from the replay's event loop only.
 */
final class ReplayStats {

  static final long MAX_MICROS = 3_600_000_000L;

  /** One target's (or the baseline's) answers on one endpoint. */
  static final class Side {
    final Histogram latency = new Histogram(1, MAX_MICROS, 2);
    final Map<String, Long> status = new TreeMap<>();
    long answers;
    long errors;

    void add(int code, String error, long nanos) {
      answers++;
      if (error != null) {
        errors++;
        status.merge("error", 1L, Long::sum);
        return;
      }
      status.merge(Integer.toString(code), 1L, Long::sum);
      if (nanos > 0) {
        // 0: not known (a GoReplay answer records none), not a 1 µs answer that would make any ratio huge
        latency.recordValue(Math.max(1, Math.min(MAX_MICROS, nanos / 1000)));
      }
    }

    JsonObject toJson() {
      JsonObject s = new JsonObject();
      status.forEach(s::put);
      return new JsonObject().put("answers", answers).put("errors", errors).put("status", s)
          .put("latency", latency(latency));
    }
  }

  /** Everything about one endpoint. */
  static final class Endpoint {
    final Map<String, Side> sides = new LinkedHashMap<>();
    long sent;

    Side side(String name) {
      return sides.computeIfAbsent(name, k -> new Side());
    }
  }

  private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
  private final Map<String, Side> overall = new LinkedHashMap<>();

  void sent(String endpoint) {
    endpoints.computeIfAbsent(endpoint, k -> new Endpoint()).sent++;
  }

  void answer(String endpoint, String side, int status, String error, long nanos) {
    endpoints.computeIfAbsent(endpoint, k -> new Endpoint()).side(side).add(status, error, nanos);
    overall.computeIfAbsent(side, k -> new Side()).add(status, error, nanos);
  }

  Map<String, Endpoint> endpoints() {
    return endpoints;
  }

  Map<String, Side> overall() {
    return overall;
  }

  static JsonObject latency(Histogram h) {
    if (h.getTotalCount() == 0) {
      return new JsonObject();
    }
    return new JsonObject().put("p50Millis", h.getValueAtPercentile(50) / 1000.0)
        .put("p95Millis", h.getValueAtPercentile(95) / 1000.0)
        .put("p99Millis", h.getValueAtPercentile(99) / 1000.0)
        .put("maxMillis", h.getMaxValue() / 1000.0);
  }

  /** {@code a}'s p99 over {@code b}'s, or null when either has none. */
  static Double p99Ratio(Side a, Side b) {
    if (a == null || b == null || a.latency.getTotalCount() == 0 || b.latency.getTotalCount() == 0) {
      return null;
    }
    return Math.round(a.latency.getValueAtPercentile(99) * 100.0 / b.latency.getValueAtPercentile(99)) / 100.0;
  }
}
