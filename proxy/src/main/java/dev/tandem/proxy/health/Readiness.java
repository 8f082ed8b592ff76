package dev.tandem.proxy.health;

import dev.tandem.proxy.config.StoreConfig;
import dev.tandem.proxy.config.TandemConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether this instance should take traffic: the data plane listens and every configured store answers. A probe
 * that fails names the store and why, so that {@code /health/ready} explains itself.
 */
public final class Readiness {

  static final long PROBE_TIMEOUT_MILLIS = 2000;

  private final java.util.function.Supplier<String> dataPlane;
  private final List<StoreProbe> probes;

  /** {@code dataPlane} says "UP", or "DOWN: why" (not listening yet, draining). */
  public Readiness(java.util.function.Supplier<String> dataPlane, List<StoreProbe> probes) {
    this.dataPlane = dataPlane;
    this.probes = List.copyOf(probes);
  }

  /** The probes for the stores {@code config} names; the memory stores need none. */
  public static List<StoreProbe> probesFor(Vertx vertx, TandemConfig config) {
    List<StoreProbe> probes = new ArrayList<>();
    StoreConfig idempotency = config.idempotency().store();
    if (StoreConfig.REDIS.equals(idempotency.kind())) {
      probes.add(StoreProbe.redis(vertx, "idempotency (redis)", idempotency.url(), PROBE_TIMEOUT_MILLIS));
    }
    StoreConfig comparator = config.comparator();
    if (StoreConfig.POSTGRES.equals(comparator.kind())) {
      probes.add(StoreProbe.postgres(vertx, "comparator (postgres)", comparator.url(), PROBE_TIMEOUT_MILLIS));
    }
    var deadLetters = config.deadLetters();
    if (dev.tandem.proxy.config.DeadLetterConfig.REDIS.equals(deadLetters.store())) {
      probes.add(StoreProbe.redis(vertx, "deadLetters (redis)", deadLetters.redis(), PROBE_TIMEOUT_MILLIS));
    } else if (dev.tandem.proxy.config.DeadLetterConfig.POSTGRES.equals(deadLetters.store())) {
      probes.add(StoreProbe.postgres(vertx, "deadLetters (postgres)", deadLetters.postgres(), PROBE_TIMEOUT_MILLIS));
    }
    return probes;
  }

  /** Runs every check and answers with {@code ready} and one entry per check. */
  public Future<JsonObject> check() {
    JsonObject checks = new JsonObject().put("dataPlane", dataPlane.get());
    List<Future<Void>> running = new ArrayList<>();
    for (StoreProbe p : probes) {
      running.add(p.check()
          .onSuccess(v -> checks.put(p.name(), "UP"))
          .onFailure(t -> checks.put(p.name(), "DOWN: " + describe(t))));
    }
    return Future.join(running).transform(ignored -> {
      boolean ready = checks.stream().allMatch(e -> "UP".equals(e.getValue()));
      return Future.succeededFuture(new JsonObject().put("status", ready ? "UP" : "DOWN").put("checks", checks));
    });
  }

  public Future<Void> close() {
    return Future.join(probes.stream().map(StoreProbe::close).toList()).mapEmpty();
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }
}
