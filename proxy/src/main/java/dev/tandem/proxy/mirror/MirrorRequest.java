package dev.tandem.proxy.mirror;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * One copy as it goes to one shadow.
 *
 * @param idempotencyKey the key of an unsafe request, also sent as {@code Idempotency-Key}; null for safe ones
 */
public record MirrorRequest(String route, String method, String uri, MultiMap headers, Buffer body,
                            String idempotencyKey) {

  public boolean unsafe() {
    return idempotencyKey != null;
  }
}
