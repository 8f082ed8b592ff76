package dev.tandem.proxy.admin;

import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.capture.Capturing;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.Set;

/**
 * {@code GET /admin/capture}: whether traffic is captured, where, and what became of it; {@code PUT /admin/capture}
 * {@code {"enabled": true, "percent": 10}} turns it on or off and sets the share, audited, on every instance that
 * shares the state store (within a second with Redis).
 */
final class CaptureApi {

  private static final Set<String> FIELDS = Set.of("enabled", "percent", "reason");

  private final Capturing capturing;
  private final RouteControl control;

  CaptureApi(Capturing capturing, RouteControl control) {
    this.capturing = capturing;
    this.control = control;
  }

  void mount(Router router) {
    router.get("/admin/capture").handler(ctx -> AdminServer.json(ctx, 200, capturing.view()));
    router.put("/admin/capture").handler(BodyHandler.create().setBodyLimit(64 * 1024)).handler(this::change);
  }

  private void change(RoutingContext ctx) {
    Buffer raw = ctx.body() == null ? null : ctx.body().buffer();
    Object parsed;
    try {
      parsed = raw == null || raw.length() == 0 ? null : raw.toJsonValue();
    } catch (RuntimeException e) {
      bad(ctx, "the body is not valid JSON: " + e.getMessage());
      return;
    }
    if (!(parsed instanceof JsonObject b) || b.isEmpty()) {
      bad(ctx, "the body must be a JSON object such as {\"enabled\": true, \"percent\": 10}");
      return;
    }
    for (String f : b.fieldNames()) {
      if (!FIELDS.contains(f)) {
        bad(ctx, "unknown field '" + f + "'; allowed: enabled, percent, reason");
        return;
      }
    }
    Object enabled = b.getValue("enabled");
    Object percent = b.getValue("percent");
    Object reason = b.getValue("reason");
    if (enabled != null && !(enabled instanceof Boolean)) {
      bad(ctx, "enabled must be true or false, got " + enabled);
      return;
    }
    if (percent != null && !(percent instanceof Number)) {
      bad(ctx, "percent must be a number between 0 and 100, got " + percent);
      return;
    }
    if (reason != null && !(reason instanceof String)) {
      bad(ctx, "reason must be a string");
      return;
    }
    boolean wasOn = capturing.view().getBoolean("enabled");
    String caller = ctx.get(BearerAuth.CALLER);
    io.vertx.core.Future<JsonObject> changed;
    try {
      changed = control.setCapture((Boolean) enabled, percent == null ? null : ((Number) percent).doubleValue(),
          caller == null ? "unknown" : caller, (String) reason);
    } catch (IllegalArgumentException e) {
      bad(ctx, e.getMessage());
      return;
    }
    JsonObject now = capturing.view();
    io.vertx.core.Future<java.nio.file.Path> completed = wasOn && !now.getBoolean("enabled")
        ? capturing.completeFile() : io.vertx.core.Future.succeededFuture(null);
    changed.transform(ar -> completed)
        .onComplete(file -> AdminServer.json(ctx, 200, file.succeeded() && file.result() != null
            ? now.put("completedFile", file.result().toAbsolutePath().toString()) : now));
  }

  private static void bad(RoutingContext ctx, String message) {
    AdminServer.json(ctx, 400, new JsonObject().put("error", "bad_request").put("message", message));
  }
}
