package dev.tandem.proxy.http;

import dev.tandem.proxy.metrics.ProxyMetrics;
import dev.tandem.proxy.mirror.MirrorCopy;
import dev.tandem.proxy.mirror.RouteMirror;
import dev.tandem.proxy.route.Route;
import dev.tandem.proxy.route.RouteTable;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;

import java.util.IdentityHashMap;
import java.util.Map;

/** The data plane's request handler: finds the route and hands the request to an {@link Exchange}. */
final class ForwardingHandler implements Handler<HttpServerRequest> {

  private final RouteTable routes;
  private final Map<String, Backend> backends;
  private final Map<Route, ProxyMetrics.Series> primarySeries = new IdentityHashMap<>();
  private final ProxyMetrics.Series unmatched;
  private final Map<Route, RouteMirror> mirrors;

  ForwardingHandler(RouteTable routes, Map<String, Backend> backends, ProxyMetrics metrics,
                    Map<Route, RouteMirror> mirrors) {
    this.routes = routes;
    this.mirrors = mirrors;
    this.backends = backends;
    for (Route r : routes.routes()) {
      primarySeries.put(r, metrics.series(r.name(), r.config().primary()));
    }
    this.unmatched = metrics.series(ProxyMetrics.UNMATCHED, ProxyMetrics.NO_BACKEND);
  }

  @Override
  public void handle(HttpServerRequest request) {
    long start = System.nanoTime();
    String uri = originForm(request.uri());
    Route route = routes.match(request.method().name(), request.headers().get("Host"), pathOf(uri));
    if (route == null) {
      ProxyErrors.send(request.response(), 404, null, "no route matches " + request.method() + " " + pathOf(uri));
      unmatched.record(404, System.nanoTime() - start);
      return;
    }
    Backend backend = backends.get(route.config().primary());
    ProxyMetrics.Series series = primarySeries.get(route);
    if (UpgradeTunnel.isWebSocketUpgrade(request)) {
      new UpgradeTunnel(request, backend, series, uri, start).start();
    } else {
      RouteMirror mirror = mirrors.get(route);
      MirrorCopy copy = mirror == null ? null : mirror.begin(request, uri, pathOf(uri));
      new Exchange(request, backend, series, uri, start, copy).start();
    }
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
