package dev.tandem.proxy.canary;

import dev.tandem.proxy.config.RolloutConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The gates of one rollout step: the canary against the primary over the interval just ended. A pure function of
 * the two sides' figures, so that every rule can be tested without traffic.
 */
public final class GateCheck {

  /** The outcome of the whole check. */
  public enum Verdict { PASS, WAIT, FAIL }

  /**
   * One gate's result.
   *
   * @param gate   {@code minRequests}, {@code errorRate}, {@code p99Latency}, {@code diffRate}, or
   *               {@code metric:<name>}
   * @param result {@code pass}, {@code fail}, {@code wait} or {@code skipped}
   * @param detail the figures and the limit, in words
   */
  public record Gate(String gate, String result, String detail) {
    public Gate {
      java.util.Objects.requireNonNull(result);
    }


    JsonObject toJson() {
      return new JsonObject().put("gate", gate).put("result", result).put("detail", detail);
    }
  }

  /**
   * The result of one check.
   *
   * @param verdict PASS when every gate passed or was skipped, WAIT when the canary had too few requests to judge
   *                or a metric gate had no answer, FAIL when any gate failed
   */
  public record Result(Verdict verdict, List<Gate> gates, SideStats.Interval canary, SideStats.Interval primary) {

    /** The failed gates in words, for the audit log. */
    public String failures() {
      return String.join("; ", gates.stream().filter(g -> g.result().equals("fail"))
          .map(g -> g.gate() + " failed: " + g.detail()).toList());
    }

    public JsonObject toJson() {
      JsonArray g = new JsonArray();
      gates.forEach(x -> g.add(x.toJson()));
      return new JsonObject().put("verdict", verdict.name().toLowerCase(Locale.ROOT)).put("gates", g)
          .put("canary", side(canary)).put("primary", side(primary));
    }

    private static JsonObject side(SideStats.Interval s) {
      return new JsonObject().put("requests", s.requests()).put("errors", s.errors())
          .put("errorRatePercent", round(s.errorRate())).put("p99Millis", round(s.p99Millis()));
    }
  }

  private GateCheck() {
  }

  /**
   * @param diffRate percent of compared exchanges that differed over the interval, or null when the route does not
   *                 compare responses (the gate is then skipped)
   */
  public static Result check(RolloutConfig.Gates limits, SideStats.Interval canary, SideStats.Interval primary,
                             Double diffRate) {
    return check(limits, canary, primary, diffRate, List.of());
  }

  /**
   * @param metrics the metric gates' results (pass, fail, or wait when a query had no answer); a failed one fails
   *                the check, one without an answer holds it
   */
  public static Result check(RolloutConfig.Gates limits, SideStats.Interval canary, SideStats.Interval primary,
                             Double diffRate, List<Gate> metrics) {
    List<Gate> gates = new ArrayList<>();
    if (canary.requests() < limits.minRequests()) {
      gates.add(new Gate("minRequests", "wait", "the canary had " + canary.requests() + " requests, "
          + limits.minRequests() + " are needed to judge it"));
      gates.addAll(metrics);
      return new Result(verdict(gates), gates, canary, primary);
    }
    gates.add(new Gate("minRequests", "pass", canary.requests() + " requests ≥ " + limits.minRequests()));

    double increase = canary.errorRate() - primary.errorRate();
    gates.add(new Gate("errorRate", increase <= limits.maxErrorRateIncrease() ? "pass" : "fail",
        "canary " + pct(canary.errorRate()) + " against primary " + pct(primary.errorRate()) + " (+"
            + round(Math.max(0, increase)) + " points, at most +" + round(limits.maxErrorRateIncrease()) + ")"));

    if (primary.requests() == 0 || primary.p99Millis() <= 0) {
      gates.add(new Gate("p99Latency", "skipped", "no primary requests to compare with"));
    } else {
      double ratio = canary.p99Millis() / primary.p99Millis();
      gates.add(new Gate("p99Latency", ratio <= limits.maxP99Ratio() ? "pass" : "fail",
          "canary p99 " + round(canary.p99Millis()) + " ms against primary " + round(primary.p99Millis())
              + " ms (×" + round(ratio) + ", at most ×" + round(limits.maxP99Ratio()) + ")"));
    }

    if (diffRate == null) {
      gates.add(new Gate("diffRate", "skipped", "the route does not compare mirrored responses"));
    } else {
      gates.add(new Gate("diffRate", diffRate <= limits.maxDiffRate() ? "pass" : "fail",
          pct(diffRate) + " of compared exchanges differed (at most " + pct(limits.maxDiffRate()) + ")"));
    }
    gates.addAll(metrics);
    return new Result(verdict(gates), gates, canary, primary);
  }

  /** Any gate failed: FAIL; else any could not be judged: WAIT; else PASS. */
  private static Verdict verdict(List<Gate> gates) {
    if (gates.stream().anyMatch(g -> g.result().equals("fail"))) {
      return Verdict.FAIL;
    }
    return gates.stream().anyMatch(g -> g.result().equals("wait")) ? Verdict.WAIT : Verdict.PASS;
  }

  private static String pct(double p) {
    return round(p) + "%";
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
