package dev.tandem.replay;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The release decision of a replay, against thresholds: FAIL when the error rate, the difference rate or the
 * target's p99 over the baseline's is above its limit; REVIEW when there is no evidence to judge (nothing compared)
 * or one endpoint alone breaks the difference limit that the total hides; PASS otherwise. Every reason is said.
 */
public record Verdict(Decision decision, List<String> reasons) {

  /** The decisions, with the exit code CI gates on. */
  public enum Decision {
    PASS(0), FAIL(1), REVIEW(3);

    private final int exitCode;

    Decision(int exitCode) {
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  /**
   * Percentages for rates; {@code maxP99Ratio} a factor (1.5: the target's p99 may be 1.5× the baseline's),
   * infinite when latency is not gated.
   */
  public record Thresholds(double maxDiffRate, double maxErrorRate, double maxP99Ratio) {
    public static final Thresholds DEFAULT = new Thresholds(5, 1, 1.5);
  }

  /** An endpoint needs this many comparisons before its own rate can call for a review. */
  static final int MIN_ENDPOINT_COMPARED = 20;

  public Verdict {
    reasons = List.copyOf(reasons);
  }

  public static Verdict judge(Replayer.Result r, Thresholds t) {
    List<String> fail = new ArrayList<>();
    List<String> review = new ArrayList<>();
    if (r.errorRate() > t.maxErrorRate()) {
      fail.add(String.format("error rate %.2f%% is above %.2f%% (%d of %d requests failed)", r.errorRate(),
          t.maxErrorRate(), r.errors(), r.sent()));
    }
    if (r.diffRate() > t.maxDiffRate()) {
      fail.add(String.format("difference rate %.2f%% is above %.2f%% (%d of %d compared answers differ)",
          r.diffRate(), t.maxDiffRate(), r.differing(), r.compared()));
    }
    Double ratio = r.latency().getDouble("p99Ratio");
    if (ratio != null && ratio > t.maxP99Ratio()) {
      fail.add(String.format("the target's p99 is %.2f× the baseline's, above %.2f×", ratio, t.maxP99Ratio()));
    }
    if (r.compared() == 0 && r.sent() > 0) {
      review.add("nothing could be compared: no recorded responses and no --compare-with, or every request failed");
    }
    if (r.sent() == 0) {
      review.add("nothing was sent");
    }
    for (Object o : r.summary().getJsonArray("endpoints")) {
      JsonObject e = (JsonObject) o;
      long compared = e.getLong("compared");
      long differing = e.getLong("differing");
      double rate = compared == 0 ? 0 : differing * 100.0 / compared;
      if (fail.isEmpty() && compared >= MIN_ENDPOINT_COMPARED && rate > t.maxDiffRate()) {
        review.add(String.format("%s alone differs in %.2f%% of %d answers, above %.2f%%", e.getString("endpoint"),
            rate, compared, t.maxDiffRate()));
      }
    }
    if (!fail.isEmpty()) {
      return new Verdict(Decision.FAIL, fail);
    }
    if (!review.isEmpty()) {
      return new Verdict(Decision.REVIEW, review);
    }
    return new Verdict(Decision.PASS, List.of(String.format("difference rate %.2f%% (at most %.2f%%), error rate"
        + " %.2f%% (at most %.2f%%)%s", r.diffRate(), t.maxDiffRate(), r.errorRate(), t.maxErrorRate(),
        ratio == null ? "" : Double.isInfinite(t.maxP99Ratio()) ? String.format(", p99 ratio %.2f× (not gated)", ratio)
            : String.format(", p99 ratio %.2f× (at most %.2f×)", ratio, t.maxP99Ratio()))));
  }
}
