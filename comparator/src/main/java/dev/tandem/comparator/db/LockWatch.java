package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;

/**
 * Samples a database for sessions waiting on locks while a verification or a replay runs, and keeps the longest
 * wait seen with the blocked and the blocking statement — so that a migration rehearsal shows the locks it would
 * take in production. One query per sample on one connection; a sample still running when the next is due is
 * skipped, so a slow database is never queried twice at once.
 */
public final class LockWatch {

  private static final String SQL = "SELECT a.pid, (extract(epoch FROM now() - coalesce(a.state_change, a.query_start))"
      + " * 1000)::bigint AS waited_ms, a.query, a.wait_event, b.pid, b.query, b.state,"
      + " (SELECT l.mode || ' on ' || coalesce(l.relation::regclass::text, l.locktype) FROM pg_locks l"
      + "  WHERE l.pid = a.pid AND NOT l.granted LIMIT 1)"
      + " FROM pg_stat_activity a CROSS JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS blocker(pid)"
      + " JOIN pg_stat_activity b ON b.pid = blocker.pid"
      + " WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()";

  private final Vertx vertx;
  private final Pool pool;
  private final long timer;
  private boolean sampling;
  private long samples;
  private long samplesWithWaits;
  private long failures;
  private String lastError;
  private long longestMillis = -1;
  private JsonObject longest;

  /** Starts sampling {@code pool}'s database every {@code intervalMillis}. */
  public LockWatch(Vertx vertx, Pool pool, long intervalMillis) {
    this.vertx = vertx;
    this.pool = pool;
    this.timer = vertx.setPeriodic(0, Math.max(10, intervalMillis), id -> sample());
  }

  private synchronized void sample() {
    if (sampling) {
      return;
    }
    sampling = true;
    pool.query(SQL).execute().onComplete(ar -> {
      synchronized (this) {
        sampling = false;
        samples++;
        if (ar.failed()) {
          failures++;
          lastError = ar.cause().getMessage();
          return;
        }
        if (ar.result().size() > 0) {
          samplesWithWaits++;
        }
        for (Row r : ar.result()) {
          long waited = r.getLong(1) == null ? 0 : r.getLong(1);
          if (waited > longestMillis) {
            longestMillis = waited;
            longest = new JsonObject().put("waitedMillis", waited).put("blockedPid", r.getInteger(0))
                .put("blockedQuery", r.getString(2)).put("waitEvent", r.getString(3))
                .put("blockingPid", r.getInteger(4)).put("blockingQuery", r.getString(5))
                .put("blockingState", r.getString(6)).put("lock", r.getString(7));
          }
        }
      }
    });
  }

  /** What was seen so far: samples, how many saw a wait, and the longest wait with both statements. */
  public synchronized JsonObject report() {
    JsonObject o = new JsonObject().put("samples", samples).put("samplesWithWaits", samplesWithWaits)
        .put("longest", longest);
    if (failures > 0) {
      o.put("failedSamples", failures).put("lastError", lastError);
    }
    return o;
  }

  public Future<JsonObject> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture(report());
  }
}
