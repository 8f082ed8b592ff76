package dev.tandem.proxy.http;

import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.canary.SideStats;
import dev.tandem.proxy.config.BackendConfig;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.metrics.ProxyMetrics;
import dev.tandem.proxy.route.RouteTable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import dev.tandem.proxy.mirror.Mirroring;
import dev.tandem.proxy.mirror.RouteMirror;
import dev.tandem.proxy.mirror.ShadowSender;
import dev.tandem.proxy.route.Route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
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
  private final Mirroring mirroring;
  private final RouteControl control;
  private final dev.tandem.proxy.capture.Capturing capturing;
  private final List<ShadowSender> shadows = new ArrayList<>();
  private final dev.tandem.proxy.edge.Edge edge;
  private final dev.tandem.proxy.tls.TlsMaterial tls;
  private HttpServer server;
  private FastPath fast;
  private int guardedPort = -1;

  /**
   * @param port where to listen: the configured port, or a negative number for a free port shared by every
   *             instance given the same number
   */
  public ProxyVerticle(TandemConfig config, RouteTable routes, ProxyMetrics metrics, Mirroring mirroring,
                       RouteControl control, dev.tandem.proxy.capture.Capturing capturing,
                       dev.tandem.proxy.edge.Edge edge, dev.tandem.proxy.tls.TlsMaterial tls, int port) {
    this.edge = edge;
    this.tls = tls;
    this.capturing = capturing;
    this.mirroring = mirroring;
    this.control = control;
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
    HttpServerOptions options = edge.options(new HttpServerOptions())
        .setHost(config.server().host())
        .setPort(port)
        .setTcpNoDelay(true)
        .setIdleTimeout((int) config.server().idleTimeout().toSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setHandle100ContinueAutomatically(false)
        .setCompressionSupported(false)
        .setDecompressionSupported(false);
    dev.tandem.proxy.tls.TlsOptions.listener(options, tls, edge.http2() != null);
    Map<Route, RouteMirror> mirrors = new IdentityHashMap<>();
    Map<Route, SideStats[]> canaryStats = new IdentityHashMap<>();
    for (Route r : routes.routes()) {
      SideStats[] stats = control.stats(r.name());
      if (stats != null) {
        canaryStats.put(r, stats);
      }
      RouteMirror m = mirroring.forEventLoop(vertx, r, shadows);
      if (m != null) {
        mirrors.put(r, m);
      }
    }
    ForwardingHandler forwarding = new ForwardingHandler(routes, backends, metrics, mirrors, canaryStats, capturing,
        edge, config.server().tls(), pathCounter("vertx"));
    fast = config.server().dataPlane().equals(dev.tandem.proxy.config.ServerConfig.DATA_PLANE_NETTY)
        ? new FastPath(forwarding, edge, context, pathCounter("netty")) : null;
    server = vertx.createHttpServer(options)
        .connectionHandler(connection -> {
          edge.connected(connection);
          if (fast != null && connection instanceof io.vertx.core.http.impl.Http1xServerConnection http1
              && http1.channel().isActive()) {
            fast.install(http1.channel().pipeline());
          }
        })
        .invalidRequestHandler(edge::answer)
        .exceptionHandler(ignored -> { }) // a client's broken connection is its own; its exchange sees it closed
        .requestHandler(forwarding);
    boolean doors = !options.isSsl() && options.isHttp2ClearTextEnabled(); // see FrontDoor
    if (doors && port > 0) {
      dev.tandem.proxy.edge.FrontDoor.guard(port, edge);
    }
    return server.listen().onSuccess(s -> {
      if (doors) {
        guardedPort = s.actualPort();
        dev.tandem.proxy.edge.FrontDoor.guard(guardedPort, edge);
      }
    });
  }

  /** {@code tandem_dataplane_requests_total{path}}: which path served the requests (one series per path). */
  private io.micrometer.core.instrument.Counter pathCounter(String path) {
    return io.micrometer.core.instrument.Counter.builder("tandem.dataplane.requests")
        .description("Requests by the data-plane path that forwarded them: netty (plain forwarding on Netty's"
            + " objects) or vertx (everything else: capture, effects, chunked uploads, Expect, upgrades, TLS"
            + " backends, refusals)")
        .tag("path", path)
        .register(metrics.registry());
  }

  /** This instance's server; the TLS context of servers sharing a port is one. */
  public HttpServer server() {
    return server;
  }

  /** The port this instance listens on. */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    backends.values().forEach(Backend::close);
    if (fast != null) {
      context.runOnContext(v -> fast.close()); // the pools belong to this verticle's event loop
    }
    shadows.forEach(ShadowSender::close);
    if (guardedPort > 0) {
      dev.tandem.proxy.edge.FrontDoor.release(guardedPort, edge);
    }
    return server == null ? Future.succeededFuture() : server.close();
  }
}
