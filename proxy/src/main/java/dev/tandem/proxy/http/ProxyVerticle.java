package dev.tandem.proxy.http;

import dev.tandem.proxy.config.BackendConfig;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.metrics.ProxyMetrics;
import dev.tandem.proxy.route.RouteTable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The data plane on one event loop: an HTTP server and a connection pool per backend. Tandem deploys one instance
 * per event loop; they share the listening port.
 */
public final class ProxyVerticle extends VerticleBase {

  private final TandemConfig config;
  private final RouteTable routes;
  private final ProxyMetrics metrics;
  private final Map<String, Backend> backends = new HashMap<>();
  private final int port;
  private HttpServer server;

  /**
   * @param port where to listen: the configured port, or a negative number for a free port shared by every
   *             instance given the same number
   */
  public ProxyVerticle(TandemConfig config, RouteTable routes, ProxyMetrics metrics, int port) {
    this.config = config;
    this.routes = routes;
    this.metrics = metrics;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    for (BackendConfig b : config.backends().values()) {
      backends.put(b.name(), new Backend(vertx, b));
    }
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.server().host())
        .setPort(port)
        .setTcpNoDelay(true)
        .setIdleTimeout((int) config.server().idleTimeout().toSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setHandle100ContinueAutomatically(false)
        .setCompressionSupported(false)
        .setDecompressionSupported(false);
    server = vertx.createHttpServer(options)
        .requestHandler(new ForwardingHandler(routes, backends, metrics));
    return server.listen();
  }

  /** The port this instance listens on. */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    backends.values().forEach(Backend::close);
    return server == null ? Future.succeededFuture() : server.close();
  }
}
