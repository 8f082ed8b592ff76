package dev.tandem.proxy.canary;

import dev.tandem.proxy.config.RolloutConfig;
import dev.tandem.proxy.route.Route;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One route's progressive rollout as every instance knows it: the plan, the step, the status, the current window
 * (the interval whose figures the gates will judge), the last check and the history. One instance drives it — holds
 * the lease and the interval timer ({@link RouteControl}); the others keep this copy from the saved state.
 */
final class Rollout {

  private static final Logger LOG = Logger.getLogger(Rollout.class.getName());
  private static final int MAX_HISTORY = 100;

  final Route route;
  final RolloutConfig plan;
  final String startedBy;
  String status = "running";
  int step;
  String owner;
  String startedAt;
  String stepStartedAt;
  String endedReason;
  String window;
  JsonObject lastCheck;
  long heartbeat;
  final JsonArray history = new JsonArray();
  /** This instance drives it: holds the lease, runs the interval timer. */
  boolean driving;
  long timer = -1;
  long leaseTimer = -1;

  Rollout(Route route, RolloutConfig plan, String startedBy) {
    this.route = route;
    this.plan = plan;
    this.startedBy = startedBy;
  }

  boolean active() {
    return status.equals("running") || status.equals("paused");
  }

  /** How long the lease lasts unrenewed: half an interval, from 1 s to 15 s; renewed three times as often. */
  Duration leaseTtl() {
    long half = plan.interval().toMillis() / 2;
    return Duration.ofMillis(Math.max(1_000, Math.min(15_000, half)));
  }

  double weight() {
    return plan.steps().get(step);
  }

  void record(JsonObject event) {
    history.add(event);
    while (history.size() > MAX_HISTORY) {
      history.remove(0);
    }
  }

  JsonObject planJson() {
    JsonArray metrics = new JsonArray();
    for (RolloutConfig.MetricGate m : plan.gates().metrics()) {
      metrics.add(new JsonObject().put("name", m.name()).put("query", m.query()).put("min", m.min())
          .put("max", m.max()));
    }
    Map<String, Object> gates = new LinkedHashMap<>();
    gates.put("maxErrorRateIncrease", plan.gates().maxErrorRateIncrease());
    gates.put("maxP99Ratio", plan.gates().maxP99Ratio());
    gates.put("maxDiffRate", plan.gates().maxDiffRate());
    gates.put("minRequests", plan.gates().minRequests());
    return new JsonObject().put("steps", new JsonArray(plan.steps()))
        .put("interval", plan.interval().toMillis() + "ms")
        .put("gates", new JsonObject(gates).put("metrics", metrics));
  }

  JsonObject toJson(double currentWeight) {
    return new JsonObject().put("route", route.name()).put("status", status).put("step", step + 1)
        .put("steps", plan.steps().size()).put("weight", weight())
        .put("currentWeight", currentWeight).put("plan", planJson()).put("startedBy", startedBy)
        .put("startedAt", startedAt).put("stepStartedAt", stepStartedAt).put("owner", owner)
        .put("window", window).put("endedReason", endedReason).put("lastCheck", lastCheck)
        .put("heartbeat", heartbeat).put("history", history.copy());
  }

  /** The rollout saved by an instance; null (and a warning) when it cannot be read. */
  static Rollout fromJson(Route route, JsonObject j) {
    try {
      JsonObject p = j.getJsonObject("plan");
      List<Double> steps = p.getJsonArray("steps").stream().map(o -> ((Number) o).doubleValue()).toList();
      String interval = p.getString("interval", "60000ms");
      JsonObject g = p.getJsonObject("gates", new JsonObject());
      RolloutConfig.Gates d = RolloutConfig.Gates.DEFAULT;
      List<RolloutConfig.MetricGate> metrics = g.getJsonArray("metrics", new JsonArray()).stream()
          .map(o -> (JsonObject) o)
          .map(m -> new RolloutConfig.MetricGate(m.getString("name"), m.getString("query"), m.getDouble("min"),
              m.getDouble("max")))
          .toList();
      RolloutConfig plan = new RolloutConfig(steps, Duration.ofMillis(Long.parseLong(interval.replace("ms", ""))),
          new RolloutConfig.Gates(g.getDouble("maxErrorRateIncrease", d.maxErrorRateIncrease()),
              g.getDouble("maxP99Ratio", d.maxP99Ratio()), g.getDouble("maxDiffRate", d.maxDiffRate()),
              g.getInteger("minRequests", d.minRequests()), metrics));
      Rollout ro = new Rollout(route, plan, j.getString("startedBy"));
      ro.status = j.getString("status", "running");
      ro.step = Math.max(0, Math.min(steps.size() - 1, j.getInteger("step", 1) - 1));
      ro.owner = j.getString("owner");
      ro.startedAt = j.getString("startedAt");
      ro.stepStartedAt = j.getString("stepStartedAt");
      ro.endedReason = j.getString("endedReason");
      ro.window = j.getString("window");
      ro.lastCheck = j.getJsonObject("lastCheck");
      ro.heartbeat = j.getLong("heartbeat", 0L);
      j.getJsonArray("history", new JsonArray()).forEach(ro.history::add);
      return ro;
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "the saved rollout of route " + route.name() + " cannot be read; ignored", e);
      return null;
    }
  }
}
