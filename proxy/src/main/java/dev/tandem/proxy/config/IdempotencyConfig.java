package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * Where mirrored writes' idempotency keys live and how they are made.
 *
 * @param store       the store ({@code memory} or {@code redis})
 * @param prefix      Redis key prefix
 * @param ttl         how long a delivered key is remembered
 * @param key         the key template for requests without their own {@code Idempotency-Key}
 * @param failOpen    when the store is down: true sends unsafe copies anyway; false (failClosed, the default)
 *                    dead-letters them
 * @param maxKeys     bound of the in-memory store
 */
public record IdempotencyConfig(StoreConfig store, String prefix, Duration ttl, String key, boolean failOpen,
                                int maxKeys) {
}
