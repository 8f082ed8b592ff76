package dev.tandem.comparator.db;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a verification, the runs before it and the comparator's response difference rate into the release
 * decision, per table and overall (the worst table), always with its reasons:
 * <ul>
 *   <li>{@code ROLLBACK_RECOMMENDED}: a table is less than {@code minSyncPercent} in sync, or has more than
 *       {@code maxDivergentRows} divergent rows;</li>
 *   <li>{@code MONITORING_REQUIRED}: some rows diverge, or fewer than {@code cleanRuns} consecutive runs were clean,
 *       or the responses differ more than {@code maxResponseDiffRate};</li>
 *   <li>{@code READY_FOR_CUTOVER}: every table clean for {@code cleanRuns} consecutive runs, responses within.</li>
 * </ul>
 */
public final class CutoverVerdict {

  /** The decisions, best first; the exit code of {@code tandem verify-db} is 0 only for the first. */
  public enum Decision { READY_FOR_CUTOVER, MONITORING_REQUIRED, ROLLBACK_RECOMMENDED }

  /** Thresholds; percentages as 0..100. */
  public record Readiness(double minSyncPercent, long maxDivergentRows, int cleanRuns, double maxResponseDiffRate) {
    public static final Readiness DEFAULT = new Readiness(99, 5, 3, 1);

    JsonObject toJson() {
      return new JsonObject().put("minSyncPercent", minSyncPercent).put("maxDivergentRows", maxDivergentRows)
          .put("cleanRuns", cleanRuns).put("maxResponseDiffRate", maxResponseDiffRate);
    }
  }

  private CutoverVerdict() {
  }

  /**
   * @param history          earlier verdicts, newest first, as {@link #judge} returned them
   * @param responseDiffRate percent of compared responses that really differed; null when not known
   */
  public static JsonObject judge(VerificationRun run, List<JsonObject> history, Readiness t, Double responseDiffRate) {
    Decision overall = Decision.READY_FOR_CUTOVER;
    List<String> reasons = new ArrayList<>();
    JsonArray tables = new JsonArray();
    for (TableResult r : run.tables()) {
      int streak = r.divergent() == 0 ? 1 + cleanStreakBefore(history, r.table()) : 0;
      long escalated = r.findings().stream().filter(Finding::escalated).count();
      List<String> why = new ArrayList<>();
      Decision d;
      if (r.syncPercent() < t.minSyncPercent() || r.divergent() > t.maxDivergentRows()) {
        d = Decision.ROLLBACK_RECOMMENDED;
        why.add(String.format("%s: %.3f%% in sync (at least %.2f%% wanted), %d divergent rows (at most %d)",
            r.table(), r.syncPercent(), t.minSyncPercent(), r.divergent(), t.maxDivergentRows()));
      } else if (r.divergent() > 0) {
        d = Decision.MONITORING_REQUIRED;
        why.add(String.format("%s: %d divergent rows (%s)", r.table(), r.divergent(), classes(r)));
      } else if (streak < t.cleanRuns()) {
        d = Decision.MONITORING_REQUIRED;
        why.add(String.format("%s: clean, %d of %d consecutive clean runs needed", r.table(), streak, t.cleanRuns()));
      } else {
        d = Decision.READY_FOR_CUTOVER;
        why.add(String.format("%s: clean for %d consecutive runs (%d rows)", r.table(), streak, r.primaryRows()));
      }
      if (escalated > 0) {
        why.add(String.format("%s: %d rows differed in %d or more consecutive runs (escalated)", r.table(), escalated,
            r.findings().stream().filter(Finding::escalated).mapToInt(Finding::streak).min().orElse(0)));
      }
      tables.add(new JsonObject().put("table", r.table()).put("verdict", d.name())
          .put("syncPercent", Math.round(r.syncPercent() * 1000) / 1000.0).put("divergentRows", r.divergent())
          .put("escalatedRows", escalated).put("cleanStreak", streak).put("reasons", new JsonArray(why)));
      reasons.addAll(why);
      overall = worse(overall, d);
    }
    if (responseDiffRate == null) {
      reasons.add("response differences: not known here (compare responses through the proxy, or keep the"
          + " comparator's history in PostgreSQL)");
    } else if (responseDiffRate > t.maxResponseDiffRate()) {
      overall = worse(overall, Decision.MONITORING_REQUIRED);
      reasons.add(String.format("responses: %.2f%% of compared responses differ (at most %.2f%%)", responseDiffRate,
          t.maxResponseDiffRate()));
    } else {
      reasons.add(String.format("responses: %.2f%% of compared responses differ (at most %.2f%%)", responseDiffRate,
          t.maxResponseDiffRate()));
    }
    return new JsonObject().put("verdict", overall.name()).put("time", run.started().toString())
        .put("reasons", new JsonArray(reasons)).put("tables", tables).put("responseDiffRate", responseDiffRate)
        .put("thresholds", t.toJson()).put("evidence", run.toJson());
  }

  private static String classes(TableResult r) {
    List<String> parts = new ArrayList<>();
    r.counts().forEach((k, n) -> {
      if (n > 0) {
        parts.add(n + " " + k.label());
      }
    });
    return String.join(", ", parts);
  }

  private static Decision worse(Decision a, Decision b) {
    return a.ordinal() >= b.ordinal() ? a : b;
  }

  /** Consecutive runs before this one in which {@code table} was clean. */
  static int cleanStreakBefore(List<JsonObject> history, String table) {
    int n = 0;
    for (JsonObject h : history) {
      JsonObject t = tableOf(h, table);
      if (t == null || t.getLong("divergentRows", 1L) != 0) {
        break;
      }
      n++;
    }
    return n;
  }

  private static JsonObject tableOf(JsonObject verdict, String table) {
    for (Object o : verdict.getJsonArray("tables", new JsonArray())) {
      JsonObject t = (JsonObject) o;
      if (table.equals(t.getString("table"))) {
        return t;
      }
    }
    return null;
  }

  /** Per table, the keys that differed in the latest earlier run with their streaks, for escalation. */
  public static Map<String, Map<String, Integer>> streaks(List<JsonObject> history) {
    Map<String, Map<String, Integer>> out = new HashMap<>();
    if (history.isEmpty()) {
      return out;
    }
    JsonObject evidence = history.get(0).getJsonObject("evidence", new JsonObject());
    for (Object o : evidence.getJsonArray("tables", new JsonArray())) {
      JsonObject t = (JsonObject) o;
      Map<String, Integer> keys = out.computeIfAbsent(t.getString("table"), k -> new HashMap<>());
      for (Object f : t.getJsonArray("findings", new JsonArray())) {
        JsonObject finding = (JsonObject) f;
        StringBuilder key = new StringBuilder();
        finding.getJsonObject("key").forEach(e -> key.append(key.length() == 0 ? "" : ",").append(e.getKey())
            .append('=').append(e.getValue()));
        keys.put(finding.getString("class") + " " + key, finding.getInteger("streak", 1));
      }
    }
    return out;
  }
}
