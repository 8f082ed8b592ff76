package dev.tandem.proxy;

import dev.tandem.proxy.admin.AdminServer;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.health.Readiness;
import dev.tandem.proxy.http.ProxyVerticle;
import dev.tandem.proxy.metrics.ProxyMetrics;
import dev.tandem.proxy.route.RouteTable;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;

/**
 * A running Tandem: the data plane (one {@link ProxyVerticle} per event loop) and the admin server, started from one
 * validated configuration. Tests, the CLI and the demo all start Tandem through here.
 */
public final class Tandem {

  private final Vertx vertx;
  private final TandemConfig config;
  private final RouteTable routes;
  private final List<String> deployments = new ArrayList<>();
  private final Readiness readiness;
  private final AdminServer admin;
  private final ProxyMetrics metrics;
  private volatile boolean listening;
  private int port;

  private Tandem(Vertx vertx, PrometheusMeterRegistry registry, TandemConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.routes = new RouteTable(config.routes());
    this.readiness = new Readiness(() -> listening, Readiness.probesFor(vertx, config));
    this.admin = new AdminServer(vertx, config.admin(), routes, readiness, registry);
    this.metrics = new ProxyMetrics(registry);
  }

  /** Starts the data plane and the admin server; fails (and leaves nothing running) when either cannot listen. */
  public static Future<Tandem> start(Vertx vertx, PrometheusMeterRegistry registry, TandemConfig config) {
    Tandem tandem = new Tandem(vertx, registry, config);
    return tandem.startDataPlane()
        .compose(v -> tandem.admin.start())
        .map(server -> tandem)
        .recover(failure -> tandem.close().transform(ignored -> Future.failedFuture(failure)));
  }

  private Future<Void> startDataPlane() {
    // The first instance binds (possibly a free port when the config says 0); the others share that port.
    ProxyVerticle first = new ProxyVerticle(config, routes, metrics, config.server().port());
    return vertx.deployVerticle(first)
        .compose(id -> {
          deployments.add(id);
          port = first.actualPort();
          int more = config.server().instances() - 1;
          if (more == 0) {
            return Future.succeededFuture();
          }
          return vertx.deployVerticle(() -> new ProxyVerticle(config, routes, metrics, port),
              new DeploymentOptions().setInstances(more)).onSuccess(deployments::add).mapEmpty();
        })
        .onSuccess(v -> listening = true)
        .mapEmpty();
  }

  public TandemConfig config() {
    return config;
  }

  /** The data plane's port. */
  public int port() {
    return port;
  }

  public int adminPort() {
    return admin.actualPort();
  }

  public RouteTable routes() {
    return routes;
  }

  /** Stops listening, then closes every connection pool and store client. */
  public Future<Void> close() {
    listening = false;
    List<Future<?>> closing = new ArrayList<>();
    for (String id : deployments) {
      closing.add(vertx.undeploy(id));
    }
    closing.add(admin.close());
    closing.add(readiness.close());
    return Future.join(closing).mapEmpty();
  }
}
