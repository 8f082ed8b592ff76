package dev.tandem.proxy.canary;

import dev.tandem.proxy.capture.Capturing;
import dev.tandem.proxy.config.CanaryConfig;
import dev.tandem.proxy.config.Percent;
import dev.tandem.proxy.config.RolloutConfig;
import dev.tandem.proxy.config.RolloutSettings;
import dev.tandem.proxy.fleet.FleetFigures;
import dev.tandem.proxy.fleet.RedisLease;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Run-time control of routes and of the capture switch: canary weights, mirror percents, rollbacks, resets and
 * progressive rollouts, each change applied to the next request, saved in the {@link StateStore} as an override of
 * the configured value it replaced ({@link Overrides}), and written to the audit log with its caller and reason.
 * Changes saved by another instance arrive through the store and are applied here too. A rollout is driven by the
 * instance holding its {@link RolloutLease}; the gates judge {@link RolloutFigures} — with state in Redis, the whole
 * fleet's — and its metric gates ask Prometheus ({@link MetricGates}).
 */
public final class RouteControl {

  private static final Logger LOG = Logger.getLogger(RouteControl.class.getName());
  /** The caller recorded for changes the rollout controller makes by itself. */
  public static final String ROLLOUT_CALLER = "rollout";
  /** Where the capture switch is saved among the routes (no route name starts with '@'). */
  static final String CAPTURE = "@capture";
  private static final String WEIGHT = "canaryWeight";
  private static final String MIRROR = "mirrorPercent";
  private static final String ENABLED = "enabled";
  private static final String SHARE = "percent";

  private final Vertx vertx;
  private final RouteTable routes;
  private final StateStore store;
  private final MeterRegistry registry;
  private final Clock clock;
  private final String instance = UUID.randomUUID().toString().substring(0, 8);
  private final Map<String, SideStats[]> stats = new HashMap<>();
  private final Map<String, Rollout> rollouts = new HashMap<>();
  private final Map<String, Counter> gateCounters = new HashMap<>();
  /** Per subject, the version of the newest state applied or made here; older saved states are ignored. */
  private final Map<String, Long> versions = new HashMap<>();
  private final Map<String, Overrides> overrides = new HashMap<>();
  /** Subjects whose last save failed (the store was down): saved again every second until one succeeds. Bounded by
   * the configured routes and the capture switch. */
  private final java.util.Set<String> unsaved = new java.util.HashSet<>();
  private long saveRetryTimer = -1;
  /** Audit entries of changes not saved yet, oldest first; written when their subject's state is saved. */
  private final List<JsonObject> unaudited = new ArrayList<>();
  static final int MAX_UNAUDITED = 1000;
  private boolean closed;
  private final List<String> notices = new ArrayList<>();
  private final Function<String, long[]> diffCounts;
  private final Capturing capturing;
  private final RolloutFigures figures;
  private final RolloutLease lease;
  private final MetricGates metricGates;

  /**
   * @param diffCounts per route: compared and really differing exchanges since the last call
   * @param capturing  the capture switch, shared like a route; null for none
   */
  private RouteControl(Vertx vertx, RouteTable routes, StateStore store, MeterRegistry registry, Clock clock,
                       Function<String, long[]> diffCounts, Capturing capturing, RolloutSettings settings) {
    this.vertx = vertx;
    this.routes = routes;
    this.store = store;
    this.registry = registry;
    this.clock = clock;
    this.diffCounts = diffCounts;
    this.capturing = capturing;
    Gauge.builder("tandem.audit.waiting", this, c -> c.waitingAudits())
        .description("Audit entries of changes whose state is not saved yet (the state store is down), at most "
            + MAX_UNAUDITED)
        .register(registry);
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
    RolloutFigures.Source source = this::drain;
    if (store.sharedRedis() != null) {
      this.lease = new RedisLease(store.sharedRedis(), store.prefix());
      this.figures = new FleetFigures(vertx, store.sharedRedis(), store.prefix(), instance, source);
    } else {
      this.lease = RolloutLease.local();
      this.figures = RolloutFigures.local(source);
    }
    this.metricGates = new MetricGates(vertx, settings);
  }

