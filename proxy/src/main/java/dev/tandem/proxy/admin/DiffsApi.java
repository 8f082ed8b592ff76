package dev.tandem.proxy.admin;

import dev.tandem.proxy.compare.Comparisons;
import dev.tandem.proxy.mirror.Mirroring;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;

/**
 * {@code GET /admin/diffs/summary}: per endpoint, what was compared and which fields really differ;
 * {@code GET /admin/diffs?endpoint=&field=&since=&limit=}: sample differing exchanges, newest first;
 * {@code GET /admin/diffs/{id}}: one with both sides, its differences and a curl command per side.
 */
final class DiffsApi {

  private static final int MAX_LIMIT = 1_000;

  private final Mirroring mirroring;

  DiffsApi(Mirroring mirroring) {
    this.mirroring = mirroring;
  }

  void mount(Router router) {
    router.get("/admin/diffs/summary").handler(ctx -> {
      Comparisons c = comparisons(ctx);
      if (c != null) {
        AdminServer.json(ctx, 200, c.summary());
      }
    });
    router.get("/admin/diffs/history").handler(ctx -> {
      Comparisons c = comparisons(ctx);
      if (c == null) {
        return;
      }
      String endpoint = ctx.request().getParam("endpoint");
      if (endpoint == null) {
        AdminServer.json(ctx, 400, bad("endpoint is required, e.g. ?endpoint=GET%20/orders/%7Bid%7D&field=/status"));
        return;
      }
      Instant since;
      try {
        String s = ctx.request().getParam("since");
        since = s == null ? null : Instant.parse(s);
      } catch (DateTimeParseException e) {
        AdminServer.json(ctx, 400, bad("since must be an instant such as 2026-11-22T10:00:00Z"));
        return;
      }
      c.store().history(endpoint, ctx.request().getParam("field"), since).onComplete(ar -> {
        if (ar.failed()) {
          AdminServer.json(ctx, 500, new JsonObject().put("error", "store_unavailable")
              .put("message", ar.cause().getMessage()));
        } else {
          AdminServer.json(ctx, 200, new JsonObject().put("endpoint", endpoint).put("hours",
              new JsonArray(new ArrayList<>(ar.result()))).put("note", ar.result().isEmpty()
              ? "hourly history is kept by the PostgreSQL store (comparator.store: postgres)" : null));
        }
      });
    });
    router.get("/admin/diffs/:id").handler(ctx -> {
      Comparisons c = comparisons(ctx);
      if (c == null) {
        return;
      }
      c.store().sample(ctx.pathParam("id")).onComplete(ar -> {
        if (ar.failed()) {
          AdminServer.json(ctx, 500, new JsonObject().put("error", "store_unavailable")
              .put("message", ar.cause().getMessage()));
        } else if (ar.result() == null) {
          AdminServer.json(ctx, 404, new JsonObject().put("error", "not_found").put("message", "no stored difference '"
              + ctx.pathParam("id") + "' (samples are kept up to comparator.maxSamples and maxAge, newest first)"));
        } else {
          AdminServer.json(ctx, 200, ar.result());
        }
      });
    });
    router.get("/admin/diffs").handler(ctx -> {
      Comparisons c = comparisons(ctx);
      if (c == null) {
        return;
      }
      int limit = 20;
      Instant since = null;
      try {
        String l = ctx.request().getParam("limit");
        if (l != null) {
          limit = Integer.parseInt(l);
          if (limit < 1 || limit > MAX_LIMIT) {
            throw new NumberFormatException();
          }
        }
        String s = ctx.request().getParam("since");
        if (s != null) {
          since = Instant.parse(s);
        }
      } catch (NumberFormatException e) {
        AdminServer.json(ctx, 400, bad("limit must be a whole number from 1 to " + MAX_LIMIT));
        return;
      } catch (DateTimeParseException e) {
        AdminServer.json(ctx, 400, bad("since must be an instant such as 2026-11-22T10:00:00Z"));
        return;
      }
      c.store().samples(ctx.request().getParam("endpoint"), ctx.request().getParam("field"), since, limit)
          .onComplete(ar -> {
            if (ar.failed()) {
              AdminServer.json(ctx, 500, new JsonObject().put("error", "store_unavailable")
                  .put("message", ar.cause().getMessage()));
            } else {
              AdminServer.json(ctx, 200, new JsonObject().put("count", ar.result().size())
                  .put("diffs", new JsonArray(new ArrayList<>(ar.result()))));
            }
          });
    });
  }

  private Comparisons comparisons(RoutingContext ctx) {
    Comparisons c = mirroring.comparisons();
    if (c == null) {
      AdminServer.json(ctx, 404, new JsonObject().put("error", "not_comparing").put("message",
          "no route compares responses; set compare: true on a route's mirror"));
    }
    return c;
  }

  private static JsonObject bad(String message) {
    return new JsonObject().put("error", "bad_request").put("message", message);
  }
}
