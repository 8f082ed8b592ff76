package dev.tandem.proxy.http;

import dev.tandem.proxy.canary.CanaryRouter;
import dev.tandem.proxy.capture.PendingCapture;
import dev.tandem.proxy.canary.SideStats;
import dev.tandem.proxy.config.CanaryConfig;
import dev.tandem.proxy.metrics.ProxyMetrics;
import dev.tandem.proxy.metrics.Recorder;
import dev.tandem.proxy.mirror.MirrorCopy;
import dev.tandem.proxy.mirror.RouteMirror;
import dev.tandem.proxy.route.Route;
import dev.tandem.proxy.route.RouteTable;
import dev.tandem.proxy.config.ListenerTls;
import dev.tandem.proxy.edge.Edge;
import dev.tandem.proxy.edge.EdgeRule;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The data plane's request handler: finds the route, chooses the side (primary or canary), starts the mirror copy
 * and hands the request to an {@link Exchange}.
 */
final class ForwardingHandler implements Handler<HttpServerRequest> {

  /** Everything one route needs per request, looked up once per event loop. */
  record Plan(Backend primary, Recorder primaryRecorder, CanaryRouter canary, Backend canaryBackend,
                      Recorder canaryRecorder, RouteMirror mirror, Recorder refusedRecorder, long maxBodyBytes,
                      boolean requestBuffering) {
  }

  private final RouteTable routes;
  private final dev.tandem.proxy.capture.Capturing capturing;
  private final Map<Route, Plan> plans = new IdentityHashMap<>();
  private final ProxyMetrics.Series unmatched;
  private final Edge edge;
  private final ForwardedHeaders forwarded;
  private final io.micrometer.core.instrument.Counter served;

  /**
   * @param canaryStats per route with a canary: the primary's and the canary's interval stats, for rollout gates
   * @param capturing   traffic capture; null when the configuration has none
   * @param tls         the listener's TLS; null for plain HTTP
   */
  ForwardingHandler(RouteTable routes, Map<String, Backend> backends, ProxyMetrics metrics,
                    Map<Route, RouteMirror> mirrors, Map<Route, SideStats[]> canaryStats,
                    dev.tandem.proxy.capture.Capturing capturing, Edge edge, ListenerTls tls,
                    io.micrometer.core.instrument.Counter served) {
    this.served = served;
    this.routes = routes;
    this.capturing = capturing;
    this.edge = edge;
    this.forwarded = new ForwardedHeaders(tls != null && tls.forwardClientCert());
    for (Route r : routes.routes()) {
      String primary = r.config().primary();
      Recorder primaryRecorder = metrics.series(r.name(), primary);
      CanaryConfig cc = r.config().canary();
      CanaryRouter router = null;
      Backend canaryBackend = null;
      Recorder canaryRecorder = null;
      if (cc != null) {
        SideStats[] stats = canaryStats.get(r);
        router = new CanaryRouter(cc, r.state());
        canaryBackend = backends.get(cc.backend());
        canaryRecorder = metrics.series(r.name(), cc.backend());
        if (stats != null) {
          primaryRecorder = primaryRecorder.andThen(stats[0]);
          canaryRecorder = canaryRecorder.andThen(stats[1]);
        }
      }
      plans.put(r, new Plan(backends.get(primary), primaryRecorder, router, canaryBackend, canaryRecorder,
          mirrors.get(r), metrics.series(r.name(), ProxyMetrics.NO_BACKEND), r.config().maxBodyBytes(),
          r.config().requestBuffering()));
    }
    this.unmatched = metrics.series(ProxyMetrics.UNMATCHED, ProxyMetrics.NO_BACKEND);
  }

  ForwardedHeaders forwarded() {
    return forwarded;
  }

  /** The route matching a request, or null. */
  Route match(String method, String host, String path) {
    return routes.match(method, host, path);
  }

  Plan plan(Route route) {
    return plans.get(route);
  }

  /** Whether requests on {@code route} are captured now (the Netty path leaves them to this handler). */
  boolean capturing(Route route) {
    return capturing != null && capturing.covers(route.name());
  }

