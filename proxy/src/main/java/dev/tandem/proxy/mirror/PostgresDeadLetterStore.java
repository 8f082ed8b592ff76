package dev.tandem.proxy.mirror;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Dead letters in a PostgreSQL table, shared by every instance and kept across restarts. The table is created on
 * first use ({@code CREATE TABLE IF NOT EXISTS}); a resolved letter is deleted. The body is kept as {@code bytea}
 * and the headers as a JSON array of pairs, so both come back byte for byte and in order.
 *
 * <p>Bounded like the other stores: at most {@link #MAX_LETTERS} unresolved letters, counted once at start and
 * then by this instance's own appends and resolutions; an append beyond it fails, and the caller counts it as
 * {@code failed} and logs it rather than filling the database during a long shadow outage. At most
 * {@link #MAX_WAITING} statements wait for one of the pool's connections.
 */
public final class PostgresDeadLetterStore implements DeadLetterStore {

  static final long MAX_LETTERS = 1_000_000;
  static final int MAX_WAITING = 1024;
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

  private final Pool pool;
  private final String table;
  private final AtomicLong letters = new AtomicLong();
  private Future<Void> ready;

  /** @param table a table name, optionally schema-qualified; checked, since it is part of the SQL */
  public PostgresDeadLetterStore(Vertx vertx, String url, String table) {
    if (!TABLE_NAME.matcher(table).matches()) {
      throw new IllegalArgumentException("dead-letter table name '" + table + "' is not a plain SQL identifier");
    }
    this.table = table;
    this.pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(4).setMaxWaitQueueSize(MAX_WAITING)
            .setName(dev.tandem.comparator.PoolNames.next("dead-letters")))
        .connectingTo(PgConnectOptions.fromUri(url)
            .setMetricsName(dev.tandem.comparator.PoolNames.next("dead-letters")))
        .using(vertx)
        .build();
  }

  /** Creates the table once; a failure (database down) is retried by the next call, not remembered. */
  private synchronized Future<Void> ready() {
    if (ready == null || ready.failed()) {
      ready = pool.query("CREATE TABLE IF NOT EXISTS " + table + " ("
              + "id text PRIMARY KEY, time timestamptz NOT NULL, route text NOT NULL, backend text NOT NULL, "
              + "method text NOT NULL, uri text NOT NULL, headers jsonb NOT NULL, body bytea NOT NULL, "
              + "idempotency_key text, reason text NOT NULL, seq bigserial)").execute()
          .compose(v -> pool.query("SELECT count(*) FROM " + table).execute())
          .map(rows -> {
            letters.set(rows.iterator().next().getLong(0));
            return null;
          });
    }
    return ready;
  }

  @Override
  public Future<Void> append(DeadLetter letter) {
    if (letters.incrementAndGet() > MAX_LETTERS) {
      letters.decrementAndGet();
      return Future.failedFuture("dead-letter table " + table + " holds " + MAX_LETTERS + " unresolved letters");
    }
    JsonArray headers = new JsonArray();
    letter.headers().forEach((name, value) -> headers.add(new JsonArray().add(name).add(value)));
    Tuple row = Tuple.of(letter.id(), OffsetDateTime.ofInstant(letter.time(), ZoneOffset.UTC), letter.route(),
            letter.backend(), letter.method(), letter.uri())
        .addValue(headers).addBuffer(letter.body()).addString(letter.idempotencyKey()).addString(letter.reason());
    return ready()
        .compose(v -> pool.preparedQuery("INSERT INTO " + table
                + " (id, time, route, backend, method, uri, headers, body, idempotency_key, reason)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .execute(row))
        .<Void>mapEmpty()
        .onFailure(e -> letters.decrementAndGet());
  }

  @Override
  public Future<List<DeadLetter>> unresolved() {
    return ready()
        .compose(v -> pool.query("SELECT id, time, route, backend, method, uri, headers, body, idempotency_key, "
            + "reason FROM " + table + " ORDER BY seq").execute())
        .map(rows -> {
          List<DeadLetter> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(fromRow(r));
          }
          return out;
        });
  }

  private static DeadLetter fromRow(Row r) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    Object json = r.getValue("headers");
    if (json instanceof JsonArray pairs) {
      for (Object o : pairs) {
        JsonArray pair = (JsonArray) o;
        headers.add(pair.getString(0), pair.getString(1));
      }
    }
    Buffer body = r.getBuffer("body");
    return new DeadLetter(r.getString("id"), r.getOffsetDateTime("time").toInstant(), r.getString("route"),
        r.getString("backend"), r.getString("method"), r.getString("uri"), headers,
        body == null ? Buffer.buffer() : body, r.getString("idempotency_key"), r.getString("reason"));
  }

  @Override
  public Future<Void> resolve(String id) {
    return ready()
        .compose(v -> pool.preparedQuery("DELETE FROM " + table + " WHERE id = $1").execute(Tuple.of(id)))
        .map(rows -> {
          letters.addAndGet(-rows.rowCount());
          return null;
        });
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }
}
