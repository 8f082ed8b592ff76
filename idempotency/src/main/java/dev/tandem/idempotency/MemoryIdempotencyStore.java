package dev.tandem.idempotency;

import io.vertx.core.Future;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The embedded default: keys in this process only, at most {@code maxKeys} of them. When full, the key that was
 * reserved longest ago is forgotten first (and counted in {@link #evictions()}), so memory stays bounded however
 * much traffic passes; a forgotten key could be delivered again, which is why shared deployments use Redis.
 */
public final class MemoryIdempotencyStore implements IdempotencyStore {

  /** Default bound on remembered keys. */
  public static final int DEFAULT_MAX_KEYS = 100_000;

  private record Entry(String value, long expiresAtMillis) {
  }

  private final int maxKeys;
  private final Clock clock;
  private final LinkedHashMap<String, Entry> keys = new LinkedHashMap<>();
  private long evictions;

  public MemoryIdempotencyStore(int maxKeys, Clock clock) {
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be at least 1, got " + maxKeys);
    }
    this.maxKeys = maxKeys;
    this.clock = clock;
  }

  public MemoryIdempotencyStore() {
    this(DEFAULT_MAX_KEYS, Clock.systemUTC());
  }

  @Override
  public synchronized Future<Reservation> reserve(String key, Duration ttl) {
    long now = clock.millis();
    Entry held = keys.get(key);
    if (held != null && held.expiresAtMillis > now) {
      return Future.succeededFuture(Reservation.duplicate(held.value));
    }
    keys.remove(key);
    keys.put(key, new Entry(Reservation.PENDING, now + ttl.toMillis()));
    evictOverflow(now);
    return Future.succeededFuture(Reservation.granted());
  }

  @Override
  public synchronized Future<Void> complete(String key, String outcome, Duration ttl) {
    if (keys.containsKey(key)) {
      keys.put(key, new Entry(outcome, clock.millis() + ttl.toMillis()));
    }
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> release(String key) {
    keys.remove(key);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> ping() {
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> close() {
    keys.clear();
    return Future.succeededFuture();
  }

  /** Keys remembered now. */
  public synchronized int size() {
    return keys.size();
  }

  /** Keys forgotten early because the store was full. */
  public synchronized long evictions() {
    return evictions;
  }

  public int maxKeys() {
    return maxKeys;
  }

  private void evictOverflow(long now) {
    Iterator<Map.Entry<String, Entry>> it = keys.entrySet().iterator();
    while (keys.size() > maxKeys && it.hasNext()) {
      Map.Entry<String, Entry> oldest = it.next();
      it.remove();
      if (oldest.getValue().expiresAtMillis > now) {
        evictions++;
      }
    }
  }
}
