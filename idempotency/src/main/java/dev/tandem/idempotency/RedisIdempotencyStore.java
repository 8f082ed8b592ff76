package dev.tandem.idempotency;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;

import java.time.Duration;
import java.util.List;

/**
 * Keys in Redis, shared by every Tandem instance: {@code SET prefix+key pending NX PX ttl} reserves atomically,
 * so of any number of concurrent copies exactly one is first. The client keeps a pool and opens new connections
 * as needed, so after Redis comes back the store works again without a restart.
 */
public final class RedisIdempotencyStore implements IdempotencyStore {

  /** Pools named apart, so that Vert.x's metrics do not register one pool's gauges twice. */
  private static final java.util.concurrent.atomic.AtomicInteger POOLS = new java.util.concurrent.atomic.AtomicInteger();


  private final Redis redis;
  private final RedisAPI api;
  private final String prefix;

  public RedisIdempotencyStore(Vertx vertx, String url, String prefix) {
    String pool = "tandem-redis-idempotency-" + POOLS.incrementAndGet();
    this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url)
        .setPoolName(pool).setMetricsName(pool)
        .setMaxPoolSize(16).setMaxPoolWaiting(1024));
    this.api = RedisAPI.api(redis);
    this.prefix = prefix;
  }

  @Override
  public Future<Reservation> reserve(String key, Duration ttl) {
    String k = prefix + key;
    return api.set(List.of(k, Reservation.PENDING, "NX", "PX", Long.toString(ttl.toMillis())))
        .compose(set -> {
          if (set != null) {
            return Future.succeededFuture(Reservation.granted());
          }
          // Taken: report what the holder recorded. It may have expired in between; then it is pending for us.
          return api.get(k).map(prior -> Reservation.duplicate(prior == null ? Reservation.PENDING : prior.toString()));
        });
  }

  @Override
  public Future<Void> complete(String key, String outcome, Duration ttl) {
    return api.set(List.of(prefix + key, outcome, "XX", "PX", Long.toString(ttl.toMillis()))).mapEmpty();
  }

  @Override
  public Future<Void> release(String key) {
    return api.del(List.of(prefix + key)).mapEmpty();
  }

  @Override
  public Future<Void> ping() {
    return api.ping(List.of()).map((Response r) -> null);
  }

  @Override
  public Future<Void> close() {
    return redis.close();
  }
}
