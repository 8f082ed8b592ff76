package dev.tandem.proxy.admin;

import dev.tandem.proxy.metrics.TrafficHistory;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * {@code GET /admin/traffic/history?since=EPOCH_MS}: per route and backend, requests/s, 5xx rate and p50/p99 latency
 * of each sample this instance took (the last 15 minutes by default), oldest first; {@code since} gives only the
 * newer ones, for a page that already has the rest.
 */
final class TrafficApi {

  private final TrafficHistory history;

  TrafficApi(TrafficHistory history) {
    this.history = history;
  }

  void mount(Router router) {
    router.get("/admin/traffic/history").handler(ctx -> {
      String since = ctx.request().getParam("since");
      long from = 0;
      if (since != null) {
        try {
          from = Long.parseLong(since);
        } catch (NumberFormatException e) {
          AdminServer.json(ctx, 400, new JsonObject().put("error", "bad_request")
              .put("message", "since must be a time in epoch milliseconds, got '" + since + "'"));
          return;
        }
      }
      AdminServer.json(ctx, 200, history.view(from));
    });
  }
}
