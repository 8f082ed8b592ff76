package dev.tandem.proxy.canary;

import dev.tandem.proxy.config.RolloutConfig;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MetricGatesTest {

  private static final RolloutConfig.MetricGate MAX = new RolloutConfig.MetricGate("errors", "q", null, 0.01);
  private static final RolloutConfig.MetricGate RANGE = new RolloutConfig.MetricGate("rps", "q", 10.0, 100.0);

  private static GateCheck.Gate judge(RolloutConfig.MetricGate g, String answer) {
    return MetricGates.judge(g, "metric:" + g.name(), "q", new JsonObject(answer));
  }

  private static String vector(String... values) {
    StringBuilder b = new StringBuilder("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
    for (int i = 0; i < values.length; i++) {
      b.append(i == 0 ? "" : ",").append("{\"metric\":{},\"value\":[1700000000,\"").append(values[i]).append("\"]}");
    }
    return b.append("]}}").toString();
  }

  @Test
  @DisplayName("one value within the bounds passes, outside fails; the detail names the query, value and bounds")
  void bounds() {
    assertThat(judge(MAX, vector("0.004")).result()).isEqualTo("pass");
    GateCheck.Gate high = judge(MAX, vector("0.2"));
    assertThat(high.result()).isEqualTo("fail");
    assertThat(high.detail()).isEqualTo("'q' = 0.2 (at most 0.01)");
    assertThat(judge(RANGE, vector("5")).result()).isEqualTo("fail");
    assertThat(judge(RANGE, vector("50")).detail()).isEqualTo("'q' = 50.0 (at least 10.0 and at most 100.0)");
    assertThat(judge(MAX, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"0\"]}}")
        .result()).isEqualTo("pass");
  }

  @Test
  @DisplayName("no data, several series, NaN, or an error hold the step: wait, with the reason")
  void noEvidence() {
    assertThat(judge(MAX, vector())).extracting(GateCheck.Gate::result, GateCheck.Gate::detail)
        .containsExactly("wait", "query 'q' returned no data");
    assertThat(judge(MAX, vector("1", "2")).detail()).contains("returned 2 series; aggregate it to one");
    assertThat(judge(MAX, vector("NaN")).result()).isEqualTo("wait");
    assertThat(judge(MAX, "{\"status\":\"error\",\"error\":\"parse error at char 3\"}").detail())
        .isEqualTo("query 'q' failed: parse error at char 3");
  }

  @Test
  @DisplayName("the route, interval and backends are filled into the query")
  void variables() {
    assertThat(MetricGates.fill("sum(rate(x{route=\"{{route}}\",backend=\"{{ canary }}\"}[{{interval}}]))",
        Map.of("route", "orders", "canary", "candidate", "interval", "30s")))
        .isEqualTo("sum(rate(x{route=\"orders\",backend=\"candidate\"}[30s]))");
  }
}
