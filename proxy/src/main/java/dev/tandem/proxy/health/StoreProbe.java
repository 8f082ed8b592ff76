package dev.tandem.proxy.health;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Asks one configured store whether it answers within a timeout; readiness depends on every probe succeeding. */
public final class StoreProbe {

  private final String name;
  private final Supplier<Future<?>> query;
  private final Supplier<Future<Void>> close;
  private final long timeoutMillis;

  private StoreProbe(String name, Supplier<Future<?>> query, Supplier<Future<Void>> close, long timeoutMillis) {
    this.name = name;
    this.query = query;
    this.close = close;
    this.timeoutMillis = timeoutMillis;
  }

  /** {@code PING} against a Redis server. */
  public static StoreProbe redis(Vertx vertx, String name, String url, long timeoutMillis) {
    String pool = dev.tandem.comparator.PoolNames.next("redis-probe");
    Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url)
        .setPoolName(pool).setMetricsName(pool).setMaxPoolSize(1)
        .setMaxPoolWaiting(8));
    return new StoreProbe(name, () -> redis.send(Request.cmd(Command.PING)), redis::close, timeoutMillis);
  }

  /** {@code SELECT 1} against a PostgreSQL server. */
  public static StoreProbe postgres(Vertx vertx, String name, String url, long timeoutMillis) {
    Pool pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1).setConnectionTimeout((int) timeoutMillis)
            .setName(dev.tandem.comparator.PoolNames.next("probe"))
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(PgConnectOptions.fromUri(url).setMetricsName(dev.tandem.comparator.PoolNames.next("probe")))
        .using(vertx)
        .build();
    return new StoreProbe(name, () -> pool.query("SELECT 1").execute(), pool::close, timeoutMillis);
  }

  /** What is probed, e.g. {@code idempotency (redis)}. */
  public String name() {
    return name;
  }

  /** Succeeds when the store answered within the timeout. */
  public Future<Void> check() {
    return query.get().timeout(timeoutMillis, TimeUnit.MILLISECONDS).mapEmpty();
  }

  public Future<Void> close() {
    return close.get();
  }
}
