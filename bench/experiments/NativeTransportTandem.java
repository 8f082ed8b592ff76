// Experiment, not part of the build: starts Tandem exactly as `tandem proxy --config FILE` does (same
// MetricsSetup.vertx and Tandem.start), except that Vert.x prefers the native epoll transport over NIO. Run by
// bench/proxy-bench.sh with TANDEM_NATIVE=1 (Java's single-file source launcher, with Netty's epoll jars from
// the local Maven repository on the class path).
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.metrics.MetricsSetup;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.nio.file.Path;

public class NativeTransportTandem {
  public static void main(String[] args) throws Exception {
    TandemConfig config = new ConfigLoader().load(Path.of(args[0])).config();
    PrometheusMeterRegistry registry = MetricsSetup.newRegistry();
    Vertx vertx = MetricsSetup.vertx(registry, new VertxOptions().setPreferNativeTransport(true));
    if (!vertx.isNativeTransportEnabled()) {
      throw new IllegalStateException("native transport unavailable", vertx.unavailableNativeTransportCause());
    }
    Tandem tandem = Tandem.start(vertx, registry, config).toCompletionStage().toCompletableFuture().get();
    System.out.println("tandem (native transport) on port " + tandem.port());
    Thread.currentThread().join();
  }
}
