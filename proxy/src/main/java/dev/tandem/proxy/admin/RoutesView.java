package dev.tandem.proxy.admin;

import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.config.CanaryConfig;
import dev.tandem.proxy.config.MatchConfig;
import dev.tandem.proxy.config.MirrorConfig;
import dev.tandem.proxy.config.RouteConfig;
import dev.tandem.proxy.route.Route;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** The JSON shape of routes in the admin API. */
final class RoutesView {

  private RoutesView() {
  }

  static JsonObject routes(List<Route> routes, RouteControl control) {
    JsonArray list = new JsonArray();
    routes.forEach(r -> list.add(route(r, control)));
    return new JsonObject().put("routes", list);
  }

  /** A route with its current (run-time) canary weight and mirror percent. */
  static JsonObject route(Route route, RouteControl control) {
    RouteConfig c = route.config();
    MatchConfig m = c.match();
    JsonObject match = new JsonObject().put("pathPrefix", m.pathPrefix());
    if (!m.hosts().isEmpty()) {
      match.put("host", new JsonArray(m.hosts()));
    }
    if (!m.methods().isEmpty()) {
      match.put("methods", new JsonArray(m.methods().stream().sorted().toList()));
    }
    CanaryConfig canary = c.canary();
    MirrorConfig mirror = c.mirror();
    JsonObject overrides = control.view(route).getJsonObject("overrides");
    return new JsonObject()
        .put("name", c.name())
        .put("match", match)
        .put("primary", c.primary())
        .put("canary", canary == null ? null
            : new JsonObject().put("backend", canary.backend()).put("weight", route.state().canaryWeight())
                .put("configuredWeight", canary.weight())
                .put("rollout", control.rollout(c.name()).getString("status")))
        .put("mirror", mirror == null ? null
            : new JsonObject().put("backend", mirror.backend()).put("percent", route.state().mirrorPercent())
                .put("configuredPercent", mirror.percent()).put("compare", mirror.compare()))
        .put("overrides", overrides == null ? new JsonObject() : overrides);
  }
}
