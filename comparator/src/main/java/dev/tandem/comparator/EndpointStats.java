package dev.tandem.comparator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What was learned about one endpoint: exchanges compared, matched and differing; per field the raw and noise
 * difference counts; per side the status mix and latency (HdrHistogram, 1 µs to 1 h). Fields are bounded
 * ({@link #MAX_FIELDS}; the rest count under {@code other}). Not thread-safe: the comparator's single writer owns it,
 * and readers take a {@link #toJson snapshot} under its lock.
 */
public final class EndpointStats {

  static final int MAX_FIELDS = 500;
  private static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);

  private final String endpoint;
  private long compared;
  private long matched;
  private long withSecondary;
  private final Map<String, long[]> fields = new LinkedHashMap<>(); // field -> {raw, noise, raw with a secondary}
  private final Map<String, String> fieldKinds = new LinkedHashMap<>();
  /** Per field, hashes of the distinct primary values seen (at most {@link #MAX_DISTINCT}): volatile fields vary. */
  private final Map<String, java.util.Set<Integer>> distinctPrimary = new LinkedHashMap<>();
  static final int MAX_DISTINCT = 64;
  private final Map<String, Map<Integer, Long>> statuses = new LinkedHashMap<>();
  private final Map<String, Histogram> latency = new LinkedHashMap<>();

  EndpointStats(String endpoint) {
    this.endpoint = endpoint;
  }

  /** Counts one compared exchange: its differences, and the noise ones when a secondary answered too. */
  synchronized void add(Side primary, Side candidate, List<Difference> raw, Side secondary, List<Difference> noise) {
    compared++;
    if (raw.isEmpty()) {
      matched++;
    }
    for (String f : distinctFields(raw)) {
      long[] c = slot(f);
      c[0]++;
      if (secondary != null) {
        c[2]++;
      }
    }
    if (secondary != null) {
      withSecondary++;
      for (String f : distinctFields(noise)) {
        slot(f)[1]++;
      }
      side(secondary);
    }
    for (Difference d : raw) {
      String f = fieldName(d.field());
      fieldKinds.putIfAbsent(f, d.kind().label());
      java.util.Set<Integer> seen = distinctPrimary.computeIfAbsent(f, k -> new java.util.HashSet<>());
      if (seen.size() < MAX_DISTINCT) {
        seen.add(java.util.Objects.hashCode(d.primary()));
      }
    }
    side(primary);
    side(candidate);
  }

  private void side(Side s) {
    statuses.computeIfAbsent(s.name(), k -> new TreeMap<>()).merge(s.status(), 1L, Long::sum);
    latency.computeIfAbsent(s.name(), k -> new Histogram(1, MAX_MICROS, 2))
        .recordValue(Math.max(1, Math.min(MAX_MICROS, s.nanos() / 1000)));
  }

  private static List<String> distinctFields(List<Difference> diffs) {
    List<String> out = new ArrayList<>();
    for (Difference d : diffs) {
      if (!out.contains(d.field())) {
        out.add(d.field());
      }
    }
    return out;
  }

  private String fieldName(String field) {
    return fields.containsKey(field) || fields.size() < MAX_FIELDS ? field : "other";
  }

  private long[] slot(String field) {
    return fields.computeIfAbsent(fieldName(field), k -> new long[3]);
  }

  public synchronized long compared() {
    return compared;
  }

  public synchronized long differing() {
    return compared - matched;
  }

  /**
   * The endpoint's summary: counts, per field the verdict (real difference, noise, likely noise with a rule to
   * paste), status mixes and latency percentiles by side, with the candidate's p99 over the primary's.
   */
  public synchronized JsonObject toJson(NoiseRule rule, String primaryName, String candidateName) {
    JsonArray fieldList = new JsonArray();
    long real = 0;
    for (Map.Entry<String, long[]> e : fields.entrySet()) {
      long raw = e.getValue()[0];
      long noise = e.getValue()[1];
      String verdict;
      if (withSecondary > 0) {
        // Diffy's rule over the exchanges that had both a candidate's and a secondary's answer, so that a
        // secondary that sometimes failed does not make noise look real.
        long rawPaired = e.getValue()[2];
        verdict = rule.real(rawPaired, noise, withSecondary) ? "real" : raw == 0 ? "noise_only" : "noise";
      } else {
        // Without a second primary, a field looks volatile when it differs nearly every time, by value (not a
        // renamed or missing field), and the primary's own value changes from one exchange to the next.
        int distinct = distinctPrimary.getOrDefault(e.getKey(), java.util.Set.of()).size();
        boolean varies = distinct >= 0.9 * Math.min(raw, MAX_DISTINCT);
        verdict = "value".equals(fieldKinds.get(e.getKey())) && varies && rule.likelyNoise(raw, compared)
            ? "likely_noise" : "real";
      }
      if (verdict.equals("real")) {
        real += raw > 0 ? 1 : 0;
      }
      JsonObject f = new JsonObject().put("field", e.getKey()).put("kind", fieldKinds.get(e.getKey()))
          .put("raw", raw).put("noise", noise)
          .put("rate", compared == 0 ? 0 : Math.round(raw * 10000.0 / compared) / 100.0).put("verdict", verdict);
      if (verdict.equals("likely_noise") || verdict.equals("noise")) {
        f.put("ignoreRule", ignoreRule(e.getKey()));
      }
      fieldList.add(f);
    }
    JsonObject lat = new JsonObject();
    latency.forEach((side, h) -> lat.put(side, new JsonObject()
        .put("p50Millis", h.getValueAtPercentile(50) / 1000.0)
        .put("p95Millis", h.getValueAtPercentile(95) / 1000.0)
        .put("p99Millis", h.getValueAtPercentile(99) / 1000.0)));
    Histogram p = latency.get(primaryName);
    Histogram c = latency.get(candidateName);
    if (p != null && c != null && p.getValueAtPercentile(99) > 0) {
      lat.put("p99Ratio", Math.round(c.getValueAtPercentile(99) * 100.0 / p.getValueAtPercentile(99)) / 100.0);
    }
    JsonObject st = new JsonObject();
    statuses.forEach((side, mix) -> {
      JsonObject m = new JsonObject();
      mix.forEach((code, n) -> m.put(Integer.toString(code), n));
      st.put(side, m);
    });
    return new JsonObject().put("endpoint", endpoint).put("primary", primaryName).put("candidate", candidateName)
        .put("compared", compared).put("matched", matched).put("differing", compared - matched)
        .put("realFields", real).put("withSecondary", withSecondary).put("fields", fieldList)
        .put("status", st).put("latency", lat);
  }

  /** The configuration line that ignores {@code field}. */
  static String ignoreRule(String field) {
    if (field.startsWith("header:")) {
      return "comparator: { rules: { ignoreHeaders: [" + field.substring(7) + "] } }";
    }
    if (GrpcDiff.STATUS_FIELDS.contains(field)) {
      return "comparator: { rules: { ignoreHeaders: [" + field + "] } }";
    }
    return "comparator: { rules: { ignore: [\"" + field + "\"] } }";
  }
}
