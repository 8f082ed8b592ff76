package dev.tandem.proxy.fleet;

import dev.tandem.proxy.canary.RolloutLease;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;

import java.time.Duration;
import java.util.List;

/**
 * The rollout lease in Redis: the key {@code <prefix>rollout:<route>:lease} holds the driving instance's id (with the
 * rollout's start, so that one rollout's lease is never another's) and
 * expires unless renewed. Taking it is {@code SET}; taking a free one {@code SET NX}; renewing and releasing check the
 * holder first, in one script, so that an instance never extends or drops a lease another has taken.
 */
public final class RedisLease implements RolloutLease {

  private static final String RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then"
      + " return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
  private static final String RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then"
      + " return redis.call('del', KEYS[1]) else return 0 end";

  private final RedisAPI redis;
  private final String prefix;

  public RedisLease(RedisAPI redis, String prefix) {
    this.redis = redis;
    this.prefix = prefix;
  }

  private String key(String route) {
    return prefix + "rollout:" + route + ":lease";
  }

  @Override
  public Future<Boolean> take(String route, String holder, Duration ttl) {
    return redis.set(List.of(key(route), holder, "PX", Long.toString(ttl.toMillis()))).map(r -> r != null);
  }

  @Override
  public Future<Boolean> tryTake(String route, String holder, Duration ttl) {
    return redis.set(List.of(key(route), holder, "NX", "PX", Long.toString(ttl.toMillis()))).map(r -> r != null);
  }

  @Override
  public Future<Boolean> renew(String route, String holder, Duration ttl) {
    return redis.eval(List.of(RENEW, "1", key(route), holder, Long.toString(ttl.toMillis())))
        .map(r -> r != null && r.toLong() == 1);
  }

  @Override
  public Future<Void> release(String route, String holder) {
    return redis.eval(List.of(RELEASE, "1", key(route), holder)).mapEmpty();
  }

}
