package dev.tandem.proxy.canary;

import dev.tandem.proxy.config.CanaryConfig;
import dev.tandem.proxy.config.Percent;
import dev.tandem.proxy.config.RolloutConfig;
import dev.tandem.proxy.route.Route;
import dev.tandem.proxy.route.RouteTable;
import dev.tandem.proxy.state.StateStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Run-time control of routes: canary weights, mirror percents, rollbacks and progressive rollouts, each change
 * applied to the next request, saved in the {@link StateStore} and written to the audit log with its caller and
 * reason. Changes saved by another instance arrive through the store and are applied here too.
 */
public final class RouteControl {

  private static final Logger LOG = Logger.getLogger(RouteControl.class.getName());
  /** The caller recorded for changes the rollout controller makes by itself. */
  public static final String ROLLOUT_CALLER = "rollout";

  private final Vertx vertx;
  private final RouteTable routes;
  private final StateStore store;
  private final MeterRegistry registry;
  private final Clock clock;
  private final String instance = UUID.randomUUID().toString().substring(0, 8);
  private final Map<String, SideStats[]> stats = new HashMap<>();
  private final Map<String, Rollout> rollouts = new HashMap<>();
  private final Map<String, Counter> gateCounters = new HashMap<>();
  /** Per route, the version of the newest state applied or made here; older saved states are ignored. */
  private final Map<String, Long> versions = new HashMap<>();
  private final Function<String, Double> diffRate;

  /**
   * @param diffRate per route: percent of compared exchanges that differed since the last call, or null when the
   *                 route does not compare (the rollout's diffRate gate is then skipped)
   */
  private RouteControl(Vertx vertx, RouteTable routes, StateStore store, MeterRegistry registry, Clock clock,
                       Function<String, Double> diffRate) {
    this.vertx = vertx;
    this.routes = routes;
    this.store = store;
    this.registry = registry;
    this.clock = clock;
    this.diffRate = diffRate;
    for (Route r : routes.routes()) {
      if (r.config().canary() != null) {
        stats.put(r.name(), new SideStats[] {new SideStats(), new SideStats()});
        Gauge.builder("tandem.canary.weight", r.state(), s -> s.canaryWeight())
            .description("Percent of users sent to the canary").tags("route", r.name()).register(registry);
        Gauge.builder("tandem.rollout.step", this, c -> c.currentStep(r.name()))
            .description("The rollout's current step, counted from 1; 0 when no rollout is running")
            .tags("route", r.name()).register(registry);
      }
    }
  }

  /** Loads the saved state, applies it over the configuration's values, and resumes a rollout left running. */
  public static Future<RouteControl> start(Vertx vertx, RouteTable routes, StateStore store, MeterRegistry registry,
                                           Function<String, Double> diffRate) {
    RouteControl control = new RouteControl(vertx, routes, store, registry, Clock.systemUTC(), diffRate);
    return store.load().timeout(5, java.util.concurrent.TimeUnit.SECONDS).recover(e -> {
      if (!store.startsWithoutSavedState()) {
        return Future.failedFuture(e);
      }
      LOG.warning("the saved run-time state cannot be read (" + e.getMessage() + "); starting with the"
          + " configuration's weights until the state store answers");
      return Future.succeededFuture(Map.of());
    }).map(saved -> {
      saved.forEach((name, state) -> control.applySaved(name, state, true));
      store.onChange((name, state) -> control.applySaved(name, state, false));
      return control;
    });
  }

  /** Per route with a canary, the primary's and the canary's interval stats ([0] and [1]) for the data plane. */
  public SideStats[] stats(String route) {
    return stats.get(route);
  }

  // --- changes --------------------------------------------------------------------------------------------------

  public synchronized Future<JsonObject> setWeight(String route, double weight, String caller, String reason) {
    Route r = canaryRoute(route);
    Rollout running = rollouts.get(route);
    if (running != null && running.active()) {
      throw new ControlException(409, "route '" + route + "' has a rollout " + running.status + "; its next step would"
          + " overwrite this weight. Pause or abort the rollout first, or roll back");
    }
    double old = r.state().canaryWeight();
    r.state().canaryWeight(weight);
    return persist(r, caller, "set_weight", weightJson(old), weightJson(weight), reason).map(v -> locked(() -> view(r)));
  }

