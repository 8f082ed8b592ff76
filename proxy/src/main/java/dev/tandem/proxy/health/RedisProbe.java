package dev.tandem.proxy.health;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;

import java.util.concurrent.TimeUnit;

/** {@code PING} against a Redis server. */
public final class RedisProbe implements StoreProbe {

  private final String name;
  private final Redis redis;
  private final long timeoutMillis;

  public RedisProbe(Vertx vertx, String name, String url, long timeoutMillis) {
    this.name = name;
    this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url).setMaxPoolSize(1)
        .setMaxPoolWaiting(8));
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Future<Void> check() {
    return redis.send(Request.cmd(Command.PING)).timeout(timeoutMillis, TimeUnit.MILLISECONDS).mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return redis.close();
  }
}
