package dev.tandem.proxy.state;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Keeps what operators change at run time — per route a JSON object with the canary weight, the mirror percent
 * and the rollout — and the audit log of those changes, so that a restart comes back with the current values
 * rather than the file's, and (with Redis) every instance applies a change made on any of them.
 */
public interface StateStore {

  /** Most audit entries kept; older ones drop off. */
  int MAX_AUDIT = 10_000;

  /** Every route's saved state, by route name. */
  Future<Map<String, JsonObject>> load();

  /** Saves one route's state and tells the other instances. */
  Future<Void> save(String route, JsonObject state);

  Future<Void> audit(JsonObject entry);

  /** The newest {@code limit} audit entries, newest first. */
  Future<List<JsonObject>> audit(int limit);

  /**
   * Called with a route's saved state when it may have changed elsewhere (another instance's change, or the
   * periodic re-read, which delivers unchanged states too); the listener applies what differs. A store without
   * other writers never calls it.
   */
  void onChange(BiConsumer<String, JsonObject> listener);

  /**
   * Whether Tandem may start without the saved state when the store cannot be read (a shared store that is down:
   * the configuration's values apply until it answers), rather than refuse to start (a local file that is corrupt).
   */
  default boolean startsWithoutSavedState() {
    return false;
  }

  /** The Redis behind this store when every instance shares it (for the rollout's lease and figures); else null. */
  default io.vertx.redis.client.RedisAPI sharedRedis() {
    return null;
  }

  /** The key prefix in {@link #sharedRedis()}. */
  default String prefix() {
    return "";
  }

  Future<Void> close();
}
