package dev.tandem.proxy.admin;

import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.config.AdminConfig;
import dev.tandem.proxy.health.Readiness;
import dev.tandem.proxy.metrics.TrafficHistory;
import dev.tandem.proxy.mirror.Mirroring;
import dev.tandem.proxy.route.RouteTable;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * The admin listener: health probes, metrics and the dashboard's static files without a token, the {@code /admin/*}
 * API behind {@link BearerAuth}. While it runs it samples the request metrics for the dashboard's traffic history.
 */
public final class AdminServer {

  private static final String CONTEXT = "tandem.context";

  private final Vertx vertx;
  private final AdminConfig config;
  private final dev.tandem.proxy.tls.TlsMaterial tls;
  private final Router router;
  private final TrafficHistory traffic;
  private HttpServer server;

  public AdminServer(Vertx vertx, AdminConfig config, dev.tandem.proxy.tls.TlsMaterial tls, RouteTable routes, Readiness readiness,
                     PrometheusMeterRegistry registry, Mirroring mirroring, RouteControl control,
                     dev.tandem.proxy.capture.Capturing capturing, dev.tandem.proxy.verify.Verification verification) {
    this.vertx = vertx;
    this.config = config;
    this.tls = tls;
    this.router = Router.router(vertx);
    this.traffic = new TrafficHistory(registry, config.trafficHistory().interval(), config.trafficHistory().points());
    // Answers are often written from a store's callback, which may run on another event loop than the one that
    // owns the connection; json() hops back to this one, since a response is not safe to touch from another thread.
    router.route().handler(ctx -> {
      ctx.put(CONTEXT, Vertx.currentContext());
      ctx.next();
    });
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> readiness.check().onComplete(ar -> {
      if (ar.failed()) {
        json(ctx, 503, new JsonObject().put("status", "DOWN").put("error", String.valueOf(ar.cause().getMessage())));
      } else {
        json(ctx, "UP".equals(ar.result().getString("status")) ? 200 : 503, ar.result());
      }
    }));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    new DashboardRoutes().mount(router);
    router.route("/admin/*").handler(new BearerAuth(config.tokens()));
    new RouteControlApi(control, routes).mount(router);
    new DeadLetterApi(mirroring, control).mount(router);
    new DiffsApi(mirroring).mount(router);
    new CaptureApi(capturing, control).mount(router);
    new VerifyApi(verification, control).mount(router);
    new ReplayReportsApi(vertx, config.replayReports()).mount(router);
    new TrafficApi(traffic).mount(router);
    router.errorHandler(404, ctx -> json(ctx, 404, new JsonObject().put("error", "not_found")
        .put("message", "no endpoint " + ctx.request().method() + " " + ctx.request().path())));
    router.errorHandler(405, ctx -> json(ctx, 405, new JsonObject().put("error", "method_not_allowed")
        .put("message", ctx.request().method() + " is not allowed on " + ctx.request().path())));
  }

  /** The router, for later features to add their endpoints to before {@link #start()}. */
  public Router router() {
    return router;
  }

  public Future<HttpServer> start() {
    HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port());
    server = vertx.createHttpServer(dev.tandem.proxy.tls.TlsOptions.listener(options, tls))
        .requestHandler(router);
    // Sampled from the start, so that a page opened later has the minutes before it.
    traffic.start(vertx);
    return server.listen();
  }

  public int actualPort() {
    return server.actualPort();
  }

  public Future<Void> close() {
    traffic.stop();
    return server == null ? Future.succeededFuture() : server.close();
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    Context owner = ctx.get(CONTEXT);
    if (owner != null && Vertx.currentContext() != owner) {
      owner.runOnContext(v -> write(ctx, status, body));
    } else {
      write(ctx, status, body);
    }
  }

  /** A JSON answer already encoded (on a worker, for a large one), sent from the connection's own context. */
  static void raw(RoutingContext ctx, int status, io.vertx.core.buffer.Buffer body) {
    Context owner = ctx.get(CONTEXT);
    Runnable send = () -> ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(body);
    if (owner != null && Vertx.currentContext() != owner) {
      owner.runOnContext(v -> send.run());
    } else {
      send.run();
    }
  }

  private static void write(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(body.encodePrettily() + "\n");
  }
}