  /**
   * Loads the saved state and applies it over the configuration's values — an override whose configured value is
   * no longer the file's gives way to the file — and picks up a rollout left running.
   */
  public static Future<RouteControl> start(Vertx vertx, RouteTable routes, StateStore store, MeterRegistry registry,
                                           Function<String, long[]> diffCounts, Capturing capturing,
                                           RolloutSettings settings) {
    RouteControl control = new RouteControl(vertx, routes, store, registry, Clock.systemUTC(), diffCounts, capturing,
        settings);
    return store.load().timeout(5, java.util.concurrent.TimeUnit.SECONDS).recover(e -> {
      if (!store.startsWithoutSavedState()) {
        return Future.failedFuture(e);
      }
      control.notice("the saved run-time state cannot be read (" + e.getMessage() + "); the configuration's values"
          + " apply until the state store answers");
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

  /** What the start found in the saved state: every override in force, and what was not applied and why. */
  public synchronized List<String> notices() {
    return List.copyOf(notices);
  }

  private void notice(String line) {
    notices.add(line);
    LOG.info(line);
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
    weight(r, weight, caller, reason);
    return persist(r.name(), caller, "set_weight", weightJson(old), weightJson(weight), reason)
        .map(v -> locked(() -> view(r)));
  }

  public synchronized Future<JsonObject> setMirror(String route, double percent, String caller, String reason) {
    Route r = route(route);
    if (r.config().mirror() == null) {
      throw new ControlException(409, "route '" + route + "' has no mirror; add mirror: { backend: ... } to its"
          + " configuration first");
    }
    double old = r.state().mirrorPercent();
    r.state().mirrorPercent(percent);
    overrides(r.name()).set(MIRROR, percent, r.config().mirror().percent(), caller, clock.instant(), reason);
    return persist(r.name(), caller, "set_mirror", new JsonObject().put("percent", old),
        new JsonObject().put("percent", percent), reason).map(v -> locked(() -> view(r)));
  }

  /** Weight to 0 and any rollout stopped. */
  public synchronized Future<JsonObject> rollback(String route, String caller, String reason) {
    Route r = canaryRoute(route);
    Rollout ro = rollouts.get(route);
    if (ro != null && ro.active()) {
      stop(ro, "rolled_back", reason == null ? "manual rollback by " + caller : reason);
    }
    double old = r.state().canaryWeight();
    weight(r, 0, caller, reason);
    return persist(r.name(), caller, "rollback", weightJson(old), weightJson(0), reason)
        .map(v -> locked(() -> view(r)));
  }

  /** Drops every override of the route: its weight and mirror percent are the configuration's again. */
  public synchronized Future<JsonObject> reset(String route, String caller, String reason) {
    Route r = route(route);
    Rollout ro = rollouts.get(route);
    if (ro != null && ro.active()) {
      throw new ControlException(409, "route '" + route + "' has a rollout " + ro.status + "; abort it first");
    }
    JsonObject old = values(r);
    resetToConfig(r);
    return persist(r.name(), caller, "reset", old, values(r), reason).map(v -> locked(() -> view(r)));
  }

  /** Turns capture on or off and sets its share, on every instance (through the store). */
  public synchronized Future<JsonObject> setCapture(Boolean on, Double share, String caller, String reason) {
    if (capturing == null) {
      throw new ControlException(409, "capture is not configured");
    }
    JsonObject old = captureValues();
    JsonObject now = capturing.set(on, share); // throws IllegalArgumentException for a bad share
    Overrides o = overrides(CAPTURE);
    if (on != null) {
      o.set(ENABLED, on, capturing.config().enabled(), caller, clock.instant(), reason);
    }
    if (share != null) {
      o.set(SHARE, share, capturing.config().percent(), caller, clock.instant(), reason);
    }
    return persist(CAPTURE, caller, "set-capture", old, captureValues(), reason).map(v -> now);
  }

  private JsonObject captureValues() {
    JsonObject view = capturing.view();
    return new JsonObject().put(ENABLED, view.getBoolean("enabled")).put(SHARE, view.getDouble("percent"));
  }

  public synchronized Future<JsonObject> startRollout(String route, RolloutConfig plan, String caller,
                                                      String reason) {
    Route r = canaryRoute(route);
    Rollout running = rollouts.get(route);
    if (running != null && running.active()) {
      throw new ControlException(409, "route '" + route + "' already has a rollout " + running.status
          + "; abort it first");
    }
    Rollout ro = new Rollout(r, plan, caller);
    rollouts.put(route, ro);
    double old = r.state().canaryWeight();
    ro.startedAt = clock.instant().toString();
    enterStep(ro, 0);
    // Saved only once the lease is taken: until then, a change announced earlier (this instance's own, echoed back
    // by the store) must not undo the step just entered, so the version moves on now.
    versions.merge(route, 1L, Long::sum);
    return lease.take(route, holder(ro), ro.leaseTtl()).otherwise(false).compose(v -> locked(() -> {
      drive(ro);
      return persist(r.name(), caller, "rollout_start", weightJson(old),
          weightJson(r.state().canaryWeight()).put("rollout", ro.planJson()), reason)
          .map(x -> locked(() -> ro.toJson(r.state().canaryWeight())));
    }));
  }

  public synchronized Future<JsonObject> pauseRollout(String route, String caller, String reason) {
    Rollout ro = activeRollout(route);
    if (!ro.status.equals("running")) {
      throw new ControlException(409, "the rollout of route '" + route + "' is " + ro.status + ", not running");
    }
    undrive(ro);
    ro.status = "paused";
    return persist(route, caller, "rollout_pause", null, null, reason).map(v -> view(ro));
  }

  /**
   * Resumes a paused rollout here; a running one that nobody drives (its driver gone, the lease expired) is taken
   * over too. A rollout another instance drives is 409.
   */
  public synchronized Future<JsonObject> resumeRollout(String route, String caller, String reason) {
    Rollout ro = activeRollout(route);
    if (ro.status.equals("running") && ro.driving) {
      throw new ControlException(409, "the rollout of route '" + route + "' is already running here");
    }
    boolean paused = ro.status.equals("paused");
    Future<Boolean> taken = paused ? lease.take(route, holder(ro), ro.leaseTtl())
        : lease.tryTake(route, holder(ro), ro.leaseTtl());
    return taken.compose(mine -> locked(() -> {
      if (!mine) {
        throw new ControlException(409, "the rollout of route '" + route + "' is already running on instance "
            + ro.owner);
      }
      ro.status = "running";
      drive(ro);
      return persist(route, caller, "rollout_resume", null, null, reason).map(v -> view(ro));
    }));
  }

  /** Stops the rollout and sends every user back to the primary, as Argo Rollouts' abort does. */
  public synchronized Future<JsonObject> abortRollout(String route, String caller, String reason) {
    Rollout ro = activeRollout(route);
    double old = ro.route.state().canaryWeight();
    stop(ro, "aborted", reason == null ? "aborted by " + caller : reason);
    weight(ro.route, 0, caller, reason);
    return persist(route, caller, "rollout_abort", weightJson(old), weightJson(0), reason).map(v -> view(ro));
  }

  /** Where the route's rollout stands; {@code {"status": "none"}} when it never had one. */
  public synchronized JsonObject rollout(String route) {
    canaryRoute(route);
    Rollout ro = rollouts.get(route);
    return ro == null ? new JsonObject().put("route", route).put("status", "none") : view(ro);
  }

  private synchronized JsonObject view(Rollout ro) {
    return ro.toJson(ro.route.state().canaryWeight()).put("driving", ro.driving);
  }

  public Future<List<JsonObject>> audit(int limit) {
    return store.audit(limit);
  }

  /** Builds a view under this object's lock (the callbacks of saves run outside it). */
  private synchronized <T> T locked(java.util.function.Supplier<T> view) {
    return view.get();
  }

  /** The route as the admin API shows it after a change, with what overrides its configuration. */
  public synchronized JsonObject view(Route r) {
    JsonObject out = new JsonObject().put("route", r.name());
    if (r.config().canary() != null) {
      out.put("canary", new JsonObject().put("backend", r.config().canary().backend())
          .put("weight", r.state().canaryWeight()));
    }
    if (r.config().mirror() != null) {
      out.put("mirror", new JsonObject().put("backend", r.config().mirror().backend())
          .put("percent", r.state().mirrorPercent()));
    }
    Overrides o = overrides.get(r.name());
    if (o != null && !o.isEmpty()) {
      out.put("overrides", o.toJson());
    }
    Rollout ro = rollouts.get(r.name());
    if (ro != null) {
      out.put("rollout", new JsonObject().put("status", ro.status).put("step", ro.step + 1));
    }
    return out;
  }

  /** Stops driving; a rollout driven here is handed over at once (its lease released) for another instance. */
  public synchronized Future<Void> close() {
    closed = true;
    List<Future<?>> released = new ArrayList<>();
    for (Rollout ro : rollouts.values()) {
      if (ro.driving) {
        undrive(ro);
        released.add(lease.release(ro.route.name(), holder(ro)).otherwiseEmpty());
      }
    }
    if (saveRetryTimer >= 0) {
      vertx.cancelTimer(saveRetryTimer);
      saveRetryTimer = -1;
    }
    released.add(figures.close());
    released.add(metricGates.close());
    return Future.join(released).transform(v -> store.close());
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

  private Overrides overrides(String subject) {
    return overrides.computeIfAbsent(subject, k -> new Overrides(null));
  }

  private void weight(Route r, double weight, String by, String reason) {
    r.state().canaryWeight(weight);
    overrides(r.name()).set(WEIGHT, weight, r.config().canary().weight(), by, clock.instant(), reason);
  }

  private static JsonObject values(Route r) {
    JsonObject v = new JsonObject();
    if (r.config().canary() != null) {
      v.put("weight", r.state().canaryWeight());
    }
    if (r.config().mirror() != null) {
      v.put("percent", r.state().mirrorPercent());
    }
    return v;
  }

  private void resetToConfig(Route r) {
    if (r.config().canary() != null) {
      r.state().canaryWeight(r.config().canary().weight());
    }
    if (r.config().mirror() != null) {
      r.state().mirrorPercent(r.config().mirror().percent());
    }
    overrides.remove(r.name());
  }

  private static JsonObject weightJson(double w) {
    return new JsonObject().put("weight", w);
  }

  private synchronized int currentStep(String route) {
    Rollout ro = rollouts.get(route);
    return ro == null || !ro.active() ? 0 : ro.step + 1;
  }

  /** The figures of one route since the last call, from this instance's traffic. */
  private Figures drain(String route) {
    SideStats[] s = stats.get(route);
    Route r = routes.byName(route).orElse(null);
    boolean compares = r != null && r.config().mirror() != null && r.config().mirror().compare();
    long[] d = compares ? diffCounts.apply(route) : null;
    return new Figures(s[0].drain(), s[1].drain(), d == null ? -1 : d[0], d == null ? 0 : d[1]);
  }

  /**
   * Writes an audit entry for a change that is not a route's; the change is already applied.
   *
   * @param subject what was changed, shown where a route's name is
   */
  public Future<Void> audit(String subject, String caller, String action, JsonObject old, JsonObject now,
                            String reason) {
    return store.audit(auditEntry(subject, caller, action, old, now, reason));
  }

  private JsonObject auditEntry(String subject, String caller, String action, JsonObject old, JsonObject now,
                                String reason) {
    LOG.info(() -> subject + ": " + action + " by " + caller + (now == null ? "" : " → " + now.encode())
        + (reason == null ? "" : " (" + reason + ")"));
    return new JsonObject().put("time", clock.instant().toString()).put("caller", caller)
        .put("route", subject).put("action", action).put("old", old).put("new", now).put("reason", reason)
        .put("instance", instance);
  }

  /**
   * Saves the subject's state and writes the audit entry; the change is already applied. When the save fails, the
   * entry waits for the retry that saves the change (it reaches the fleet then, so it is audited then, marked
   * {@code savedLate}).
   */
  private Future<Void> persist(String subject, String caller, String action, JsonObject old, JsonObject now,
                               String reason) {
    JsonObject entry = auditEntry(subject, caller, action, old, now, reason);
    return save(subject).onFailure(e -> auditLater(entry)).compose(v -> store.audit(entry));
  }

  private synchronized void auditLater(JsonObject entry) {
    if (unaudited.size() >= MAX_UNAUDITED) {
      JsonObject dropped = unaudited.remove(0);
      LOG.warning("audit entry not kept while the state store is down (" + MAX_UNAUDITED + " are waiting): "
          + dropped.encode());
    }
    unaudited.add(entry.copy().put("savedLate", true));
  }

  private synchronized int waitingAudits() {
    return unaudited.size();
  }

  /** The audit entries of {@code subject}'s changes, now that its state is saved. */
  private synchronized void auditSaved(String subject) {
    for (java.util.Iterator<JsonObject> it = unaudited.iterator(); it.hasNext(); ) {
      JsonObject entry = it.next();
      if (subject.equals(entry.getString("route"))) {
        it.remove();
        store.audit(entry).onFailure(e -> LOG.warning("audit entry not written: " + entry.encode()));
      }
    }
  }

  /**
   * Saves a subject's state as it is now. A failed save is tried again every second (with the state as it is then)
   * until one succeeds, so that a change made while the store was down reaches the fleet when it is back, even if
   * the store lost everything meanwhile.
   */
  private Future<Void> save(String subject) {
    return save(subject, true);
  }

  /**
   * @param change true for a new state (a new version); false to try again what could not be saved, under the
   *               version it had, so that a change that failed long ago does not outrank a newer one from another
   *               instance once the store is back
   */
  private Future<Void> save(String subject, boolean change) {
    return store.save(subject, stateOf(subject, change)).andThen(ar -> savedOrNot(subject, ar.succeeded()));
  }

  private synchronized void savedOrNot(String subject, boolean saved) {
    if (saved) {
      unsaved.remove(subject);
      auditSaved(subject);
      if (unsaved.isEmpty() && saveRetryTimer >= 0) {
        vertx.cancelTimer(saveRetryTimer);
        saveRetryTimer = -1;
      }
    } else if (unsaved.add(subject) && saveRetryTimer < 0 && !closed) {
      saveRetryTimer = vertx.setPeriodic(SAVE_RETRY_MILLIS, id -> retryUnsaved());
    }
  }

  private synchronized void retryUnsaved() {
    for (String subject : List.copyOf(unsaved)) {
      save(subject, false).onFailure(e -> LOG.fine(() -> "state of " + subject + " still not saved: "
          + e.getMessage()));
    }
  }

  static final long SAVE_RETRY_MILLIS = 1_000;

  /** What is saved of a subject: its overrides and, for a route, its rollout. */
  private synchronized JsonObject stateOf(String subject, boolean change) {
    long version = change ? versions.merge(subject, 1L, Long::sum) : versions.getOrDefault(subject, 0L);
    Overrides o = overrides.get(subject);
    JsonObject state = new JsonObject().put("version", version)
        .put("overrides", o == null ? new JsonObject() : o.toJson()).put("updatedAt", clock.instant().toString());
    Rollout ro = rollouts.get(subject);
    if (ro != null) {
      state.put("rollout", ro.toJson(ro.route.state().canaryWeight()));
    }
    return state;
  }

  // --- applying saved state -------------------------------------------------------------------------------------

  /** Applies a state saved earlier (at start) or by another instance (later). */
  private synchronized void applySaved(String subject, JsonObject state, boolean atStart) {
    if (subject.equals(CAPTURE)) {
      applyCapture(state, atStart);
      return;
    }
    Route r = routes.byName(subject).orElse(null);
    if (r == null) {
      if (atStart) {
        notice("saved state of route '" + subject + "', which is not in the configuration, is not applied");
      }
      return;
    }
    long version = state.getLong("version", 0L);
    long known = versions.getOrDefault(subject, 0L);
    if (version < known) {
      // Older than what this instance has (a change whose save failed while the store was down): save ours again.
      if (!atStart) {
        save(subject).onFailure(e -> { });
      }
      return;
    }
    versions.put(subject, version);
    JsonObject saved = state.getJsonObject("overrides");
    if (saved == null) {
      if (atStart && (state.containsKey(WEIGHT) || state.containsKey(MIRROR))) {
        notice("route " + subject + ": run-time state saved by an earlier Tandem (" + legacy(state)
            + ") does not say which configured values it overrode; not applied, the file's values stand");
      }
      saved = new JsonObject();
    }
    boolean configChanged = false;
    Overrides now = new Overrides(null);
    for (String field : saved.fieldNames()) {
      JsonObject o = saved.getJsonObject(field);
      Object configured = configured(r, field);
      if (o == null || configured == NOT_APPLICABLE || !(o.getValue("value") instanceof Number value)
          || Percent.problem(value.doubleValue()) != null) {
        continue;
      }
      if (atStart && !Overrides.same(o.getValue("configured"), configured)) {
        configChanged = true;
        audit(subject, "config", "config_changed", new JsonObject().put(field, value),
            new JsonObject().put(field, configured), "the configuration's " + label(field) + " is "
                + Percent.plain(((Number) configured).doubleValue()) + "% now, was " + o.getValue("configured")
                + "% when " + o.getString("by") + " set " + Percent.plain(value.doubleValue()) + "%")
            .onFailure(e -> { });
        notice("route " + subject + ": " + label(field) + " " + Percent.plain(((Number) configured).doubleValue())
            + "% from the configuration, which changed since " + o.getString("by") + " set "
            + Percent.plain(value.doubleValue()) + "% (the override is dropped)");
        continue;
      }
      now.set(field, value.doubleValue(), configured, o.getString("by"), instantOf(o.getString("at")),
          o.getString("reason"));
      if (atStart) {
        notice("route " + subject + ": " + label(field) + " " + Percent.plain(value.doubleValue()) + "% (set by "
            + o.getString("by") + " at " + o.getString("at") + "; the file says "
            + Percent.plain(((Number) configured).doubleValue()) + "%)");
      }
    }
    // Each value written once, as it ends up: this runs every second on every instance (the fleet's re-read), and
    // writing the file's value first would let a request or a scrape see it for a moment.
    if (r.config().canary() != null) {
      r.state().canaryWeight(now.names().contains(WEIGHT)
          ? ((Number) now.get(WEIGHT).getValue("value")).doubleValue() : r.config().canary().weight());
    }
    if (r.config().mirror() != null) {
      r.state().mirrorPercent(now.names().contains(MIRROR)
          ? ((Number) now.get(MIRROR).getValue("value")).doubleValue() : r.config().mirror().percent());
    }
    overrides.put(subject, now);
    applyRollout(r, state.getJsonObject("rollout"), atStart);
    if (configChanged) {
      save(subject).onFailure(e -> { });
    }
  }

  private static final Object NOT_APPLICABLE = new Object();

  private static Object configured(Route r, String field) {
    if (field.equals(WEIGHT) && r.config().canary() != null) {
      return r.config().canary().weight();
    }
    if (field.equals(MIRROR) && r.config().mirror() != null) {
      return r.config().mirror().percent();
    }
    return NOT_APPLICABLE;
  }

  private static String label(String field) {
    return field.equals(WEIGHT) ? "canary weight" : field.equals(MIRROR) ? "mirror" : field;
  }

  private static String legacy(JsonObject state) {
    List<String> parts = new ArrayList<>();
    if (state.getValue(WEIGHT) instanceof Number w) {
      parts.add("canary weight " + Percent.plain(w.doubleValue()) + "%");
    }
    if (state.getValue(MIRROR) instanceof Number m) {
      parts.add("mirror " + Percent.plain(m.doubleValue()) + "%");
    }
    return String.join(", ", parts);
  }

  private java.time.Instant instantOf(String at) {
    try {
      return at == null ? clock.instant() : java.time.Instant.parse(at);
    } catch (RuntimeException e) {
      return clock.instant();
    }
  }

  private void applyCapture(JsonObject state, boolean atStart) {
    if (capturing == null) {
      return;
    }
    long version = state.getLong("version", 0L);
    if (version < versions.getOrDefault(CAPTURE, 0L)) {
      return;
    }
    versions.put(CAPTURE, version);
    JsonObject saved = state.getJsonObject("overrides", new JsonObject());
    Boolean on = capturing.config().enabled();
    Double share = capturing.config().percent();
    Overrides now = new Overrides(null);
    JsonObject e = saved.getJsonObject(ENABLED);
    if (e != null && e.getValue("value") instanceof Boolean v) {
      if (atStart && !Overrides.same(e.getValue("configured"), capturing.config().enabled())) {
        notice("capture: " + (on ? "on" : "off") + " from the configuration, which changed since " + e.getString("by")
            + " turned it " + (v ? "on" : "off") + " (the override is dropped)");
      } else {
        on = v;
        now.set(ENABLED, v, capturing.config().enabled(), e.getString("by"), instantOf(e.getString("at")),
            e.getString("reason"));
      }
    }
    JsonObject p = saved.getJsonObject(SHARE);
    if (p != null && p.getValue("value") instanceof Number v && Percent.problem(v.doubleValue()) == null) {
      if (atStart && !Overrides.same(p.getValue("configured"), capturing.config().percent())) {
        notice("capture: " + Percent.plain(share) + "% from the configuration, which changed since "
            + p.getString("by") + " set " + Percent.plain(v.doubleValue()) + "% (the override is dropped)");
      } else {
        share = v.doubleValue();
        now.set(SHARE, share, capturing.config().percent(), p.getString("by"), instantOf(p.getString("at")),
            p.getString("reason"));
      }
    }
    boolean wasOn = capturing.view().getBoolean("enabled");
    capturing.set(on, share);
    overrides.put(CAPTURE, now);
    if (atStart && !now.isEmpty()) {
      notice("capture: " + (on ? "on" : "off") + " at " + Percent.plain(share) + "% (set at run time; the file says "
          + (capturing.config().enabled() ? "on" : "off") + " at " + Percent.plain(capturing.config().percent())
          + "%)");
    }
    if (wasOn && !on) {
      capturing.completeFile().onFailure(x -> { }); // turned off elsewhere: this instance's file is complete too
    }
  }

  /** Keeps this instance's copy of the route's rollout in step with the saved one, and takes an orphan over. */
  private void applyRollout(Route r, JsonObject saved, boolean atStart) {
    String name = r.name();
    Rollout mine = rollouts.get(name);
    if (saved == null || r.config().canary() == null) {
      return;
    }
    if (mine != null && mine.driving) {
      // This instance drives the rollout; another one may have paused, aborted or rolled it back.
      String status = saved.getString("status", "");
      if (!status.equals("running")) {
        stop(mine, status, saved.getString("endedReason"));
      }
      return;
    }
    Rollout copy = Rollout.fromJson(r, saved);
    if (copy == null) {
      return;
    }
    rollouts.put(name, copy);
    if (!copy.status.equals("running")) {
      figures.stopped(name);
      return;
    }
    if (copy.window != null) {
      figures.windowStarted(name, copy.window); // count this instance's traffic into the driver's window
    }
    // Pick up a running rollout that nobody drives: after a restart (one instance, a file), or when its driver's
    // lease has lapsed (with Redis).
    boolean local = store.sharedRedis() == null;
    if (local && !atStart) {
      return;
    }
    lease.tryTake(name, holder(copy), copy.leaseTtl()).onSuccess(taken -> {
      if (taken) {
        takeOver(name, copy);
      }
    });
  }

  private synchronized void takeOver(String name, Rollout copy) {
    if (rollouts.get(name) != copy || !copy.status.equals("running") || copy.driving) {
      lease.release(name, holder(copy)).onFailure(e -> { });
      return;
    }
    String previous = copy.owner;
    drive(copy);
    notice("route " + name + ": taking over the rollout at step " + (copy.step + 1) + " from instance " + previous);
    persist(name, ROLLOUT_CALLER, "rollout_takeover", null, new JsonObject().put("owner", instance),
        "instance " + previous + " stopped driving it").onFailure(e -> { });
  }

  // --- driving --------------------------------------------------------------------------------------------------

  private void enterStep(Rollout ro, int index) {
    ro.step = index;
    ro.stepStartedAt = clock.instant().toString();
    weight(ro.route, ro.weight(), ROLLOUT_CALLER, "rollout step " + (index + 1));
  }

  /** Who holds a rollout's lease when this instance drives it: this instance, for this very rollout. */
  private String holder(Rollout ro) {
    return instance + "/" + ro.startedAt;
  }

  /** Drives the rollout from here: a new interval of the current step, the lease kept. */
  private void drive(Rollout ro) {
    cancelTimers(ro);
    ro.driving = true;
    ro.status = "running";
    ro.owner = instance;
    ro.heartbeat = clock.millis();
    ro.window = instance + "-" + clock.millis() + "-" + (ro.step + 1);
    figures.windowStarted(ro.route.name(), ro.window);
    ro.timer = vertx.setTimer(Math.max(1, ro.plan.interval().toMillis()), id -> checkStep(ro, id));
    long renewEvery = Math.max(100, ro.leaseTtl().toMillis() / 3);
    ro.leaseTimer = vertx.setPeriodic(renewEvery, id -> renewLease(ro));
  }

  private void renewLease(Rollout ro) {
    lease.renew(ro.route.name(), holder(ro), ro.leaseTtl()).onSuccess(mine -> {
      if (!mine) {
        synchronized (this) {
          if (ro.driving) {
            LOG.warning("route " + ro.route.name() + ": another instance holds the rollout's lease; it drives now");
            undrive(ro);
          }
        }
      }
    }); // Redis down: keep driving; nobody else can take the lease meanwhile
  }

  private void undrive(Rollout ro) {
    cancelTimers(ro);
    ro.driving = false;
  }

  private void cancelTimers(Rollout ro) {
    if (ro.timer >= 0) {
      vertx.cancelTimer(ro.timer);
      ro.timer = -1;
    }
    if (ro.leaseTimer >= 0) {
      vertx.cancelTimer(ro.leaseTimer);
      ro.leaseTimer = -1;
    }
  }

  private void stop(Rollout ro, String finalStatus, String reason) {
    boolean wasDriving = ro.driving;
    undrive(ro);
    ro.status = finalStatus;
    ro.endedReason = reason;
    figures.stopped(ro.route.name());
    if (wasDriving) {
      lease.release(ro.route.name(), holder(ro)).onFailure(e -> { });
    }
  }

  private Counter gateCounter(String route, String gate, String result) {
    return gateCounters.computeIfAbsent(route + '\u0000' + gate + '\u0000' + result,
        k -> Counter.builder("tandem.rollout.gates").description("Rollout gate checks by gate and result")
            .tags("route", route, "gate", gate, "result", result).register(registry));
  }

  /** The end of a step's interval: gather the figures and the metric gates, then step up, wait, finish or roll back. */
  private synchronized void checkStep(Rollout ro, long timerId) {
    if (ro.timer != timerId) {
      return; // cancelled or replaced since
    }
    ro.timer = -1;
    if (rollouts.get(ro.route.name()) != ro || !ro.status.equals("running") || !ro.driving) {
      return;
    }
    String route = ro.route.name();
    String window = ro.window;
    CanaryConfig canary = ro.route.config().canary();
    Map<String, String> vars = Map.of("route", route, "interval", Math.max(1, ro.plan.interval().toSeconds()) + "s",
        "primary", ro.route.config().primary(), "canary", canary.backend());
    Future<GateCheck.Result> result = figures.collect(route, window)
        .compose(f -> metricGates.check(ro.plan.gates().metrics(), vars).map(metrics -> GateCheck.check(
            ro.plan.gates(), f.canary().interval(), f.primary().interval(), f.diffRate(), metrics)))
        .recover(e -> Future.succeededFuture(new GateCheck.Result(GateCheck.Verdict.WAIT,
            List.of(new GateCheck.Gate("figures", "wait", "the interval's figures cannot be read: " + e.getMessage())),
            new SideStats.Interval(0, 0, 0), new SideStats.Interval(0, 0, 0))));
    result.onSuccess(r -> decide(ro, window, r));
  }

  private synchronized void decide(Rollout ro, String window, GateCheck.Result result) {
    if (rollouts.get(ro.route.name()) != ro || !ro.status.equals("running") || !ro.driving
        || !window.equals(ro.window)) {
      return; // stopped, paused or handed over while the figures were gathered
    }
    Route r = ro.route;
    for (GateCheck.Gate g : result.gates()) {
      gateCounter(r.name(), g.gate(), g.result()).increment();
    }
    ro.heartbeat = clock.millis();
    ro.lastCheck = result.toJson().put("time", clock.instant().toString()).put("step", ro.step + 1);
    ro.record(ro.lastCheck.copy().put("weight", ro.weight()));
    double old = r.state().canaryWeight();
    switch (result.verdict()) {
      case FAIL -> {
        String why = "step " + (ro.step + 1) + " at " + Percent.plain(old) + "%: " + result.failures();
        stop(ro, "rolled_back", why);
        weight(r, 0, ROLLOUT_CALLER, why);
        persist(r.name(), ROLLOUT_CALLER, "rollout_rollback", weightJson(old), weightJson(0), why)
            .onFailure(e -> LOG.warning("saving the rollback of route " + r.name() + " failed: " + e.getMessage()));
      }
      case WAIT -> {
        // Not audited (an idle route would fill the log); the rollout's history and lastCheck show it.
        drive(ro);
        save(r.name())
            .onFailure(e -> LOG.warning("saving the rollout of route " + r.name() + " failed: " + e.getMessage()));
      }
      case PASS -> {
        if (ro.step + 1 >= ro.plan.steps().size()) {
          stop(ro, "completed", "every step passed its gates");
          persist(r.name(), ROLLOUT_CALLER, "rollout_complete", weightJson(old), weightJson(old), null)
              .onFailure(e -> { });
        } else {
          enterStep(ro, ro.step + 1);
          drive(ro);
          persist(r.name(), ROLLOUT_CALLER, "rollout_step", weightJson(old), weightJson(r.state().canaryWeight())
              .put("step", ro.step + 1), "gates passed at step " + ro.step).onFailure(e -> { });
        }
      }
      default -> throw new IllegalStateException();
    }
  }
}
