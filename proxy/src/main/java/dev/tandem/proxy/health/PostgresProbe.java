package dev.tandem.proxy.health;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.util.concurrent.TimeUnit;

/** {@code SELECT 1} against a PostgreSQL server. */
public final class PostgresProbe implements StoreProbe {

  private final String name;
  private final Pool pool;
  private final long timeoutMillis;

  public PostgresProbe(Vertx vertx, String name, String url, long timeoutMillis) {
    this.name = name;
    PgConnectOptions connect = PgConnectOptions.fromUri(url);
    this.pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1).setConnectionTimeout((int) timeoutMillis)
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(connect)
        .using(vertx)
        .build();
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Future<Void> check() {
    return pool.query("SELECT 1").execute().timeout(timeoutMillis, TimeUnit.MILLISECONDS).mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }
}