  public synchronized Future<JsonObject> setMirror(String route, double percent, String caller, String reason) {
    Route r = route(route);
    if (r.config().mirror() == null) {
      throw new ControlException(409, "route '" + route + "' has no mirror; add mirror: { backend: ... } to its"
          + " configuration first");
    }
    double old = r.state().mirrorPercent();
    r.state().mirrorPercent(percent);
    return persist(r, caller, "set_mirror", new JsonObject().put("percent", old),
        new JsonObject().put("percent", percent), reason).map(v -> locked(() -> view(r)));
  }

  /** Weight to 0 and any rollout stopped. */
  public synchronized Future<JsonObject> rollback(String route, String caller, String reason) {
    Route r = canaryRoute(route);
    Rollout ro = rollouts.get(route);
    if (ro != null && ro.active()) {
      ro.stop("rolled_back", reason == null ? "manual rollback by " + caller : reason);
    }
    double old = r.state().canaryWeight();
    r.state().canaryWeight(0);
    return persist(r, caller, "rollback", weightJson(old), weightJson(0), reason).map(v -> locked(() -> view(r)));
  }

  public synchronized Future<JsonObject> startRollout(String route, RolloutConfig plan, String caller,
                                                      String reason) {
    Route r = canaryRoute(route);
    Rollout running = rollouts.get(route);
    if (running != null && running.active()) {
      throw new ControlException(409, "route '" + route + "' already has a rollout " + running.status
          + "; abort it first");
    }
    Rollout ro = new Rollout(this, r, plan, caller);
    rollouts.put(route, ro);
    double old = r.state().canaryWeight();
    ro.enterStep(0);
    return persist(r, caller, "rollout_start", weightJson(old),
        weightJson(r.state().canaryWeight()).put("rollout", ro.plan()), reason).map(v -> locked(ro::toJson));
  }

  public synchronized Future<JsonObject> pauseRollout(String route, String caller, String reason) {
    Rollout ro = activeRollout(route);
    if (!ro.status.equals("running")) {
      throw new ControlException(409, "the rollout of route '" + route + "' is " + ro.status + ", not running");
    }
    ro.pause();
    return persist(ro.route, caller, "rollout_pause", null, null, reason).map(v -> locked(ro::toJson));
  }

  /** Resumes a paused rollout; on another instance than the one that started it, this instance takes it over. */
  public synchronized Future<JsonObject> resumeRollout(String route, String caller, String reason) {
    Rollout ro = activeRollout(route);
    if (ro.status.equals("running") && (ro.driving() || ro.alive(clock.millis()))) {
      throw new ControlException(409, "the rollout of route '" + route + "' is already running"
          + (ro.driving() ? "" : " on instance " + ro.owner));
    }
    ro.resume();
    return persist(ro.route, caller, "rollout_resume", null, null, reason).map(v -> locked(ro::toJson));
  }

  /** Stops the rollout and sends every user back to the primary, as Argo Rollouts' abort does. */
  public synchronized Future<JsonObject> abortRollout(String route, String caller, String reason) {
    Rollout ro = activeRollout(route);
    double old = ro.route.state().canaryWeight();
    ro.stop("aborted", reason == null ? "aborted by " + caller : reason);
    ro.route.state().canaryWeight(0);
    return persist(ro.route, caller, "rollout_abort", weightJson(old), weightJson(0), reason).map(v -> locked(ro::toJson));
  }

  /** Where the route's rollout stands; {@code {"status": "none"}} when it never had one. */
  public synchronized JsonObject rollout(String route) {
    canaryRoute(route);
    Rollout ro = rollouts.get(route);
    return ro == null ? new JsonObject().put("route", route).put("status", "none") : ro.toJson();
  }

  public Future<List<JsonObject>> audit(int limit) {
    return store.audit(limit);
  }

  /** Builds a view under this object's lock (the callbacks of saves run outside it). */
  private synchronized JsonObject locked(java.util.function.Supplier<JsonObject> view) {
    return view.get();
  }

  /** The route as the admin API shows it after a change. */
  public JsonObject view(Route r) {
    JsonObject out = new JsonObject().put("route", r.name());
    if (r.config().canary() != null) {
      out.put("canary", new JsonObject().put("backend", r.config().canary().backend())
          .put("weight", r.state().canaryWeight()));
    }
    if (r.config().mirror() != null) {
      out.put("mirror", new JsonObject().put("backend", r.config().mirror().backend())
          .put("percent", r.state().mirrorPercent()));
    }
    Rollout ro = rollouts.get(r.name());
    if (ro != null) {
      out.put("rollout", new JsonObject().put("status", ro.status).put("step", ro.step + 1));
    }
    return out;
  }

