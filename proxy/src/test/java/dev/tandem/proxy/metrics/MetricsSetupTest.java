package dev.tandem.proxy.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class MetricsSetupTest {

  @Test
  @DisplayName("two Vert.x instances in one JVM each keep their metrics in their own registry, with the JVM's figures")
  void ownRegistries() throws Exception {
    PrometheusMeterRegistry first = MetricsSetup.newRegistry();
    PrometheusMeterRegistry second = MetricsSetup.newRegistry();
    Vertx a = MetricsSetup.vertx(first, new VertxOptions());
    Vertx b = MetricsSetup.vertx(second, new VertxOptions());
    try {
      // Under one registry name, the second Vert.x's pools landed in the first registry and the second had none.
      assertThat(second.scrape()).contains("vertx_pool_", "jvm_memory_used_bytes{area=\"heap\"",
          "jvm_threads_live_threads", "process_uptime_seconds");
      assertThat(first.scrape()).contains("vertx_pool_", "jvm_memory_used_bytes");
    } finally {
      a.close().await(10, TimeUnit.SECONDS);
      b.close().await(10, TimeUnit.SECONDS);
    }
  }
}
