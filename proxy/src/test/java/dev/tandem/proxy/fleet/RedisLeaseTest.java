package dev.tandem.proxy.fleet;

import dev.tandem.testkit.TestServices;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

class RedisLeaseTest {

  private final Vertx vertx = Vertx.vertx();
  private final Redis redis = Redis.createClient(vertx, TestServices.redisUrl());
  private final RedisLease lease = new RedisLease(RedisAPI.api(redis), "lease-" + UUID.randomUUID() + ":");
  private final Duration ttl = Duration.ofSeconds(30);

  @AfterEach
  void close() {
    await(vertx.close());
  }

  @Test
  @DisplayName("one holder at a time: a free lease is taken, a held one is not, renewing or releasing another's does"
      + " nothing, a forced take wins")
  void oneHolder() {
    assertThat(await(lease.tryTake("orders", "a/1", ttl))).isTrue();
    assertThat(await(lease.tryTake("orders", "b/1", ttl))).isFalse();
    assertThat(await(lease.renew("orders", "a/1", ttl))).isTrue();
    assertThat(await(lease.renew("orders", "b/1", ttl))).isFalse();
    await(lease.release("orders", "b/1"));
    assertThat(await(lease.tryTake("orders", "b/1", ttl))).as("b's release left a's lease alone").isFalse();
    assertThat(await(lease.take("orders", "a/2", ttl))).as("a's next rollout").isTrue();
    await(lease.release("orders", "a/1"));
    assertThat(await(lease.renew("orders", "a/2", ttl))).as("the old rollout's release kept the new one's").isTrue();
    await(lease.release("orders", "a/2"));
    assertThat(await(lease.tryTake("orders", "b/1", ttl))).isTrue();
  }

  @Test
  @DisplayName("a lease nobody renews lapses, and another instance takes it")
  void lapses() {
    assertThat(await(lease.tryTake("orders", "a/1", Duration.ofMillis(200)))).isTrue();
    eventually("the lease lapses", () -> await(lease.tryTake("orders", "b/1", ttl)));
    assertThat(await(lease.renew("orders", "a/1", ttl))).isFalse();
  }
}
