package dev.tandem.replay;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * A replay's report as JSON ({@code --report out.json}) and as one self-contained HTML page
 * ({@code --report out.html}, no scripts, no links out): per endpoint the counts, status mix, difference rate and
 * top differing fields, latency per target with their p99 ratio, the send lag, and the verdict with its reasons.
 */
public final class ReplayReport {

  private ReplayReport() {
  }

  /**
   * @param meta what was replayed where (files, target, baseline, options), shown as given
   */
  public static JsonObject json(Replayer.Result r, Verdict v, Verdict.Thresholds t, JsonObject meta,
                                List<String> problems) {
    JsonArray endpoints = new JsonArray();
    Map<String, JsonObject> compared = new java.util.HashMap<>();
    for (Object o : r.summary().getJsonArray("endpoints")) {
      JsonObject e = (JsonObject) o;
      compared.put(e.getString("endpoint"), e);
    }
    r.endpoints().forEach(entry -> {
      JsonObject e = ((JsonObject) entry.getValue()).copy().put("endpoint", entry.getKey());
      JsonObject c = compared.get(entry.getKey());
      long n = c == null ? 0 : c.getLong("compared");
      long d = c == null ? 0 : c.getLong("differing");
      e.put("compared", n).put("differing", d).put("diffRate", n == 0 ? 0 : Math.round(d * 10000.0 / n) / 100.0);
      JsonArray fields = new JsonArray();
      if (c != null) {
        c.getJsonArray("fields").stream().limit(10).forEach(fields::add);
      }
      endpoints.add(e.put("fields", fields));
    });
    return new JsonObject()
        .put("verdict", v.decision().name())
        .put("reasons", new JsonArray(v.reasons()))
        .put("thresholds", new JsonObject().put("maxDiffRate", t.maxDiffRate()).put("maxErrorRate", t.maxErrorRate())
            .put("maxP99Ratio", Double.isInfinite(t.maxP99Ratio()) ? null : t.maxP99Ratio()))
        .put("run", meta)
        .put("totals", new JsonObject().put("sent", r.sent()).put("errors", r.errors())
            .put("errorRate", round(r.errorRate())).put("compared", r.compared()).put("differing", r.differing())
            .put("noise", r.noise()).put("diffRate", round(r.diffRate())).put("skippedUnsafe", r.skippedUnsafe())
            .put("duplicates", r.duplicates()).put("seconds", round(r.seconds()))
            .put("perSecond", r.seconds() > 0 ? Math.round(r.sent() / r.seconds()) : 0)
            .put("invalidRecords", problems.size()))
        .put("latency", r.latency())
        .put("sendLag", r.lag())
        .put("endpoints", endpoints)
        .put("samples", new JsonArray(r.samples()))
        .put("problems", new JsonArray(problems.stream().limit(100).toList()));
  }

  private static double round(double x) {
    return Math.round(x * 100) / 100.0;
  }

