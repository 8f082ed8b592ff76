package dev.tandem.idempotency;

import io.vertx.core.Future;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedded default: keys in this process only, at most {@code maxKeys} of them. When full, the key that was
 * reserved longest ago is forgotten first (and counted in {@link #evictions()}), so memory stays bounded however
 * much traffic passes; a forgotten key could be delivered again, which is why shared deployments use Redis.
 *
 * <p>Written by hand rather than on a {@code LinkedHashMap}: with a map, every key costs a {@code String}, an entry
 * and a node that live for seconds to minutes, long enough to be promoted, and at 20k writes/s the benchmark
 * measured young-GC pauses 6–7× longer than without mirrored writes (bench/README.md, "what to fix"). Here a key is
 * a 128-bit seeded hash in primitive arrays (an open-addressing table plus a FIFO ring in reservation order), so a
 * reservation allocates nothing that outlives it. Two distinct keys would have to collide in 128 bits of a hash
 * seeded at random per process to be confused.
 *
 * <p>An outcome is kept as a small code: {@code pending}, {@code delivered:<status>}, or one of up to
 * {@value #MAX_OTHER_OUTCOMES} other distinct strings; beyond those, an outcome is remembered as {@code completed}.
 */
public final class MemoryIdempotencyStore implements IdempotencyStore {

  /** Default bound on remembered keys. */
  public static final int DEFAULT_MAX_KEYS = 100_000;
  static final int MAX_OTHER_OUTCOMES = 256;
  private static final String GENERIC_OUTCOME = "completed";
  private static final String DELIVERED = "delivered:";
  private static final int PENDING_CODE = -1;
  private static final int OTHER_BASE = 1000;

  private static final byte EMPTY = 0;
  private static final byte LIVE = 1;
  private static final byte GONE = 2;

  private final int maxKeys;
  private final Clock clock;
  private final long seed1;
  private final long seed2;

  // The table: open addressing, linear probing, tombstones (GONE) cleared by rehashing.
  private byte[] state;
  private long[] hashA;
  private long[] hashB;
  private long[] expiresAt;
  private int[] seqOf;
  private int[] outcome;
  private int live;
  private int gone;

  // Reservations in the order they were made; an entry whose key was released or re-reserved since is stale
  // (its sequence number no longer matches the table's) and is skipped when it reaches the head.
  private long[] ringA;
  private long[] ringB;
  private int[] ringSeq;
  private int ringHead;
  private int ringSize;
  private int nextSeq = 1; // compared for equality only, so wrapping is harmless

  private final Map<String, Integer> otherCodes = new HashMap<>();
  private final List<String> otherOutcomes = new ArrayList<>();
  private long evictions;

  public MemoryIdempotencyStore(int maxKeys, Clock clock) {
    if (maxKeys < 1) {
      throw new IllegalArgumentException("maxKeys must be at least 1, got " + maxKeys);
    }
    this.maxKeys = maxKeys;
    this.clock = clock;
    SecureRandom random = new SecureRandom();
    this.seed1 = random.nextLong();
    this.seed2 = random.nextLong() | 1;
    allocateTable(16);
    int ring = Math.min(maxKeys, 1024);
    ringA = new long[ring];
    ringB = new long[ring];
    ringSeq = new int[ring];
  }

  public MemoryIdempotencyStore() {
    this(DEFAULT_MAX_KEYS, Clock.systemUTC());
  }

  @Override
  public synchronized Future<Reservation> reserve(String key, Duration ttl) {
    long now = clock.millis();
    long a = hash(key, seed1);
    long b = hash(key, seed2);
    int slot = find(a, b);
    if (slot >= 0 && expiresAt[slot] > now) {
      return Future.succeededFuture(Reservation.duplicate(decode(outcome[slot])));
    }
    if (slot >= 0) {
      remove(slot);
    }
    reapExpired(now);
    while (ringSize >= maxKeys) {
      evictOldest(now);
    }
    int seq = nextSeq++;
    insert(a, b, now + ttl.toMillis(), seq, PENDING_CODE);
    ringPush(a, b, seq);
    return Future.succeededFuture(Reservation.granted());
  }

  @Override
  public synchronized Future<Void> complete(String key, String outcomeValue, Duration ttl) {
    int slot = find(hash(key, seed1), hash(key, seed2));
    if (slot >= 0) {
      outcome[slot] = encode(outcomeValue);
      expiresAt[slot] = clock.millis() + ttl.toMillis();
    }
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> release(String key) {
    int slot = find(hash(key, seed1), hash(key, seed2));
    if (slot >= 0) {
      remove(slot);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> ping() {
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> close() {
    allocateTable(16);
    ringHead = 0;
    ringSize = 0;
    return Future.succeededFuture();
  }

  /** Keys remembered now (expired keys are forgotten lazily, as newer reservations pass them). */
  public synchronized int size() {
    return live;
  }

  /** Keys forgotten before their ttl because the store was full. */
  public synchronized long evictions() {
    return evictions;
  }

  public int maxKeys() {
    return maxKeys;
  }

  // --- outcomes -----------------------------------------------------------------------------------------------

  private int encode(String value) {
    if (Reservation.PENDING.equals(value)) {
      return PENDING_CODE;
    }
    if (value.startsWith(DELIVERED) && value.length() == DELIVERED.length() + 3) {
      int status = 0;
      for (int i = DELIVERED.length(); i < value.length(); i++) {
        char c = value.charAt(i);
        if (c < '0' || c > '9') {
          status = -1;
          break;
        }
        status = status * 10 + (c - '0');
      }
      if (status >= 100 && status <= 999) {
        return status;
      }
    }
    Integer code = otherCodes.get(value);
    if (code == null) {
      if (otherOutcomes.size() >= MAX_OTHER_OUTCOMES) {
        value = GENERIC_OUTCOME;
        code = otherCodes.get(value);
      }
      if (code == null) {
        code = OTHER_BASE + otherOutcomes.size();
        otherOutcomes.add(value);
        otherCodes.put(value, code);
      }
    }
    return code;
  }

  private String decode(int code) {
    if (code == PENDING_CODE) {
      return Reservation.PENDING;
    }
    if (code < OTHER_BASE) {
      return DELIVERED + code;
    }
    return otherOutcomes.get(code - OTHER_BASE);
  }

  // --- the table ----------------------------------------------------------------------------------------------

  private void allocateTable(int capacity) {
    state = new byte[capacity];
    hashA = new long[capacity];
    hashB = new long[capacity];
    expiresAt = new long[capacity];
    seqOf = new int[capacity];
    outcome = new int[capacity];
    live = 0;
    gone = 0;
  }

  private int find(long a, long b) {
    int mask = state.length - 1;
    for (int i = (int) (a ^ (a >>> 32)) & mask; ; i = (i + 1) & mask) {
      byte s = state[i];
      if (s == EMPTY) {
        return -1;
      }
      if (s == LIVE && hashA[i] == a && hashB[i] == b) {
        return i;
      }
    }
  }

  private void insert(long a, long b, long expires, int seq, int code) {
    // Load at most 0.7 counting tombstones; grow when live keys alone would pass half the table.
    if ((long) (live + gone + 1) * 10 > (long) state.length * 7) {
      rehash((live + 1) * 2 > state.length ? state.length * 2 : state.length);
    }
    int mask = state.length - 1;
    int i = (int) (a ^ (a >>> 32)) & mask;
    while (state[i] == LIVE) {
      i = (i + 1) & mask;
    }
    if (state[i] == GONE) {
      gone--;
    }
    state[i] = LIVE;
    hashA[i] = a;
    hashB[i] = b;
    expiresAt[i] = expires;
    seqOf[i] = seq;
    outcome[i] = code;
    live++;
  }

  private void remove(int slot) {
    state[slot] = GONE;
    live--;
    gone++;
  }

  private void rehash(int capacity) {
    byte[] oldState = state;
    long[] oldA = hashA;
    long[] oldB = hashB;
    long[] oldExpires = expiresAt;
    int[] oldSeq = seqOf;
    int[] oldOutcome = outcome;
    allocateTable(capacity);
    for (int i = 0; i < oldState.length; i++) {
      if (oldState[i] == LIVE) {
        insert(oldA[i], oldB[i], oldExpires[i], oldSeq[i], oldOutcome[i]);
      }
    }
  }

  // --- the ring, oldest reservation first ---------------------------------------------------------------------

  private void ringPush(long a, long b, int seq) {
    if (ringSize == ringA.length) {
      int grown = (int) Math.min(maxKeys, (long) ringA.length * 2);
      long[] na = new long[grown];
      long[] nb = new long[grown];
      int[] ns = new int[grown];
      for (int i = 0; i < ringSize; i++) {
        int from = (ringHead + i) % ringA.length;
        na[i] = ringA[from];
        nb[i] = ringB[from];
        ns[i] = ringSeq[from];
      }
      ringA = na;
      ringB = nb;
      ringSeq = ns;
      ringHead = 0;
    }
    int tail = (ringHead + ringSize) % ringA.length;
    ringA[tail] = a;
    ringB[tail] = b;
    ringSeq[tail] = seq;
    ringSize++;
  }

  /** The table slot that the ring's head still stands for, or -1 when that reservation is gone or superseded. */
  private int headSlot() {
    int slot = find(ringA[ringHead], ringB[ringHead]);
    return slot >= 0 && seqOf[slot] == ringSeq[ringHead] ? slot : -1;
  }

  private void ringPop() {
    ringHead = (ringHead + 1) % ringA.length;
    ringSize--;
  }

  /** Drops expired and stale reservations at the head of the ring. */
  private void reapExpired(long now) {
    while (ringSize > 0) {
      int slot = headSlot();
      if (slot >= 0 && expiresAt[slot] > now) {
        return;
      }
      if (slot >= 0) {
        remove(slot);
      }
      ringPop();
    }
  }

  private void evictOldest(long now) {
    int slot = headSlot();
    if (slot >= 0) {
      if (expiresAt[slot] > now) {
        evictions++;
      }
      remove(slot);
    }
    ringPop();
  }

  /** A seeded 64-bit hash of the key's UTF-8 bytes (murmur-style mixing); two seeds give 128 bits. */
  private static long hash(String key, long seed) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    long h = seed ^ (bytes.length * 0xc6a4a7935bd1e995L);
    int i = 0;
    for (; i + 8 <= bytes.length; i += 8) {
      long k = 0;
      for (int j = 7; j >= 0; j--) {
        k = (k << 8) | (bytes[i + j] & 0xffL);
      }
      h = (h ^ mix(k)) * 0x9e3779b97f4a7c15L;
      h = Long.rotateLeft(h, 27);
    }
    long tail = 0;
    for (int j = bytes.length - 1; j >= i; j--) {
      tail = (tail << 8) | (bytes[j] & 0xffL);
    }
    h ^= mix(tail ^ 0x27d4eb2f165667c5L);
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
