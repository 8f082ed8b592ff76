package dev.tandem.proxy.canary;

import dev.tandem.proxy.config.RolloutConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GateCheckTest {

  private static final RolloutConfig.Gates GATES = new RolloutConfig.Gates(1.0, 1.5, 5.0, 100);

  private static SideStats.Interval side(long requests, long errors, double p99) {
    return new SideStats.Interval(requests, errors, p99);
  }

  private static String result(GateCheck.Result r, String gate) {
    return r.gates().stream().filter(g -> g.gate().equals(gate)).findFirst().orElseThrow().result();
  }

  @Test
  @DisplayName("too few canary requests: wait, neither pass nor fail")
  void waitsForTraffic() {
    GateCheck.Result r = GateCheck.check(GATES, side(99, 99, 900), side(10_000, 0, 5), null);
    assertThat(r.verdict()).isEqualTo(GateCheck.Verdict.WAIT);
    assertThat(r.gates().get(0).detail()).contains("99 requests, 100 are needed");
  }

  @Test
  @DisplayName("a canary as good as the primary passes; the diff gate is skipped without a comparison")
  void passes() {
    GateCheck.Result r = GateCheck.check(GATES, side(200, 1, 6), side(2_000, 5, 5), null);
    assertThat(r.verdict()).isEqualTo(GateCheck.Verdict.PASS);
    assertThat(result(r, "errorRate")).isEqualTo("pass");
    assertThat(result(r, "p99Latency")).isEqualTo("pass");
    assertThat(result(r, "diffRate")).isEqualTo("skipped");
  }

  @Test
  @DisplayName("an error rate more than the allowed points above the primary's fails, and says by how much")
  void errorRateFails() {
    GateCheck.Result r = GateCheck.check(GATES, side(200, 10, 5), side(2_000, 20, 5), null);
    assertThat(r.verdict()).isEqualTo(GateCheck.Verdict.FAIL);
    assertThat(r.failures()).contains("errorRate failed: canary 5.0% against primary 1.0% (+4.0 points, at most +1.0)");
  }

  @Test
  @DisplayName("a p99 over the allowed ratio fails; a diff rate over its limit fails")
  void latencyAndDiffFail() {
    GateCheck.Result slow = GateCheck.check(GATES, side(200, 0, 16), side(2_000, 0, 10), 1.0);
    assertThat(slow.verdict()).isEqualTo(GateCheck.Verdict.FAIL);
    assertThat(result(slow, "p99Latency")).isEqualTo("fail");
    assertThat(result(slow, "diffRate")).isEqualTo("pass");
    GateCheck.Result differs = GateCheck.check(GATES, side(200, 0, 10), side(2_000, 0, 10), 7.5);
    assertThat(differs.failures()).contains("diffRate failed: 7.5% of compared exchanges differed");
  }

  @Test
  @DisplayName("without primary traffic the latency gate is skipped rather than divided by zero")
  void noPrimaryBaseline() {
    GateCheck.Result r = GateCheck.check(GATES, side(200, 0, 10), side(0, 0, 0), null);
    assertThat(result(r, "p99Latency")).isEqualTo("skipped");
    assertThat(r.verdict()).isEqualTo(GateCheck.Verdict.PASS);
  }
}
