package dev.tandem.proxy.admin;

import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.verify.Verification;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code GET /admin/verify}: the latest cut-over verdict with its evidence (per table sync, divergent rows, clean
 * streak, findings, locks), recent verdicts, whether a run is going on. {@code POST /admin/verify} (optionally
 * {@code {"reason": "..."}}) starts a run now, audited, and answers 202; 409 while one runs. Without a
 * {@code verify:} section both answer 404 saying so.
 */
final class VerifyApi {

  /** Where a run's audit entry puts a route's name. */
  static final String AUDIT_SUBJECT = "@verify";

  private final Verification verification;
  private final RouteControl control;

  /** @param verification null when the configuration has no verify section */
  VerifyApi(Verification verification, RouteControl control) {
    this.verification = verification;
    this.control = control;
  }

  void mount(Router router) {
    router.get("/admin/verify").handler(ctx -> {
      if (absent(ctx)) {
        return;
      }
      verification.view().onComplete(ar -> AdminServer.json(ctx, ar.succeeded() ? 200 : 500, ar.succeeded()
          ? ar.result() : new JsonObject().put("error", "history_unreadable").put("message", ar.cause().getMessage())));
    });
    router.post("/admin/verify").handler(BodyHandler.create().setBodyLimit(64 * 1024)).handler(ctx -> {
      if (absent(ctx)) {
        return;
      }
      String problem = null;
      Object reason = null;
      Buffer raw = ctx.body() == null ? null : ctx.body().buffer();
      try {
        Object body = raw == null || raw.length() == 0 ? new JsonObject() : raw.toJsonValue();
        if (!(body instanceof JsonObject b) || b.fieldNames().stream().anyMatch(f -> !f.equals("reason"))) {
          problem = "the body may only give a reason: {\"reason\": \"...\"}";
        } else {
          reason = b.getValue("reason");
          problem = AuditReason.problem(reason);
        }
      } catch (RuntimeException e) {
        problem = "the body is not valid JSON: " + e.getMessage();
      }
      if (problem != null) {
        AdminServer.json(ctx, 400, new JsonObject().put("error", "bad_request").put("message", problem));
        return;
      }
      var run = verification.run();
      if (run.failed() && run.cause() instanceof IllegalStateException) {
        AdminServer.json(ctx, 409, new JsonObject().put("error", "conflict").put("message", run.cause().getMessage()));
        return;
      }
      String caller = ctx.get(BearerAuth.CALLER);
      JsonObject started = new JsonObject().put("started", true)
          .put("message", "verifying; GET /admin/verify shows the verdict when it is done");
      // The run has started: an audit log that cannot be written is said in the answer, not made a failure.
      control.audit(AUDIT_SUBJECT, caller == null ? "unknown" : caller, "verify_now", null, null,
              AuditReason.of(reason))
          .onComplete(audit -> AdminServer.json(ctx, 202, audit.succeeded() ? started
              : started.put("auditFailed", audit.cause().getMessage())));
    });
  }

  private boolean absent(RoutingContext ctx) {
    if (verification != null) {
      return false;
    }
    AdminServer.json(ctx, 404, new JsonObject().put("error", "not_configured")
        .put("message", "no verify: section in the configuration (primary, shadow, tables)"));
    return true;
  }
}