  public synchronized Future<Void> close() {
    rollouts.values().forEach(Rollout::cancelTimer);
    return store.close();
  }

  // --- internals ------------------------------------------------------------------------------------------------

  private Route route(String name) {
    return routes.byName(name).orElseThrow(() -> new ControlException(404, "no route named '" + name + "'"
        + " (routes: " + String.join(", ", routes.routes().stream().map(Route::name).toList()) + ")"));
  }

  private Route canaryRoute(String name) {
    Route r = route(name);
    if (r.config().canary() == null) {
      throw new ControlException(409, "route '" + name + "' has no canary; add canary: { backend: ... } to its"
          + " configuration first");
    }
    return r;
  }

  private Rollout activeRollout(String route) {
    canaryRoute(route);
    Rollout ro = rollouts.get(route);
    if (ro == null || !ro.active()) {
      throw new ControlException(409, "route '" + route + "' has no rollout running or paused");
    }
    return ro;
  }

  private static JsonObject weightJson(double w) {
    return new JsonObject().put("weight", w);
  }

  private synchronized int currentStep(String route) {
    Rollout ro = rollouts.get(route);
    return ro == null || !ro.active() ? 0 : ro.step + 1;
  }

  /**
   * Writes an audit entry for a change that is not a route's (capture on or off); the change is already applied.
   *
   * @param subject what was changed, shown where a route's name is
   */
  public Future<Void> audit(String subject, String caller, String action, JsonObject old, JsonObject now,
                            String reason) {
    LOG.info(() -> subject + ": " + action + " by " + caller + " → " + now.encode()
        + (reason == null ? "" : " (" + reason + ")"));
    return store.audit(new JsonObject().put("time", clock.instant().toString()).put("caller", caller)
        .put("route", subject).put("action", action).put("old", old).put("new", now).put("reason", reason)
        .put("instance", instance));
  }

  /** Saves the route's state and writes the audit entry; the change is already applied. */
  private Future<Void> persist(Route r, String caller, String action, JsonObject old, JsonObject now,
                               String reason) {
    JsonObject state = stateOf(r);
    JsonObject entry = new JsonObject().put("time", clock.instant().toString()).put("caller", caller)
        .put("route", r.name()).put("action", action).put("old", old).put("new", now).put("reason", reason)
        .put("instance", instance);
    LOG.info(() -> "route " + r.name() + ": " + action + " by " + caller + (now == null ? "" : " → " + now.encode())
        + (reason == null ? "" : " (" + reason + ")"));
    return store.save(r.name(), state).compose(v -> store.audit(entry));
  }

  /** What is saved of a route: its current values and its rollout. */
  private JsonObject stateOf(Route r) {
    long version = versions.merge(r.name(), 1L, Long::sum);
    JsonObject state = new JsonObject().put("version", version).put("canaryWeight", r.state().canaryWeight())
        .put("mirrorPercent", r.state().mirrorPercent()).put("updatedAt", clock.instant().toString());
    Rollout ro = rollouts.get(r.name());
    if (ro != null) {
      state.put("rollout", ro.toJson());
    }
    return state;
  }

  /** Applies a state saved earlier (at start) or by another instance (later). */
  private synchronized void applySaved(String name, JsonObject state, boolean atStart) {
    Route r = routes.byName(name).orElse(null);
    if (r == null) {
      return; // a route removed from the configuration since
    }
    long version = state.getLong("version", 0L);
    long known = versions.getOrDefault(name, 0L);
    if (version < known) {
      // Older than what this instance has (a change whose save failed while the store was down): save ours again.
      if (!atStart) {
        store.save(name, stateOf(r)).onFailure(e -> { });
      }
      return;
    }
    versions.put(name, version);
    if (r.config().canary() != null && state.getValue("canaryWeight") instanceof Number w
        && Percent.problem(w.doubleValue()) == null) {
      r.state().canaryWeight(w.doubleValue());
    }
    if (r.config().mirror() != null && state.getValue("mirrorPercent") instanceof Number p
        && Percent.problem(p.doubleValue()) == null) {
      r.state().mirrorPercent(p.doubleValue());
    }
    JsonObject saved = state.getJsonObject("rollout");
    Rollout mine = rollouts.get(name);
    if (saved == null || r.config().canary() == null) {
      return;
    }
    if (mine != null && mine.driving()) {
      // This instance drives the rollout; another one may have paused, aborted or rolled it back.
      String status = saved.getString("status", "");
      if (!status.equals("running")) {
        mine.cancelTimer();
        mine.status = status;
        mine.endedReason = saved.getString("endedReason");
      }
      return;
    }
    Rollout copy = Rollout.fromJson(this, r, saved);
    if (copy == null) {
      return;
    }
    rollouts.put(name, copy);
    // Pick up a running rollout that nobody drives: after a restart (the file store has no other instance), or when
    // the instance that drove it has not checked a step for two intervals.
    boolean orphaned = copy.status.equals("running")
        && ((atStart && !store.startsWithoutSavedState()) || !copy.alive(clock.millis()));
    if (orphaned) {
      // Restarted: pick the rollout up where it stood, with a fresh interval for the current step.
      copy.owner = instance;
      copy.resumeTimer();
      LOG.info(() -> "route " + name + ": taking over the rollout at step " + (copy.step + 1));
      store.save(name, stateOf(r)).onFailure(e -> { });
    }
  }

