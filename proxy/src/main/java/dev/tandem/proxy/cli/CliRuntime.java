package dev.tandem.proxy.cli;

import dev.tandem.proxy.metrics.MetricsSetup;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/** The Vert.x instance and metrics registry of one CLI process. */
record CliRuntime(Vertx vertx, PrometheusMeterRegistry registry) {

  static CliRuntime create() {
    PrometheusMeterRegistry registry = MetricsSetup.newRegistry();
    return new CliRuntime(MetricsSetup.vertx(registry, new VertxOptions()), registry);
  }
}
