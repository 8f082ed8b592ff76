/**
 * Makes a mirrored or replayed write land once: idempotency-key derivation strategies and the stores that
 * remember which keys were delivered (Redis, and a bounded in-memory store).
 */
package dev.tandem.idempotency;