  private Counter gateCounter(String route, String gate, String result) {
    return gateCounters.computeIfAbsent(route + '\u0000' + gate + '\u0000' + result,
        k -> Counter.builder("tandem.rollout.gates").description("Rollout gate checks by gate and result")
            .tags("route", route, "gate", gate, "result", result).register(registry));
  }

  /** One route's rollout: steps driven by a timer on the instance that owns it. */
  private static final class Rollout {

    private static final int MAX_HISTORY = 100;

    private final RouteControl control;
    private final Route route;
    private final RolloutConfig plan;
    private final String startedBy;
    private String status = "running";
    private int step;
    private String owner;
    private String startedAt;
    private String stepStartedAt;
    private String endedReason;
    private JsonObject lastCheck;
    private long heartbeat;
    private final io.vertx.core.json.JsonArray history = new io.vertx.core.json.JsonArray();
    private long timer = -1;

    Rollout(RouteControl control, Route route, RolloutConfig plan, String startedBy) {
      this.control = control;
      this.route = route;
      this.plan = plan;
      this.startedBy = startedBy;
    }

    boolean active() {
      return status.equals("running") || status.equals("paused");
    }

    boolean driving() {
      return timer >= 0;
    }

    /** Whether the instance driving this rollout checked it recently (within two intervals and 5 s). */
    boolean alive(long nowMillis) {
      return heartbeat > 0 && nowMillis - heartbeat < 2 * plan.interval().toMillis() + 5_000;
    }

    JsonObject plan() {
      return new JsonObject().put("steps", new io.vertx.core.json.JsonArray(plan.steps()))
          .put("interval", plan.interval().toMillis() + "ms")
          .put("gates", JsonObject.mapFrom(new LinkedHashMap<>(Map.of(
              "maxErrorRateIncrease", plan.gates().maxErrorRateIncrease(),
              "maxP99Ratio", plan.gates().maxP99Ratio(),
              "maxDiffRate", plan.gates().maxDiffRate(),
              "minRequests", plan.gates().minRequests()))));
    }

    void enterStep(int index) {
      RouteControl c = control;
      step = index;
      stepStartedAt = c.clock.instant().toString();
      if (startedAt == null) {
        startedAt = stepStartedAt;
      }
      route.state().canaryWeight(plan.steps().get(index));
      resumeTimer();
    }

    /** (Re)starts the interval of the current step, discarding what was recorded before it. */
    void resumeTimer() {
      RouteControl c = control;
      cancelTimer();
      status = "running";
      owner = c.instance;
      for (SideStats s : c.stats.get(route.name())) {
        s.interval();
      }
      heartbeat = c.clock.millis();
      diffRateReset();
      timer = c.vertx.setTimer(Math.max(1, plan.interval().toMillis()), id -> c.checkStep(this, id));
    }

    /** Starts the diff-rate window with this interval. */
    private void diffRateReset() {
      control.diffRate.apply(route.name());
    }

    void pause() {
      cancelTimer();
      status = "paused";
    }

    void resume() {
      resumeTimer();
    }

    void stop(String finalStatus, String reason) {
      cancelTimer();
      status = finalStatus;
      endedReason = reason;
    }

    void cancelTimer() {
      if (timer >= 0) {
        control.vertx.cancelTimer(timer);
        timer = -1;
      }
    }

    void record(JsonObject event) {
      history.add(event);
      while (history.size() > MAX_HISTORY) {
        history.remove(0);
      }
    }

