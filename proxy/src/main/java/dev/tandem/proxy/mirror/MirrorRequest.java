package dev.tandem.proxy.mirror;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * One copy as it goes to one shadow.
 *
 * @param idempotencyKey the key of an unsafe request, also sent as {@code Idempotency-Key}; null for safe ones
 * @param comparison     where the shadow's answer goes when it is compared with the primary's; null otherwise
 */
public record MirrorRequest(String route, String method, String uri, MultiMap headers, Buffer body,
                            String idempotencyKey, dev.tandem.proxy.compare.PendingComparison comparison) {

  /** A copy whose answer is not compared (dead-letter replays). */
  public MirrorRequest(String route, String method, String uri, MultiMap headers, Buffer body, String idempotencyKey) {
    this(route, method, uri, headers, body, idempotencyKey, null);
  }

  /** This copy, to a shadow whose answer is compared. */
  MirrorRequest compared(dev.tandem.proxy.compare.PendingComparison c) {
    return new MirrorRequest(route, method, uri, headers, body, idempotencyKey, c);
  }

  public boolean unsafe() {
    return idempotencyKey != null;
  }
}
