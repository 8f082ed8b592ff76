package dev.tandem.idempotency;

import dev.tandem.testkit.OwnRedis;
import dev.tandem.testkit.TestServices;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RedisIdempotencyStoreTest {

  private final Vertx vertx = Vertx.vertx();
  private final String prefix = "test-" + UUID.randomUUID() + ":";

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("100 concurrent reservations of one key: exactly one is first")
  void concurrentCopies() throws Exception {
    RedisIdempotencyStore store = new RedisIdempotencyStore(vertx, TestServices.redisUrl(), prefix);
    List<Future<Reservation>> all = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      all.add(store.reserve("order-1", Duration.ofMinutes(1)));
    }
    await(Future.all(all));
    assertThat(all.stream().filter(f -> f.result().first()).count()).isEqualTo(1);
  }

  @Test
  @DisplayName("duplicates see the recorded outcome; a released key is delivered again")
  void outcomeAndRelease() throws Exception {
    RedisIdempotencyStore store = new RedisIdempotencyStore(vertx, TestServices.redisUrl(), prefix);
    assertThat(await(store.reserve("k", Duration.ofMinutes(1)))).isEqualTo(Reservation.granted());
    assertThat(await(store.reserve("k", Duration.ofMinutes(1)))).isEqualTo(Reservation.duplicate("pending"));
    await(store.complete("k", "delivered:201", Duration.ofMinutes(1)));
    assertThat(await(store.reserve("k", Duration.ofMinutes(1)))).isEqualTo(Reservation.duplicate("delivered:201"));

    assertThat(await(store.reserve("retry", Duration.ofMinutes(1))).first()).isTrue();
    await(store.release("retry"));
    assertThat(await(store.reserve("retry", Duration.ofMinutes(1))).first()).isTrue();
    assertThat(await(store.reserve("retry", Duration.ofMinutes(1))).first()).isFalse();
    await(store.ping());
  }

  @Test
  @DisplayName("a key is forgotten after its TTL")
  void ttl() throws Exception {
    RedisIdempotencyStore store = new RedisIdempotencyStore(vertx, TestServices.redisUrl(), prefix);
    assertThat(await(store.reserve("short", Duration.ofMillis(50))).first()).isTrue();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    boolean freed = false;
    while (!freed && System.nanoTime() < deadline) {
      freed = await(store.reserve("short", Duration.ofMillis(50))).first();
    }
    assertThat(freed).as("key free again after its TTL").isTrue();
  }

  @Test
  @DisplayName("while Redis is down calls fail; after it comes back the store works again without a restart")
  void reconnects() throws Exception {
    try (OwnRedis redis = OwnRedis.start()) {
      RedisIdempotencyStore store = new RedisIdempotencyStore(vertx, redis.url(), prefix);
      assertThat(await(store.reserve("a", Duration.ofMinutes(1))).first()).isTrue();

      redis.kill();
      Future<Reservation> down = store.reserve("b", Duration.ofMinutes(1));
      boolean failed = await(down.transform(ar -> Future.succeededFuture(ar.failed())));
      assertThat(failed).as("fails while down").isTrue();

      redis.restart();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      Boolean first = null;
      while (first == null && System.nanoTime() < deadline) {
        first = await(store.reserve("c", Duration.ofMinutes(1)).transform(ar ->
            Future.succeededFuture(ar.succeeded() ? ar.result().first() : null)));
      }
      assertThat(first).as("reserves again after Redis is back").isTrue();
    }
  }
}
