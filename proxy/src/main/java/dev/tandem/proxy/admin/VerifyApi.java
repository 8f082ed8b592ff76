package dev.tandem.proxy.admin;

import dev.tandem.proxy.verify.Verification;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /admin/verify}: the latest cut-over verdict with its evidence (per table sync, divergent rows, clean
 * streak, findings, locks), recent verdicts, whether a run is going on. {@code POST /admin/verify} starts a run
 * now and answers 202; 409 while one runs. Without a {@code verify:} section both answer 404 saying so.
 */
final class VerifyApi {

  private final Verification verification;

  /** @param verification null when the configuration has no verify section */
  VerifyApi(Verification verification) {
    this.verification = verification;
  }

  void mount(Router router) {
    router.get("/admin/verify").handler(ctx -> {
      if (absent(ctx)) {
        return;
      }
      verification.view().onComplete(ar -> AdminServer.json(ctx, ar.succeeded() ? 200 : 500, ar.succeeded()
          ? ar.result() : new JsonObject().put("error", "history_unreadable").put("message", ar.cause().getMessage())));
    });
    router.post("/admin/verify").handler(ctx -> {
      if (absent(ctx)) {
        return;
      }
      var run = verification.run();
      if (run.failed() && run.cause() instanceof IllegalStateException) {
        AdminServer.json(ctx, 409, new JsonObject().put("error", "conflict").put("message", run.cause().getMessage()));
        return;
      }
      AdminServer.json(ctx, 202, new JsonObject().put("started", true)
          .put("message", "verifying; GET /admin/verify shows the verdict when it is done"));
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
