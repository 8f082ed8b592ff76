package dev.tandem.proxy.state;

import dev.tandem.proxy.config.StateConfig;
import io.vertx.core.Vertx;

/** Makes the configured {@link StateStore}. */
public final class StateStores {

  private StateStores() {
  }

  public static StateStore create(Vertx vertx, StateConfig config) {
    return StateConfig.REDIS.equals(config.store())
        ? new RedisStateStore(vertx, config.redis(), config.prefix())
        : new FileStateStore(vertx, config.file());
  }
}
