package dev.tandem.proxy.config;

import java.util.List;
import java.util.Map;

/**
 * A whole, validated Tandem configuration. Built only by {@link ConfigLoader}; behaviour reads these records and
 * never the YAML.
 */
public record TandemConfig(
    ServerConfig server,
    AdminConfig admin,
    Map<String, BackendConfig> backends,
    List<RouteConfig> routes,
    IdempotencyConfig idempotency,
    StoreConfig comparator,
    VerifyConfig verify,
    DeadLetterConfig deadLetters,
    StateConfig state,
    CompareConfig compare,
    CaptureConfig capture,
    RolloutSettings rollout) {

  public TandemConfig {
    backends = Map.copyOf(backends);
    routes = List.copyOf(routes);
  }

  public BackendConfig backend(String name) {
    return backends.get(name);
  }
}
