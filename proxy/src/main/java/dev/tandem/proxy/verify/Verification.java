package dev.tandem.proxy.verify;

import dev.tandem.comparator.db.CutoverVerdict;
import dev.tandem.comparator.db.DbVerifier;
import dev.tandem.comparator.db.VerifyHistory;
import dev.tandem.proxy.config.VerifyConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Database verification as Tandem runs it, from {@code tandem verify-db} or inside the proxy on a schedule: one run
 * at a time, each judged against the history of earlier runs (clean streaks, escalations) and the comparator's
 * response difference rate, and kept with its evidence in the history file.
 */
public final class Verification {

  private static final Logger LOG = Logger.getLogger(Verification.class.getName());
  /** Earlier verdicts a run looks back on, for clean streaks. */
  private static final int LOOK_BACK = 50;

  private final Vertx vertx;
  private final VerifyConfig config;
  private final Supplier<Future<Double>> responseDiffRate;
  private final VerifyHistory history;
  private final DbVerifier verifier;
  private volatile JsonObject latest;
  private volatile String lastError;
  private boolean running;
  private long timer = -1;

  /** @param responseDiffRate percent of compared responses that really differ; a null result: not known */
  public Verification(Vertx vertx, VerifyConfig config, Supplier<Future<Double>> responseDiffRate) {
    this.vertx = vertx;
    this.config = config;
    this.responseDiffRate = responseDiffRate;
    this.history = new VerifyHistory(vertx, Path.of(config.history()));
    this.verifier = new DbVerifier(vertx, config.primary(), config.shadow(), config.specs(), config.options(),
        config.lockWatch().toMillis());
  }

  /** Verifies now; fails with what went wrong (a database down, a table missing) and gives no verdict then. */
  public Future<JsonObject> run() {
    synchronized (this) {
      if (running) {
        return Future.failedFuture(new IllegalStateException("a verification is already running"));
      }
      running = true;
    }
    return history.recent(Math.max(LOOK_BACK, config.readiness().cleanRuns() + 1))
        .compose(before -> verifier.run(CutoverVerdict.streaks(before))
            .compose(run -> responseDiffRate.get().recover(t -> Future.succeededFuture(null))
                .map(rate -> CutoverVerdict.judge(run, before, config.readiness(), rate))))
        .compose(verdict -> history.add(verdict).map(v -> withFindings(verdict)))
        .andThen(ar -> {
          synchronized (this) {
            running = false;
          }
          if (ar.succeeded()) {
            latest = ar.result();
            lastError = null;
          } else {
            lastError = ar.cause().getMessage();
          }
        });
  }

  /** The verdict with every kept finding listed at the top level, each with its class, table and key. */
  static JsonObject withFindings(JsonObject verdict) {
    JsonArray all = new JsonArray();
    for (Object t : verdict.getJsonObject("evidence").getJsonArray("tables")) {
      ((JsonObject) t).getJsonArray("findings").forEach(all::add);
    }
    return verdict.copy().put("findings", all);
  }

  /** Verifies every {@code schedule} (when configured), logging each verdict and each failure. */
  public void schedule() {
    if (config.schedule() == null) {
      return;
    }
    timer = vertx.setPeriodic(config.schedule().toMillis(), config.schedule().toMillis(), id -> run().onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.info(() -> "verify: " + ar.result().getString("verdict") + " — "
            + String.join("; ", ar.result().getJsonArray("reasons").stream().map(String::valueOf).toList()));
      } else if (!(ar.cause() instanceof IllegalStateException)) {
        LOG.log(Level.WARNING, "verify: no verdict: " + ar.cause().getMessage());
      }
    }));
  }

  /** What {@code GET /admin/verify} shows: the latest verdict with its evidence, and the state of the next. */
  public Future<JsonObject> view() {
    return history.recent(20).map(h -> {
      JsonArray recent = new JsonArray();
      h.forEach(v -> recent.add(new JsonObject().put("time", v.getString("time")).put("verdict", v.getString("verdict"))));
      JsonObject latestOrStored = latest != null ? latest : h.isEmpty() ? null : withFindings(h.get(0));
      synchronized (this) {
        return new JsonObject().put("latest", latestOrStored).put("running", running).put("lastError", lastError)
            .put("schedule", config.schedule() == null ? null : dev.tandem.proxy.config.Durations.format(config.schedule()))
            .put("history", new JsonObject().put("file", history.file().toAbsolutePath().toString())
                .put("recent", recent));
      }
    });
  }

  public Future<Void> close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return verifier.close();
  }
}
