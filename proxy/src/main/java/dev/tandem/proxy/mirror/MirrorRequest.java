package dev.tandem.proxy.mirror;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * One copy as it goes to one shadow.
 *
 * @param idempotencyKey the key of an unsafe request, also sent as {@code Idempotency-Key}; null for safe ones
 * @param watch          who waits for the shadow's answer (comparison, capture); null when nobody does
 */
public record MirrorRequest(String route, String method, String uri, MultiMap headers, Buffer body,
                            String idempotencyKey, ShadowWatch watch) {

  /** A copy whose answer is not compared (dead-letter replays). */
  public MirrorRequest(String route, String method, String uri, MultiMap headers, Buffer body, String idempotencyKey) {
    this(route, method, uri, headers, body, idempotencyKey, null);
  }

  /** This copy, to a shadow whose answer somebody waits for. */
  MirrorRequest watched(ShadowWatch w) {
    return new MirrorRequest(route, method, uri, headers, body, idempotencyKey, w);
  }

  public boolean unsafe() {
    return idempotencyKey != null;
  }
}