  @Override
  public void handle(HttpServerRequest request) {
    long start = System.nanoTime();
    served.increment();
    if (edge.draining() && request.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
      closeAfter(request); // an HTTP/2 connection was sent a GOAWAY by the edge
    }
    if (request.version() == io.vertx.core.http.HttpVersion.HTTP_2 && !edge.checkHttp2(request)) {
      unmatched.record(request.response().getStatusCode(), System.nanoTime() - start);
      return;
    }
    String uri = originForm(request.uri());
    Route route = routes.match(request.method().name(), HopByHop.host(request), pathOf(uri));
    if (route == null) {
      String why = "no route matches " + request.method() + " " + pathOf(uri);
      if (Grpc.is(request.headers())) {
        Grpc.fail(request.response(), 404, why); // UNIMPLEMENTED, as a gRPC server says of a method it lacks
        unmatched.recordGrpc(200, Grpc.status(request.response().headers(), null), System.nanoTime() - start);
      } else {
        ProxyErrors.send(request.response(), 404, null, why);
        unmatched.record(404, System.nanoTime() - start);
      }
      return;
    }
    Plan plan = plans.get(route);
    MultiMap headers = request.headers();
    // Chunked framing wins over any length (the edge refused both together, or removed the length). An HTTP/2
    // request without a length streams its body like a chunked one (a bodiless one ends at once).
    boolean http2 = request.version() == io.vertx.core.http.HttpVersion.HTTP_2;
    boolean chunked = Exchange.isChunked(headers);
    long length = chunked ? -1 : Exchange.contentLength(headers.get("Content-Length"));
    chunked = chunked || (http2 && length < 0);
    if (length > plan.maxBodyBytes) {
      // Refused before any backend, the mirror or the capture hears of it.
      edge.count(EdgeRule.BODY_TOO_LARGE);
      BodyLimit.refuse(request, length + " bytes, at most " + plan.maxBodyBytes);
      plan.refusedRecorder.record(EdgeRule.BODY_TOO_LARGE.status(), System.nanoTime() - start);
      return;
    }
    Backend backend = plan.primary;
    Recorder recorder = plan.primaryRecorder;
    Handler<HttpServerResponse> decorate = null;
    if (plan.canary != null) {
      CanaryRouter.Choice choice = plan.canary.choose(request);
      if (choice.canary()) {
        backend = plan.canaryBackend;
        recorder = plan.canaryRecorder;
      }
      decorate = decorator(choice, plan.canary.config().backendHeader(), backend.name());
    }
    if (UpgradeTunnel.isWebSocketUpgrade(request)) {
      new UpgradeTunnel(request, backend, recorder, uri, start, forwarded, edge).start();
    } else {
      PendingCapture capture = capturing == null ? null : capturing.begin(route.name(), request, uri);
      MirrorCopy copy = plan.mirror == null ? null : plan.mirror.begin(request, uri, pathOf(uri), backend.name(),
          capture == null ? null : capture.shadowWatch());
      BodyLimit limit = chunked ? new BodyLimit(plan.maxBodyBytes, edge) : null;
      // A gRPC call is a stream the backend answers as it goes: never held whole.
      boolean hold = chunked && plan.requestBuffering && !Grpc.is(headers);
      new Exchange(request, backend, recorder, uri, start, copy, capture, decorate, forwarded, limit)
          .start(length >= 0 || chunked, chunked, hold ? plan.refusedRecorder : null);
    }
  }

  /**
   * While draining, the answer says {@code Connection: close} and the connection is closed once it is sent
   * (RFC 9112 §9.6), whatever path answers it: the header is set as the head goes out, after an error answer has
   * cleared the headers; an upgrade (101) is left alone, its tunnel ends with the drain's deadline.
   */
  private static void closeAfter(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    response.headersEndHandler(v -> {
      if (response.getStatusCode() != 101) {
        response.headers().set("Connection", "close");
      }
    });
    response.endHandler(v -> {
      if (response.getStatusCode() != 101) {
        request.connection().close();
      }
    });
  }

  /** Adds the sticky cookie and the backend header, when there are any, to the client's answer. */
  private static Handler<HttpServerResponse> decorator(CanaryRouter.Choice choice, String backendHeader,
                                                       String backend) {
    Cookie cookie = choice.setCookie();
    if (cookie == null && backendHeader == null) {
      return null;
    }
    return response -> {
      if (cookie != null) {
        response.headers().add("Set-Cookie", cookie.encode());
      }
      if (backendHeader != null) {
        response.headers().set(backendHeader, backend);
      }
    };
  }

  /** The path and query as the client sent them, byte for byte; an absolute-form target loses its scheme and host. */
  static String originForm(String uri) {
    if (uri.startsWith("/")) {
      return uri;
    }
    int scheme = uri.indexOf("://");
    if (scheme < 0) {
      return uri.equals("*") ? uri : "/" + uri;
    }
    int path = uri.indexOf('/', scheme + 3);
    int query = uri.indexOf('?', scheme + 3);
    if (path < 0 || (query >= 0 && query < path)) {
      return query < 0 ? "/" : "/" + uri.substring(query);
    }
    return uri.substring(path);
  }

  static String pathOf(String uri) {
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }
}
