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
 * Samples in PostgreSQL, shared by every instance and kept across restarts. The schema is created and migrated on
 * start: a {@code tandem_schema} table records the version applied, and each migration runs once, in a
 * transaction. Retention by age and by count runs at start and then every {@link #RETENTION_MILLIS} ms. At most
 * {@link #MAX_PENDING} inserts wait for a connection; beyond that a sample fails to be kept (the caller counts it),
 * so a slow database never queues without bound.
 */
public final class PostgresResultStore implements ResultStore {

  static final int MAX_PENDING = 1_000;
  static final long RETENTION_MILLIS = 60_000;

  /** Migrations, in order; the index + 1 is the schema version. Never edit one that has shipped: add another. */
  private static final List<String> MIGRATIONS = List.of(
      "CREATE TABLE tandem_diff_samples (id text PRIMARY KEY, time timestamptz NOT NULL, route text NOT NULL,"
          + " endpoint text NOT NULL, fields text[] NOT NULL, sample jsonb NOT NULL)",
      "CREATE INDEX tandem_diff_samples_time ON tandem_diff_samples (time DESC);"
          + " CREATE INDEX tandem_diff_samples_endpoint ON tandem_diff_samples (endpoint, time DESC)");

  private final Vertx vertx;
  private final Pool pool;
  private final Duration maxAge;
  private final int maxCount;
  private final AtomicInteger pending = new AtomicInteger();
  private final Future<Void> ready;
  private final long timer;

  public PostgresResultStore(Vertx vertx, String url, Duration maxAge, int maxCount) {
    this.vertx = vertx;
    this.maxAge = maxAge;
    this.maxCount = maxCount;
    this.pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4).setMaxWaitQueueSize(MAX_PENDING))
        .connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
    this.ready = migrate().compose(v -> retain());
    this.timer = vertx.setPeriodic(RETENTION_MILLIS, id -> retain());
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
        .compose(v -> pool.preparedQuery("DELETE FROM tandem_diff_samples WHERE id IN (SELECT id FROM"
            + " tandem_diff_samples ORDER BY time DESC OFFSET $1)").execute(Tuple.of(maxCount)))
        .mapEmpty();
  }

  /** Succeeds once the schema is in place. */
  public Future<Void> ready() {
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
    return ready.compose(v -> pool.preparedQuery("INSERT INTO tandem_diff_samples (id, time, route, endpoint, fields,"
            + " sample) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING").execute(row))
        .<Void>mapEmpty()
        .andThen(ar -> pending.decrementAndGet());
  }

  @Override
  public Future<List<JsonObject>> samples(String endpoint, String field, Instant since, int limit) {
    OffsetDateTime from = since == null ? null : OffsetDateTime.ofInstant(since, ZoneOffset.UTC);
    return ready.compose(v -> pool.preparedQuery("SELECT sample FROM tandem_diff_samples"
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
    return ready.compose(v -> pool.preparedQuery("SELECT sample FROM tandem_diff_samples WHERE id = $1")
            .execute(Tuple.of(id)))
        .map(rows -> rows.size() == 0 ? null : json(rows.iterator().next().getValue(0)));
  }

  @Override
  public Future<Long> size() {
    return ready.compose(v -> pool.query("SELECT count(*) FROM tandem_diff_samples").execute())
        .map(rows -> rows.iterator().next().getLong(0));
  }

  private static JsonObject json(Object v) {
    return v instanceof JsonObject o ? o : new JsonObject(String.valueOf(v));
  }

  @Override
  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return pool.close();
  }
}
