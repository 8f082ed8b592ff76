package dev.tandem.bench;

import dev.tandem.comparator.PathPattern;
import dev.tandem.comparator.ResponseDiff;
import dev.tandem.comparator.Rules;
import dev.tandem.comparator.Side;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Comparisons per second of two realistic ~2 KB JSON order bodies (an order with fourteen items) under a rule set like
 * the one in conf/compare.yaml: ignored paths, a tolerance, items matched on their sku, timestamps compared as
 * instants. Parsing both bodies is part of each comparison, as in the proxy.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CompareBenchmark {

  private Rules rules;
  private Side primary;
  private Side same;
  private Side differing;

  @Setup
  public void setup() {
    rules = new Rules(List.of(PathPattern.of("/**/traceId"), PathPattern.of("/servedAt")), java.util.Set.of(),
        java.util.Set.of(), Map.of(PathPattern.of("/total"), new Rules.Tolerance(0.01, 0)), Rules.Tolerance.EXACT,
        List.of(PathPattern.of("/tags")), Map.of(PathPattern.of("/items"), "sku"), true, Duration.ofMillis(1), true,
        List.of(PathPattern.of("/status")), false, Map.of(), 50, Rules.DEFAULT_MAX_BODY_BYTES);
    primary = side("legacy", order("NEW", "2026-11-02T10:00:00Z", "19.0", false, "a"));
    same = side("candidate", order("new", "2026-11-02T11:00:00+01:00", "19.00", true, "b"));
    differing = side("candidate", order("PENDING", "2026-11-02T10:00:05Z", "21.50", true, "c"));
    int size = primary.body().length;
    if (size < 1800 || size > 2600) {
      throw new IllegalStateException("the body should be about 2 KB, is " + size);
    }
    if (!ResponseDiff.compare(primary, same, rules).matches()) {
      throw new IllegalStateException("the 'same' body should match: " + ResponseDiff.compare(primary, same, rules));
    }
  }

  private static Side side(String name, String body) {
    return new Side(name, 200, List.of(new AbstractMap.SimpleImmutableEntry<>("Content-Type", "application/json")),
        body.getBytes(StandardCharsets.UTF_8), false, null, 1_000_000);
  }

  private static String order(String status, String createdAt, String total, boolean reversed, String trace) {
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < 14; i++) {
      int n = reversed ? 13 - i : i;
      items.append(i == 0 ? "" : ",").append("{\"sku\":\"SKU-").append(100 + n).append("\",\"name\":\"Item number ")
          .append(n).append(" of the catalogue\",\"quantity\":").append(1 + n % 3).append(",\"unitPrice\":")
          .append(5 + n).append(".50,\"warehouse\":\"eu-west-").append(n % 2).append("\"}");
    }
    return "{\"id\":1042,\"customer\":{\"id\":77,\"name\":\"Globex Corporation\",\"email\":\"orders@globex.example\"},"
        + "\"status\":\"" + status + "\",\"total\":" + total + ",\"currency\":\"EUR\",\"createdAt\":\"" + createdAt
        + "\",\"servedAt\":\"2026-11-22T06:00:00." + trace.length() + "Z\",\"traceId\":\"" + trace
        + "-5f2c1e9a\",\"tags\":[\"priority\",\"gift\",\"b2b\"],\"shipping\":{\"method\":\"express\",\"address\":"
        + "{\"street\":\"1 Main Street\",\"city\":\"Springfield\",\"zip\":\"12345\",\"country\":\"US\"}},"
        + "\"items\":[" + items + "]}";
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** The share of a comparison that is parsing: both bodies into Jackson trees, nothing else. */
  @Benchmark
  public Object parseOnly() throws java.io.IOException {
    return new Object[] {JSON.readTree(primary.body()), JSON.readTree(differing.body())};
  }

  @Benchmark
  public ResponseDiff.Result matching() {
    return ResponseDiff.compare(primary, same, rules);
  }

  @Benchmark
  public ResponseDiff.Result differing() {
    return ResponseDiff.compare(primary, differing, rules);
  }
}
