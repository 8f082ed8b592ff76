package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Verifies every configured table pair, one table at a time, while a {@link LockWatch} samples the shadow. Both
 * databases are only read: the sessions are opened read-only, in UTC (so timestamps without a zone compare
 * alike). A database that is down, or a table or column that is missing, fails the run with what and where —
 * there is no verdict without evidence.
 */
public final class DbVerifier {

  private final Vertx vertx;
  private final Pool primary;
  private final Pool shadow;
  private final List<TableSpec> tables;
  private final VerifyOptions options;
  private final long lockWatchMillis;
  private Runnable onSettleWait;

  /** @param lockWatchMillis how often the shadow is sampled for lock waits; 0: not sampled */
  public DbVerifier(Vertx vertx, String primaryUrl, String shadowUrl, List<TableSpec> tables, VerifyOptions options,
                    long lockWatchMillis) {
    this.vertx = vertx;
    this.primary = pool(vertx, primaryUrl, options.concurrency() + 1);
    this.shadow = pool(vertx, shadowUrl, options.concurrency() + 2);
    this.tables = List.copyOf(tables);
    this.options = options;
    this.lockWatchMillis = lockWatchMillis;
  }

  /** A read-only pool in UTC. */
  public static Pool pool(Vertx vertx, String url, int size) {
    PgConnectOptions o = PgConnectOptions.fromUri(url);
    o.setMetricsName(dev.tandem.comparator.PoolNames.next("verify"));
    Map<String, String> props = new java.util.HashMap<>(o.getProperties());
    props.put("TimeZone", "UTC");
    props.put("DateStyle", "ISO, YMD"); // timestamps as text the same way on both sides
    props.put("IntervalStyle", "iso_8601");
    props.put("extra_float_digits", "1"); // float text at its shortest exact form, whatever the server default
    props.put("default_transaction_read_only", "on");
    props.put("application_name", "tandem-verify");
    o.setProperties(props);
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(size).setMaxWaitQueueSize(1_000)
        .setName(dev.tandem.comparator.PoolNames.next("verify"))).connectingTo(o)
        .using(vertx).build();
  }

  /**
   * Runs once. {@code previous} holds, per table, the keys that differed in the runs before with their streaks,
   * so that a row that keeps differing is escalated.
   */
  public Future<VerificationRun> run(Map<String, Map<String, Integer>> previous) {
    Instant started = Instant.now();
    long start = System.nanoTime();
    LockWatch watch = lockWatchMillis > 0 ? new LockWatch(vertx, shadow, lockWatchMillis) : null;
    Future<List<TableResult>> all = Future.succeededFuture(new ArrayList<>());
    for (TableSpec t : tables) {
      all = all.compose(done -> new TableVerifier(vertx, primary, shadow, t, options, onSettleWait).run().map(r -> {
        done.add(escalate(r, previous.getOrDefault(r.table(), Map.of())));
        return done;
      }));
    }
    return all.transform(ar -> {
      Future<io.vertx.core.json.JsonObject> locks = watch == null ? Future.succeededFuture(null) : watch.stop();
      return ar.failed() ? Future.failedFuture(ar.cause())
          : locks.map(l -> new VerificationRun(started, (System.nanoTime() - start) / 1_000_000, ar.result(), l));
    });
  }

  private TableResult escalate(TableResult r, Map<String, Integer> before) {
    List<Finding> findings = new ArrayList<>(r.findings().size());
    for (Finding f : r.findings()) {
      findings.add(f.withStreak(before.getOrDefault(f.kind().label() + " " + f.keyText(), 0) + 1,
          options.escalateAfter()));
    }
    return new TableResult(r.table(), r.shadowTable(), r.primaryRows(), r.shadowRows(), r.chunks(),
        r.chunksDiffering(), r.rowsTransferred(), r.counts(), findings, r.rechecked(), r.settled(), r.notes(),
        r.millis());
  }

  /** Told when a table's wait for suspect rows to settle begins; for tests. */
  void onSettleWait(Runnable r) {
    this.onSettleWait = r;
  }

  public Future<Void> close() {
    return Future.join(primary.close(), shadow.close()).mapEmpty();
  }
}
