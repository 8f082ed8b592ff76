package dev.tandem.comparator;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Samples in PostgreSQL, shared by every instance and kept across restarts, and per hour, endpoint and field the
 * counts of compared exchanges and of raw and noise differences (gathered in memory, written every
 * {@link #FLUSH_MILLIS} ms as additions, so that several instances add up). The schema is created and migrated on
 * start: a {@code tandem_schema} table records the version applied, and each migration runs once, in a
 * transaction. Retention by age and by count runs at start and then every {@link #RETENTION_MILLIS} ms. At most
 * {@link #MAX_PENDING} inserts wait for a connection; beyond that a sample fails to be kept (the caller counts it),
 * so a slow database never queues without bound. {@link #close()} writes what is pending (samples and counts) first.
 */
public final class PostgresResultStore implements ResultStore {

  static final int MAX_PENDING = 1_000;
  static final long RETENTION_MILLIS = 60_000;

  /** Migrations, in order; the index + 1 is the schema version. Never edit one that has shipped: add another. */
  private static final List<String> MIGRATIONS = List.of(
      "CREATE TABLE tandem_diff_samples (id text PRIMARY KEY, time timestamptz NOT NULL, route text NOT NULL,"
          + " endpoint text NOT NULL, fields text[] NOT NULL, sample jsonb NOT NULL)",
      "CREATE INDEX tandem_diff_samples_time ON tandem_diff_samples (time DESC);"
          + " CREATE INDEX tandem_diff_samples_endpoint ON tandem_diff_samples (endpoint, time DESC)",
      // Per hour, endpoint and field: exchanges compared, raw and noise differences. The field '' holds the
      // endpoint's own count of compared exchanges.
      "CREATE TABLE tandem_diff_counts (hour timestamptz NOT NULL, endpoint text NOT NULL, field text NOT NULL,"
          + " compared bigint NOT NULL DEFAULT 0, raw bigint NOT NULL DEFAULT 0, noise bigint NOT NULL DEFAULT 0,"
          + " PRIMARY KEY (hour, endpoint, field))");

  private final Vertx vertx;
  private final Pool pool;
  private final Duration maxAge;
  private final int maxCount;
  private final AtomicInteger pending = new AtomicInteger();
  /** Sample inserts not yet done: close() waits for them, as closing the pool would fail them ("Pool closed"). */
  private final Set<Future<Void>> inserting = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private Future<Void> ready;
  private final long timer;
  private final long flushTimer;
  /** Counts not yet written, by hour, endpoint and field: {compared, raw, noise}. Bounded by MAX_PENDING_COUNTS. */
  private final java.util.Map<java.util.List<Object>, long[]> counts = new java.util.HashMap<>();
  private long droppedCounts;
  static final int MAX_PENDING_COUNTS = 10_000;
  static final long FLUSH_MILLIS = 5_000;

  public PostgresResultStore(Vertx vertx, String url, Duration maxAge, int maxCount) {
    this.vertx = vertx;
    this.maxAge = maxAge;
    this.maxCount = maxCount;
    this.pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4).setMaxWaitQueueSize(MAX_PENDING)
        .setName(PoolNames.next("comparator")))
        .connectingTo(PgConnectOptions.fromUri(url).setMetricsName(PoolNames.next("comparator"))).using(vertx).build();
    this.ready = migrate().compose(v -> retain());
    this.timer = vertx.setPeriodic(RETENTION_MILLIS, id -> retain());
    this.flushTimer = vertx.setPeriodic(FLUSH_MILLIS, id -> flush());
  }

  @Override
  public synchronized void count(Instant time, String endpoint, java.util.Collection<String> rawFields,
                                 java.util.Collection<String> noiseFields) {
    Instant hour = time.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
    bump(hour, endpoint, "", 0);
    rawFields.forEach(f -> bump(hour, endpoint, f, 1));
    noiseFields.forEach(f -> bump(hour, endpoint, f, 2));
  }

  private void bump(Instant hour, String endpoint, String field, int slot) {
    java.util.List<Object> key = java.util.List.of(hour, endpoint, field);
    long[] c = counts.get(key);
    if (c == null) {
      if (counts.size() >= MAX_PENDING_COUNTS) {
        droppedCounts++;
        return;
      }
      c = new long[3];
      counts.put(key, c);
    }
    c[slot]++;
  }

  /** Counts that could not be kept because too many waited for the database. */
  public synchronized long droppedCounts() {
    return droppedCounts;
  }

  /** Writes the counts gathered since the last flush, adding them to the stored ones. */
  public Future<Void> flush() {
    List<Tuple> rows = new ArrayList<>();
    synchronized (this) {
      counts.forEach((k, c) -> rows.add(Tuple.of(OffsetDateTime.ofInstant((Instant) k.get(0), ZoneOffset.UTC),
          k.get(1), k.get(2), c[0], c[1], c[2])));
      counts.clear();
    }
    if (rows.isEmpty()) {
      return Future.succeededFuture();
    }
    int written = rows.size();
    return ready().compose(v -> pool.preparedQuery("INSERT INTO tandem_diff_counts (hour, endpoint, field, compared,"
            + " raw, noise) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hour, endpoint, field) DO UPDATE SET"
            + " compared = tandem_diff_counts.compared + EXCLUDED.compared,"
            + " raw = tandem_diff_counts.raw + EXCLUDED.raw, noise = tandem_diff_counts.noise + EXCLUDED.noise")
        .executeBatch(rows)).<Void>mapEmpty()
        .onFailure(e -> {
          synchronized (this) {
            droppedCounts += written; // counted, not silently lost; the samples still say what differed
          }
        });
  }

  @Override
  public Future<List<JsonObject>> history(String endpoint, String field, Instant since) {
    OffsetDateTime from = since == null ? OffsetDateTime.ofInstant(Instant.EPOCH, ZoneOffset.UTC)
        : OffsetDateTime.ofInstant(since, ZoneOffset.UTC);
    return flush().compose(v -> pool.preparedQuery("SELECT e.hour, e.compared, f.raw, f.noise FROM tandem_diff_counts e"
            + " LEFT JOIN tandem_diff_counts f ON f.hour = e.hour AND f.endpoint = e.endpoint AND f.field = $2"
            + " WHERE e.endpoint = $1 AND e.field = '' AND e.hour >= $3 ORDER BY e.hour")
        .execute(Tuple.of(endpoint, field == null ? "" : field, from)))
        .map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          for (Row r : rows) {
            JsonObject h = new JsonObject().put("hour", r.getOffsetDateTime(0).toInstant().toString())
                .put("compared", r.getLong(1));
            if (field != null) {
              h.put("field", field).put("raw", r.getLong(2) == null ? 0 : r.getLong(2))
                  .put("noise", r.getLong(3) == null ? 0 : r.getLong(3));
            }
            out.add(h);
          }
          return out;
        });
  }

  /** Applies the migrations not yet applied; two instances starting at once serialise on an advisory lock. */
  private Future<Void> migrate() {
    return pool.withTransaction(conn -> conn.query("SELECT pg_advisory_xact_lock(7412031)").execute()
        .compose(v -> conn.query("CREATE TABLE IF NOT EXISTS tandem_schema (version int NOT NULL)").execute())
        .compose(v -> conn.query("SELECT coalesce(max(version), 0) FROM tandem_schema").execute())
        .compose(rows -> {
          int applied = rows.iterator().next().getInteger(0);
          Future<Void> chain = Future.succeededFuture();
          for (int i = applied; i < MIGRATIONS.size(); i++) {
            int version = i + 1;
            String sql = MIGRATIONS.get(i);
            chain = chain.compose(v -> conn.query(sql).execute())
                .compose(v -> conn.preparedQuery("INSERT INTO tandem_schema (version) VALUES ($1)")
                    .execute(Tuple.of(version)))
                .mapEmpty();
          }
          return chain;
        }));
  }

  /** Deletes samples older than the maximum age, then all but the newest {@code maxCount}. */
  Future<Void> retain() {
    OffsetDateTime cutoff = OffsetDateTime.ofInstant(Instant.now().minus(maxAge), ZoneOffset.UTC);
    return pool.preparedQuery("DELETE FROM tandem_diff_samples WHERE time < $1").execute(Tuple.of(cutoff))
        .compose(v -> pool.preparedQuery("DELETE FROM tandem_diff_counts WHERE hour < $1").execute(Tuple.of(cutoff)))
        .compose(v -> pool.preparedQuery("DELETE FROM tandem_diff_samples WHERE id IN (SELECT id FROM"
            + " tandem_diff_samples ORDER BY time DESC OFFSET $1)").execute(Tuple.of(maxCount)))
        .mapEmpty();
  }

  /** Succeeds once the schema is in place; after a failure (database down at start) the next call tries again. */
  public synchronized Future<Void> ready() {
    if (ready.failed()) {
      ready = migrate();
    }
    return ready;
  }

  @Override
  public Future<Void> add(JsonObject sample) {
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      return Future.failedFuture("PostgreSQL result store: " + MAX_PENDING + " samples already waiting");
    }
    Set<String> fields = new LinkedHashSet<>();
    for (Object d : sample.getJsonArray("differences", new JsonArray())) {
      JsonObject diff = (JsonObject) d;
      fields.add(diff.getString("field"));
      fields.add(diff.getString("path"));
    }
    Tuple row = Tuple.of(sample.getString("id"),
        OffsetDateTime.ofInstant(Instant.parse(sample.getString("time")), ZoneOffset.UTC), sample.getString("route"),
        sample.getString("endpoint"), fields.toArray(new String[0]), sample);
    Future<Void> insert = ready().compose(v -> pool.preparedQuery("INSERT INTO tandem_diff_samples (id, time, route,"
            + " endpoint, fields, sample) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING").execute(row))
        .mapEmpty();
    inserting.add(insert);
    return insert.andThen(ar -> {
      inserting.remove(insert);
      pending.decrementAndGet();
    });
  }

  @Override
  public Future<List<JsonObject>> samples(String endpoint, String field, Instant since, int limit) {
    OffsetDateTime from = since == null ? null : OffsetDateTime.ofInstant(since, ZoneOffset.UTC);
    return ready().compose(v -> pool.preparedQuery("SELECT sample FROM tandem_diff_samples"
            + " WHERE ($1::text IS NULL OR endpoint = $1) AND ($2::text IS NULL OR $2 = ANY(fields))"
            + " AND ($3::timestamptz IS NULL OR time >= $3) ORDER BY time DESC LIMIT $4")
        .execute(Tuple.of(endpoint, field, from, limit)))
        .map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(json(r.getValue(0)));
          }
          return out;
        });
  }

  @Override
  public Future<JsonObject> sample(String id) {
    return ready().compose(v -> pool.preparedQuery("SELECT sample FROM tandem_diff_samples WHERE id = $1")
            .execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : json(rows.iterator().next().getValue(0)));
  }

  @Override
  public Future<Long> size() {
    return ready().compose(v -> pool.query("SELECT count(*) FROM tandem_diff_samples").execute())
        .map(rows -> rows.iterator().next().getLong(0));
  }

  private static JsonObject json(Object v) {
    return v instanceof JsonObject o ? o : new JsonObject(String.valueOf(v));
  }

  /** How long closing waits for the inserts in flight, and then for the last flush. */
  static final long CLOSE_WAIT_SECONDS = 10;

  @Override
  public Future<Void> close() {
    vertx.cancelTimer(timer);
    vertx.cancelTimer(flushTimer);
    // Bounded: a database that stopped answering must not hold a drain past its own deadline.
    return Future.join(List.copyOf(inserting)).timeout(CLOSE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)
        .transform(ignored -> flush().timeout(CLOSE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS))
        .transform(ignored -> pool.close());
  }
}
