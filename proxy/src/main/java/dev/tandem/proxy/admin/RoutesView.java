package dev.tandem.proxy.admin;

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

  static JsonObject routes(List<Route> routes) {
    JsonArray list = new JsonArray();
    routes.forEach(r -> list.add(route(r)));
    return new JsonObject().put("routes", list);
  }

  static JsonObject route(Route route) {
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
    return new JsonObject()
        .put("name", c.name())
        .put("match", match)
        .put("primary", c.primary())
        .put("canary", canary == null ? null
            : new JsonObject().put("backend", canary.backend()).put("weight", canary.weight()))
        .put("mirror", mirror == null ? null
            : new JsonObject().put("backend", mirror.backend()).put("percent", mirror.percent())
                .put("compare", mirror.compare()));
  }
}
