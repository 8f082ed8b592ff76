package dev.tandem.proxy.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/** Creates a Vert.x instance whose own metrics and Tandem's land in one Prometheus registry. */
public final class MetricsSetup {

  private static final java.util.concurrent.atomic.AtomicLong REGISTRIES = new java.util.concurrent.atomic.AtomicLong();

  private MetricsSetup() {
  }

  /**
   * A registry with the JVM's own figures bound: heap and non-heap by pool, threads, classes, CPU and uptime (what
   * a flat-memory run and a dashboard read). GC pauses are not bound: JvmGcMetrics keeps a listener per registry
   * until closed, and a process may make several registries (the demo's fleet, tests).
   */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
    return registry;
  }

  public static Vertx vertx(PrometheusMeterRegistry registry, VertxOptions options) {
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        // Vert.x keeps one backend per registry name for the whole JVM: under the default name, a second Vert.x
        // (the demo's fleet, tests) would put its own metrics in the first one's registry, and Micrometer warns.
        .setRegistryName("tandem-" + REGISTRIES.incrementAndGet())
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        // Tandem records its own per-route request metrics; Vert.x's per-request HTTP metrics would double the
        // work on the hot path. Pools, connections and event-loop metrics stay on.
        .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
        // Redis and PostgreSQL clients would each register the same net-client gauges, and Micrometer warns.
        .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
        // The SQL client registers its client gauges once per connection, under the same name: a pool of two
        // connections would count one and make Micrometer warn on every CLI command. Its pools' metrics
        // (vertx_pool_*, by pool name) stay.
        .addDisabledMetricsCategory("sql")
        // The Redis client does the same, once per pooled connection (the state store has two, the idempotency
        // store sixteen): its gauges are off for the same reason. Tandem's own store metrics stay.
        .addDisabledMetricsCategory("redis");
    return Vertx.builder()
        .with(new VertxOptions(options).setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(registry))
        // HTTP/1.1 and cleartext HTTP/2 on one port, every HTTP/1.1 request parsed by the edge's decoder.
        .withTransport(dev.tandem.proxy.edge.FrontDoor.transport())
        .build();
  }
}