    JsonObject toJson() {
      return new JsonObject().put("route", route.name()).put("status", status).put("step", step + 1)
          .put("steps", plan.steps().size()).put("weight", plan.steps().get(step))
          .put("currentWeight", route.state().canaryWeight()).put("plan", plan()).put("startedBy", startedBy)
          .put("startedAt", startedAt).put("stepStartedAt", stepStartedAt).put("owner", owner)
          .put("endedReason", endedReason).put("lastCheck", lastCheck).put("heartbeat", heartbeat)
          .put("history", history.copy());
    }

    static Rollout fromJson(RouteControl control, Route route, JsonObject j) {
      try {
        JsonObject p = j.getJsonObject("plan");
        List<Double> steps = p.getJsonArray("steps").stream().map(o -> ((Number) o).doubleValue()).toList();
        String interval = p.getString("interval", "60000ms");
        JsonObject g = p.getJsonObject("gates", new JsonObject());
        RolloutConfig.Gates d = RolloutConfig.Gates.DEFAULT;
        RolloutConfig plan = new RolloutConfig(steps,
            java.time.Duration.ofMillis(Long.parseLong(interval.replace("ms", ""))),
            new RolloutConfig.Gates(g.getDouble("maxErrorRateIncrease", d.maxErrorRateIncrease()),
                g.getDouble("maxP99Ratio", d.maxP99Ratio()), g.getDouble("maxDiffRate", d.maxDiffRate()),
                g.getInteger("minRequests", d.minRequests())));
        Rollout ro = new Rollout(control, route, plan, j.getString("startedBy"));
        ro.status = j.getString("status", "running");
        ro.step = Math.max(0, Math.min(steps.size() - 1, j.getInteger("step", 1) - 1));
        ro.owner = j.getString("owner");
        ro.startedAt = j.getString("startedAt");
        ro.stepStartedAt = j.getString("stepStartedAt");
        ro.endedReason = j.getString("endedReason");
        ro.lastCheck = j.getJsonObject("lastCheck");
        ro.heartbeat = j.getLong("heartbeat", 0L);
        j.getJsonArray("history", new io.vertx.core.json.JsonArray()).forEach(ro.history::add);
        return ro;
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "the saved rollout of route " + route.name() + " cannot be read; ignored", e);
        return null;
      }
    }
  }

  /** The end of a step's interval: check the gates, then step up, wait, finish or roll back. */
  private synchronized void checkStep(Rollout ro, long timerId) {
    if (ro.timer != timerId) {
      return; // cancelled or replaced since
    }
    ro.timer = -1;
    if (rollouts.get(ro.route.name()) != ro || !ro.status.equals("running")) {
      return;
    }
    SideStats[] s = stats.get(ro.route.name());
    GateCheck.Result result = GateCheck.check(ro.plan.gates(), s[1].interval(), s[0].interval(),
        diffRate.apply(ro.route.name()));
    for (GateCheck.Gate g : result.gates()) {
      gateCounter(ro.route.name(), g.gate(), g.result()).increment();
    }
    ro.lastCheck = result.toJson().put("time", clock.instant().toString()).put("step", ro.step + 1);
    ro.record(ro.lastCheck.copy().put("weight", ro.plan.steps().get(ro.step)));
    Route r = ro.route;
    double old = r.state().canaryWeight();
    switch (result.verdict()) {
      case FAIL -> {
        String why = "step " + (ro.step + 1) + " at " + Percent.plain(old) + "%: " + result.failures();
        ro.stop("rolled_back", why);
        r.state().canaryWeight(0);
        persist(r, ROLLOUT_CALLER, "rollout_rollback", weightJson(old), weightJson(0), why)
            .onFailure(e -> LOG.warning("saving the rollback of route " + r.name() + " failed: " + e.getMessage()));
      }
      case WAIT -> {
        // Not audited (an idle route would fill the log); the rollout's history and lastCheck show it.
        ro.resumeTimer();
        store.save(r.name(), stateOf(r))
            .onFailure(e -> LOG.warning("saving the rollout of route " + r.name() + " failed: " + e.getMessage()));
      }
      case PASS -> {
        if (ro.step + 1 >= ro.plan.steps().size()) {
          ro.stop("completed", "every step passed its gates");
          persist(r, ROLLOUT_CALLER, "rollout_complete", weightJson(old), weightJson(old), null);
        } else {
          ro.enterStep(ro.step + 1);
          persist(r, ROLLOUT_CALLER, "rollout_step", weightJson(old), weightJson(r.state().canaryWeight())
              .put("step", ro.step + 1), "gates passed at step " + ro.step);
        }
      }
      default -> throw new IllegalStateException();
    }
  }
}
