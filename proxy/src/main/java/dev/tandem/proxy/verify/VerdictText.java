package dev.tandem.proxy.verify;

import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;

/** A verdict with its evidence as a release manager reads it: per table, the findings, the locks, the reasons. */
public final class VerdictText {

  private VerdictText() {
  }

  /** @param maxFindings findings shown per table; the JSON has them all (up to verify.maxFindings) */
  public static void print(PrintWriter out, JsonObject verdict, int maxFindings) {
    JsonObject evidence = verdict.getJsonObject("evidence");
    out.printf("Verified %d table(s) in %.1f s:%n", evidence.getJsonArray("tables").size(),
        evidence.getLong("millis") / 1000.0);
    for (Object o : evidence.getJsonArray("tables")) {
      JsonObject t = (JsonObject) o;
      JsonObject c = t.getJsonObject("counts");
      StringBuilder classes = new StringBuilder();
      c.forEach(e -> {
        if (((Number) e.getValue()).longValue() > 0) {
          classes.append(classes.length() == 0 ? ": " : ", ").append(e.getValue()).append(' ').append(e.getKey());
        }
      });
      out.printf("  %-20s %,d rows, shadow %,d; %.3f%% in sync; %d divergent%s%n", t.getString("table")
              + (t.getString("table").equals(t.getString("shadowTable")) ? "" : " → " + t.getString("shadowTable")),
          t.getLong("primaryRows"), t.getLong("shadowRows"), t.getDouble("syncPercent"), t.getLong("divergentRows"),
          classes);
      out.printf("  %-20s %d chunks, %d compared row by row, %,d rows transferred%s%n", "", t.getInteger("chunks"),
          t.getInteger("chunksDiffering"), t.getLong("rowsTransferred"), t.getInteger("rechecked") == 0 ? ""
              : String.format("; %d re-checked after the settle window, %d had converged", t.getInteger("rechecked"),
                  t.getInteger("settled")));
      t.getJsonArray("findings").stream().map(JsonObject.class::cast).limit(maxFindings).forEach(f -> {
        StringBuilder line = new StringBuilder("      " + f.getString("class") + " " + key(f.getJsonObject("key")));
        if (f.containsKey("columns")) {
          f.getJsonArray("columns").stream().map(JsonObject.class::cast).forEach(col -> line.append("  ")
              .append(col.getString("column")).append(": ").append(value(col.getValue("primary"))).append(" → ")
              .append(value(col.getValue("shadow"))));
        }
        if (f.getBoolean("escalated", false)) {
          line.append("  [escalated: differing for ").append(f.getInteger("streak")).append(" runs]");
        }
        out.println(line);
      });
      long shown = Math.min(maxFindings, t.getJsonArray("findings").size());
      if (t.getLong("divergentRows") > shown) {
        out.printf("      … and %d more (--json lists up to verify.maxFindings)%n", t.getLong("divergentRows") - shown);
      }
      t.getJsonArray("notes").forEach(n -> out.println("      note: " + n));
    }
    JsonObject locks = evidence.getJsonObject("locks");
    if (locks != null) {
      JsonObject l = locks.getJsonObject("longest");
      if (l == null) {
        out.printf("Locks on the shadow while verifying: no session waited (%d samples).%n", locks.getLong("samples"));
      } else {
        out.printf("Locks on the shadow while verifying: longest wait %d ms (%s): \"%s\" blocked by \"%s\".%n",
            l.getLong("waitedMillis"), l.getString("lock"), oneLine(l.getString("blockedQuery")),
            oneLine(l.getString("blockingQuery")));
      }
    }
    out.println("Verdict: " + verdict.getString("verdict"));
    verdict.getJsonArray("reasons").forEach(r -> out.println("  - " + r));
  }

  private static String key(JsonObject key) {
    StringBuilder b = new StringBuilder();
    key.forEach(e -> b.append(b.length() == 0 ? "" : ",").append(e.getKey()).append('=').append(e.getValue()));
    return b.toString();
  }

  private static String value(Object v) {
    return v == null ? "NULL" : "'" + v + "'";
  }

  private static String oneLine(String sql) {
    String s = sql == null ? "" : sql.replaceAll("\\s+", " ").trim();
    return s.length() > 120 ? s.substring(0, 117) + "..." : s;
  }
}
