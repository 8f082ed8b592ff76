package dev.tandem.proxy.admin;

import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.mirror.DeadLetter;
import dev.tandem.proxy.mirror.Mirroring;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /admin/mirror/stats}: each mirrored route's ledger; {@code GET /admin/dlq}: undelivered writes;
 * {@code POST /admin/dlq/replay} with {@code {"ids": [...]}} or {@code {"all": true}}, and an optional
 * {@code "reason"}: send them again, audited with what came of it.
 */
final class DeadLetterApi {

  /** Where a replay's audit entry puts a route's name. */
  static final String AUDIT_SUBJECT = "@dead-letters";

  private final Mirroring mirroring;
  private final RouteControl control;

  DeadLetterApi(Mirroring mirroring, RouteControl control) {
    this.mirroring = mirroring;
    this.control = control;
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
    router.post("/admin/dlq/replay").handler(BodyHandler.create().setBodyLimit(64 * 1024)).handler(ctx -> {
      List<String> ids = new ArrayList<>();
      String problem = null;
      String reason = null;
      try {
        JsonObject body = ctx.body().length() == 0 ? new JsonObject() : ctx.body().asJsonObject();
        for (String key : body.fieldNames()) {
          if (!key.equals("ids") && !key.equals("all") && !key.equals("reason")) {
            problem = "unknown field '" + key + "'; give {\"ids\": [...]} or {\"all\": true}, and a \"reason\"";
          }
        }
        if (body.containsKey("ids")) {
          for (Object id : body.getJsonArray("ids")) {
            ids.add((String) id);
          }
        }
        if (problem == null && ids.isEmpty() && !Boolean.TRUE.equals(body.getBoolean("all"))) {
          problem = "say which letters: {\"ids\": [\"...\"]} or {\"all\": true}";
        }
        if (problem == null) {
          problem = AuditReason.problem(body.getValue("reason"));
          reason = AuditReason.of(body.getValue("reason"));
        }
      } catch (RuntimeException e) {
        problem = "the body must be JSON such as {\"all\": true}: " + e.getMessage();
      }
      if (problem != null) {
        AdminServer.json(ctx, 400, new JsonObject().put("error", "bad_request").put("message", problem));
        return;
      }
      String caller = ctx.get(BearerAuth.CALLER);
      String why = reason;
      JsonObject asked = ids.isEmpty() ? new JsonObject().put("all", true) : new JsonObject().put("ids", new JsonArray(ids));
      mirroring.replayer().replay(ids).onComplete(ar -> {
        if (ar.failed()) {
          AdminServer.json(ctx, 500, new JsonObject().put("error", "replay_failed").put("message",
              ar.cause().getMessage()));
          return;
        }
        JsonObject report = ar.result().toJson();
        JsonObject outcome = asked.copy().put("delivered", report.getValue("delivered"))
            .put("duplicate", report.getValue("duplicate")).put("failed", report.getValue("failed"));
        // The letters are sent: an audit log that cannot be written is said in the answer, not made a failure.
        control.audit(AUDIT_SUBJECT, caller == null ? "unknown" : caller, "dlq_replay", null, outcome, why)
            .onComplete(audit -> AdminServer.json(ctx, 200, audit.succeeded() ? report
                : report.put("auditFailed", audit.cause().getMessage())));
      });
    });
  }
}
