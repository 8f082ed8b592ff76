package dev.tandem.proxy.route;

import dev.tandem.proxy.config.RouteConfig;

import java.util.List;
import java.util.Optional;

/** The routes in configuration order; the first that matches a request takes it. */
public final class RouteTable {

  private final List<Route> routes;

  public RouteTable(List<RouteConfig> configs) {
    this.routes = configs.stream().map(Route::new).toList();
  }

  public Route match(String method, String host, String path) {
    for (Route r : routes) {
      if (r.matches(method, host, path)) {
        return r;
      }
    }
    return null;
  }

  public List<Route> routes() {
    return routes;
  }

  public Optional<Route> byName(String name) {
    return routes.stream().filter(r -> r.name().equals(name)).findFirst();
  }
}
