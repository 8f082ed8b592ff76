package dev.tandem.proxy.admin;

import dev.tandem.proxy.mirror.DeadLetter;
import dev.tandem.proxy.mirror.Mirroring;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** {@code GET /admin/mirror/stats}: each mirrored route's ledger; {@code GET /admin/dlq}: undelivered writes. */
final class DeadLetterApi {

  private final Mirroring mirroring;

  DeadLetterApi(Mirroring mirroring) {
    this.mirroring = mirroring;
  }

  void mount(Router router) {
    router.get("/admin/mirror/stats").handler(ctx -> {
      JsonObject routes = new JsonObject();
      mirroring.ledgers().forEach((name, ledger) -> routes.put(name, ledger.snapshot()));
      AdminServer.json(ctx, 200, new JsonObject().put("routes", routes));
    });
    router.get("/admin/dlq").handler(ctx -> mirroring.delivery().deadLetters().unresolved().onComplete(ar -> {
      if (ar.failed()) {
        AdminServer.json(ctx, 500, new JsonObject().put("error", "dead_letters_unreadable")
            .put("message", ar.cause().getMessage()));
        return;
      }
      JsonArray list = new JsonArray();
      for (DeadLetter d : ar.result()) {
        list.add(d.toJson());
      }
      AdminServer.json(ctx, 200, new JsonObject().put("count", list.size()).put("deadLetters", list));
    }));
  }
}
