package dev.tandem.idempotency;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.time.Instant;

/**
 * What a key may be derived from: one request as the client sent it.
 *
 * @param body the request body, or an empty buffer
 * @param time when the request arrived (for time buckets)
 */
public record KeyInput(String method, String path, MultiMap headers, Buffer body, Instant time) {
}
