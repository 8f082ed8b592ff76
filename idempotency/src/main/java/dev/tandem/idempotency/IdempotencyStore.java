package dev.tandem.idempotency;

import io.vertx.core.Future;

import java.time.Duration;

/**
 * Remembers which idempotency keys have been delivered, so that a mirrored or replayed write lands once. A caller
 * {@link #reserve reserves} a key before delivering, then {@link #complete records the outcome}, or
 * {@link #release releases} the key when the delivery failed so that a later retry may deliver it. Implementations
 * answer through futures and never block the calling event loop.
 */
public interface IdempotencyStore {

  /** Default key prefix, as in {@code idempotency:<key>}. */
  String DEFAULT_PREFIX = "idempotency:";
  /** Default time a key is remembered. */
  Duration DEFAULT_TTL = Duration.ofHours(1);

  /** Atomically takes {@code key} for {@code ttl} if nobody holds it; otherwise says what the holder recorded. */
  Future<Reservation> reserve(String key, Duration ttl);

  /** Records the outcome of a delivery made under a reserved key (e.g. {@code delivered:201}). */
  Future<Void> complete(String key, String outcome, Duration ttl);

  /** Frees a reserved key whose delivery failed, so that a retry is not taken for a duplicate. */
  Future<Void> release(String key);

  /** Succeeds when the store answers; used by readiness checks. */
  Future<Void> ping();

  Future<Void> close();
}
