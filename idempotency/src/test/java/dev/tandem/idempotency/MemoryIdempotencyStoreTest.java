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
}
