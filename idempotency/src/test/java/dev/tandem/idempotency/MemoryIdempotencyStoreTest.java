package dev.tandem.idempotency;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class MemoryIdempotencyStoreTest {

  private static final Duration TTL = Duration.ofMinutes(5);

  /** A clock the test moves by hand. */
  private static final class ManualClock extends Clock {
    private Instant now = Instant.parse("2026-11-22T10:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private final ManualClock clock = new ManualClock();

  private Reservation reserve(MemoryIdempotencyStore s, String key) {
    return s.reserve(key, TTL).result();
  }

  @Test
  @DisplayName("the first reservation wins; later ones are duplicates carrying the recorded outcome")
  void firstThenDuplicate() {
    MemoryIdempotencyStore s = new MemoryIdempotencyStore(10, clock);
    assertThat(reserve(s, "k")).isEqualTo(Reservation.granted());
    assertThat(reserve(s, "k")).isEqualTo(Reservation.duplicate(Reservation.PENDING));
    s.complete("k", "delivered:201", TTL);
    assertThat(reserve(s, "k")).isEqualTo(Reservation.duplicate("delivered:201"));
  }

  @Test
  @DisplayName("a released key can be delivered again; an expired one too")
  void releaseAndExpiry() {
    MemoryIdempotencyStore s = new MemoryIdempotencyStore(10, clock);
    reserve(s, "k");
    s.release("k");
    assertThat(reserve(s, "k").first()).isTrue();
    clock.now = clock.now.plus(TTL).plusMillis(1);
    assertThat(reserve(s, "k").first()).isTrue();
  }

  @Test
  @DisplayName("the store holds at most maxKeys keys, forgetting the oldest first and counting it")
  void bounded() {
    MemoryIdempotencyStore s = new MemoryIdempotencyStore(3, clock);
    for (int i = 0; i < 5; i++) {
      reserve(s, "k" + i);
    }
    assertThat(s.size()).isEqualTo(3);
    assertThat(s.evictions()).isEqualTo(2);
    assertThat(reserve(s, "k4").first()).isFalse();
    assertThat(reserve(s, "k0").first()).isTrue();
  }

  @Test
  @DisplayName("outcomes other than delivered:<status> are kept, up to a bound of distinct values, then as 'completed'")
  void otherOutcomes() {
    MemoryIdempotencyStore s = new MemoryIdempotencyStore(1000, clock);
    reserve(s, "odd");
    s.complete("odd", "delivered:2xx", TTL);
    assertThat(reserve(s, "odd").priorOutcome()).isEqualTo("delivered:2xx");
    for (int i = 0; i < MemoryIdempotencyStore.MAX_OTHER_OUTCOMES + 10; i++) {
      reserve(s, "k" + i);
      s.complete("k" + i, "note-" + i, TTL);
    }
    assertThat(reserve(s, "k3").priorOutcome()).isEqualTo("note-3");
    assertThat(reserve(s, "k" + (MemoryIdempotencyStore.MAX_OTHER_OUTCOMES + 5)).priorOutcome()).isEqualTo("completed");
  }

  /** A straightforward reference on plain collections: the same rules, none of the hashing or the ring arithmetic. */
  private static final class Reference {
    record Held(String outcome, long expiresAt, long seq) {
    }

    record Queued(String key, long seq) {
    }

    final int maxKeys;
    final java.util.Map<String, Held> keys = new java.util.HashMap<>();
    final java.util.ArrayDeque<Queued> order = new java.util.ArrayDeque<>();
    long seq;
    long evictions;

    Reference(int maxKeys) {
      this.maxKeys = maxKeys;
    }

    Reservation reserve(String key, long now, long ttl) {
      Held held = keys.get(key);
      if (held != null && held.expiresAt > now) {
        return Reservation.duplicate(held.outcome);
      }
      keys.remove(key);
      while (!order.isEmpty()) {
        Held head = current(order.peek());
        if (head != null && head.expiresAt > now) {
          break;
        }
        Queued q = order.poll();
        if (head != null) {
          keys.remove(q.key);
        }
      }
      while (order.size() >= maxKeys) {
        Queued q = order.poll();
        Held head = current(q);
        if (head != null) {
          evictions += head.expiresAt > now ? 1 : 0;
          keys.remove(q.key);
        }
      }
      keys.put(key, new Held(Reservation.PENDING, now + ttl, ++seq));
      order.add(new Queued(key, seq));
      return Reservation.granted();
    }

    private Held current(Queued q) {
      Held h = keys.get(q.key);
      return h != null && h.seq == q.seq ? h : null;
    }
  }

  @Test
  @DisplayName("200,000 random operations agree with a reference on plain collections, and the bound always holds")
  void agreesWithReference() {
    int maxKeys = 500;
    MemoryIdempotencyStore s = new MemoryIdempotencyStore(maxKeys, clock);
    Reference ref = new Reference(maxKeys);
    java.util.Random random = new java.util.Random(42);
    for (int op = 0; op < 200_000; op++) {
      String key = "key-" + random.nextInt(2_000);
      long now = clock.millis();
      switch (random.nextInt(10)) {
        case 0 -> {
          s.release(key);
          ref.keys.remove(key);
        }
        case 1, 2 -> {
          String outcome = "delivered:" + (200 + random.nextInt(5));
          s.complete(key, outcome, TTL);
          ref.keys.computeIfPresent(key, (k, h) -> new Reference.Held(outcome, now + TTL.toMillis(), h.seq()));
        }
        case 3 -> clock.now = clock.now.plusSeconds(random.nextInt(20));
        default -> assertThat(reserve(s, key)).as("op %d, %s", op, key)
            .isEqualTo(ref.reserve(key, now, TTL.toMillis()));
      }
      assertThat(s.size()).isLessThanOrEqualTo(maxKeys).isEqualTo(ref.keys.size());
    }
    assertThat(ref.evictions).isPositive();
    assertThat(s.evictions()).isEqualTo(ref.evictions);
  }

  @Test
  @DisplayName("a million keys through a store of 100,000: the bound holds and recent keys are still known")
  void manyKeys() {
    MemoryIdempotencyStore s = new MemoryIdempotencyStore(100_000, clock);
    for (int i = 0; i < 1_000_000; i++) {
      assertThat(reserve(s, "k" + i).first()).isTrue();
    }
    assertThat(s.size()).isEqualTo(100_000);
    assertThat(s.evictions()).isEqualTo(900_000);
    assertThat(reserve(s, "k999999").first()).isFalse();
    assertThat(reserve(s, "k900000").first()).isFalse();
    assertThat(reserve(s, "k899999").first()).isTrue();
  }
}
