package dev.tandem.proxy.health;

import io.vertx.core.Future;

/** Asks one configured store whether it answers; readiness depends on every probe succeeding. */
public interface StoreProbe {

  /** What is probed, e.g. {@code idempotency (redis)}. */
  String name();

  /** Succeeds when the store answered within the probe's timeout. */
  Future<Void> check();

  Future<Void> close();
}