  /** The report as a page a release manager can read without tools. */
  public static String html(JsonObject report) {
    StringBuilder h = new StringBuilder(16 * 1024);
    String verdict = report.getString("verdict");
    String colour = switch (verdict) {
      case "PASS" -> "#1a7f37";
      case "FAIL" -> "#cf222e";
      default -> "#9a6700";
    };
    JsonObject run = report.getJsonObject("run");
    JsonObject totals = report.getJsonObject("totals");
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tandem replay: ")
        .append(esc(verdict)).append("</title>\n<style>")
        .append("body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1f2328}")
        .append("h1 span{color:#fff;background:").append(colour).append(";padding:.1em .5em;border-radius:4px}")
        .append("table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}")
        .append("th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}")
        .append("th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}")
        .append("code,pre{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;margin:0}")
        .append("</style></head><body>\n");
    h.append("<h1>Replay verdict: <span>").append(esc(verdict)).append("</span></h1>\n<ul>");
    report.getJsonArray("reasons").forEach(x -> h.append("<li>").append(esc(String.valueOf(x))).append("</li>"));
    h.append("</ul>\n<table><tr><th>target</th><td>").append(esc(run.getString("target", "")))
        .append("</td></tr><tr><th>baseline</th><td>").append(esc(run.getString("baseline", "")))
        .append("</td></tr><tr><th>files</th><td>").append(esc(String.valueOf(run.getValue("files"))))
        .append("</td></tr><tr><th>sent</th><td>").append(totals.getLong("sent")).append(" in ")
        .append(totals.getDouble("seconds")).append(" s (").append(totals.getLong("perSecond")).append("/s); ")
        .append(totals.getLong("errors")).append(" failed (").append(totals.getDouble("errorRate")).append("%); ")
        .append(totals.getLong("skippedUnsafe")).append(" writes skipped (--safe-only); ")
        .append(totals.getLong("duplicates")).append(" writes already delivered; ")
        .append(totals.getLong("invalidRecords")).append(" invalid records skipped")
        .append("</td></tr><tr><th>compared</th><td>").append(totals.getLong("compared")).append(", ")
        .append(totals.getLong("differing")).append(" differ (").append(totals.getDouble("diffRate"))
        .append("%), ").append(totals.getLong("noise")).append(" differ only where the baseline's two instances"
            + " disagree too (noise)</td></tr></table>\n");
    h.append("<h2>Latency</h2>\n<table><tr><th>side</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th>"
        + "<th>max ms</th></tr>");
    JsonObject latency = report.getJsonObject("latency");
    latency.forEach(e -> {
      if (e.getValue() instanceof JsonObject l && !l.isEmpty()) {
        h.append("<tr><td>").append(esc(e.getKey())).append("</td>").append(num(l, "p50Millis"))
            .append(num(l, "p95Millis")).append(num(l, "p99Millis")).append(num(l, "maxMillis")).append("</tr>");
      }
    });
    h.append("</table><p>p99 ratio (target / baseline): ").append(latency.getValue("p99Ratio") == null ? "n/a"
        : latency.getValue("p99Ratio")).append("</p>\n");
    JsonObject lag = report.getJsonObject("sendLag");
    if (lag != null && !lag.isEmpty()) {
      h.append("<p>Send lag against the schedule: p50 ").append(lag.getDouble("p50Millis")).append(" ms, p99 ")
          .append(lag.getDouble("p99Millis")).append(" ms, max ").append(lag.getDouble("maxMillis"))
          .append(" ms.</p>\n");
    }
    h.append("<h2>Endpoints</h2>\n<table><tr><th>endpoint</th><th>sent</th><th>compared</th><th>differ %</th>"
        + "<th>status by side</th><th>p99 ms by side</th><th>top differing fields</th></tr>");
    for (Object o : report.getJsonArray("endpoints")) {
      JsonObject e = (JsonObject) o;
      h.append("<tr><td><code>").append(esc(e.getString("endpoint"))).append("</code></td>")
          .append("<td class=n>").append(e.getLong("sent")).append("</td><td class=n>").append(e.getLong("compared"))
          .append("</td><td class=n>").append(e.getDouble("diffRate")).append("</td><td>");
      JsonObject sides = e.getJsonObject("sides");
      sides.forEach(s -> h.append(esc(s.getKey())).append(": ")
          .append(esc(((JsonObject) s.getValue()).getJsonObject("status").encode())).append("<br>"));
      h.append("</td><td>");
      sides.forEach(s -> h.append(esc(s.getKey())).append(": ").append(((JsonObject) s.getValue())
          .getJsonObject("latency").getValue("p99Millis", "n/a")).append("<br>"));
      h.append("</td><td>");
      e.getJsonArray("fields").forEach(f -> {
        JsonObject x = (JsonObject) f;
        h.append("<code>").append(esc(x.getString("field"))).append("</code> ").append(esc(x.getString("kind")))
            .append(" ").append(x.getValue("rate")).append("% ").append(esc(x.getString("verdict", "")))
            .append("<br>");
      });
      h.append("</td></tr>\n");
    }
    h.append("</table>\n");
    JsonArray samples = report.getJsonArray("samples");
    if (!samples.isEmpty()) {
      h.append("<h2>Differing samples</h2>\n<table><tr><th>request</th><th>differences</th></tr>");
      for (Object o : samples) {
        JsonObject s = (JsonObject) o;
        JsonObject req = s.getJsonObject("request", new JsonObject());
        h.append("<tr><td><code>").append(esc(req.getString("method", ""))).append(' ')
            .append(esc(req.getString("uri", ""))).append("</code><br>baseline ").append(esc(s.getString("primary", "")))
            .append("<br>target ").append(esc(s.getString("candidate", ""))).append("</td><td><pre>");
        for (Object d : s.getJsonArray("differences", new JsonArray())) {
          JsonObject x = (JsonObject) d;
          h.append(esc(x.getString("path", ""))).append("  ").append(esc(x.getString("kind", ""))).append(": ")
              .append(esc(String.valueOf(x.getValue("primary")))).append(" \u2192 ")
              .append(esc(String.valueOf(x.getValue("candidate")))).append('\n');
        }
        h.append("</pre></td></tr>\n");
      }
      h.append("</table>\n");
    }
    JsonArray problems = report.getJsonArray("problems");
    if (!problems.isEmpty()) {
      h.append("<h2>Invalid records skipped</h2>\n<ul>");
      problems.forEach(p -> h.append("<li><code>").append(esc(String.valueOf(p))).append("</code></li>"));
      h.append("</ul>\n");
    }
    return h.append("</body></html>\n").toString();
  }

  private static String num(JsonObject o, String key) {
    Object v = o.getValue(key);
    return "<td class=n>" + (v == null ? "" : v) + "</td>";
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
