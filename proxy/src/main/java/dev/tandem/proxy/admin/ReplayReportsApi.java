package dev.tandem.proxy.admin;

import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The replay reports in {@code admin.replayReports}, as {@code tandem replay --report DIR/NAME.json} wrote them:
 * {@code GET /admin/replay/reports} lists the newest {@link #LISTED} with their verdict, reasons and totals;
 * {@code GET /admin/replay/reports/{name}} answers one whole. Files are read on a worker thread; a report larger
 * than {@link #MAX_BYTES} or not a report is listed with what is wrong with it. Without the key both answer 404.
 */
final class ReplayReportsApi {

  static final int LISTED = 50;
  static final long MAX_BYTES = 16L << 20;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}\\.json");

  private final Vertx vertx;
  private final Path dir;

  /** @param dir null when no directory is configured */
  ReplayReportsApi(Vertx vertx, String dir) {
    this.vertx = vertx;
    this.dir = dir == null ? null : Path.of(dir);
  }

  void mount(Router router) {
    router.get("/admin/replay/reports").handler(ctx -> {
      if (absent(ctx)) {
        return;
      }
      vertx.executeBlocking(this::list, false).onComplete(ar -> AdminServer.json(ctx, ar.succeeded() ? 200 : 500,
          ar.succeeded() ? ar.result() : new JsonObject().put("error", "reports_unreadable")
              .put("message", dir + ": " + ar.cause().getMessage())));
    });
    router.get("/admin/replay/reports/:name").handler(ctx -> {
      if (absent(ctx)) {
        return;
      }
      String name = ctx.pathParam("name");
      if (!NAME.matcher(name).matches()) {
        AdminServer.json(ctx, 400, new JsonObject().put("error", "bad_name")
            .put("message", "a report is named NAME.json, in " + dir + " itself, got " + name));
        return;
      }
      vertx.executeBlocking(() -> read(dir.resolve(name)), false).onComplete(ar -> {
        if (ar.succeeded()) {
          AdminServer.json(ctx, 200, ar.result().put("name", name));
        } else if (ar.cause() instanceof java.nio.file.NoSuchFileException) {
          AdminServer.json(ctx, 404, new JsonObject().put("error", "not_found")
              .put("message", "no report " + name + " in " + dir));
        } else {
          AdminServer.json(ctx, 422, new JsonObject().put("error", "not_a_report")
              .put("message", name + ": " + ar.cause().getMessage()));
        }
      });
    });
  }

  private boolean absent(io.vertx.ext.web.RoutingContext ctx) {
    if (dir != null) {
      return false;
    }
    AdminServer.json(ctx, 404, new JsonObject().put("error", "not_configured").put("message",
        "no admin.replayReports: name the directory that tandem replay --report DIR/NAME.json writes to"));
    return true;
  }

  private JsonObject list() throws IOException {
    JsonArray out = new JsonArray();
    JsonObject answer = new JsonObject().put("dir", dir.toAbsolutePath().toString()).put("reports", out);
    if (!Files.isDirectory(dir)) {
      return answer.put("note", "the directory does not exist yet");
    }
    List<Path> files;
    try (Stream<Path> all = Files.list(dir)) {
      files = all.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p))
          .sorted(Comparator.comparing(ReplayReportsApi::modified).reversed()).toList();
    }
    for (Path p : files.subList(0, Math.min(LISTED, files.size()))) {
      JsonObject e = new JsonObject().put("name", p.getFileName().toString())
          .put("modified", java.time.Instant.ofEpochMilli(modified(p)).toString());
      try {
        JsonObject r = read(p);
        e.put("verdict", r.getString("verdict")).put("reasons", r.getJsonArray("reasons"))
            .put("totals", r.getJsonObject("totals")).put("run", r.getJsonObject("run"))
            .put("endpoints", r.getJsonArray("endpoints", new JsonArray()).size());
      } catch (IOException | IllegalArgumentException ex) {
        e.put("error", ex.getMessage());
      }
      out.add(e);
    }
    return answer.put("total", files.size());
  }

  private static JsonObject read(Path p) throws IOException {
    if (Files.size(p) > MAX_BYTES) {
      throw new IllegalArgumentException("larger than " + (MAX_BYTES >> 20) + " MB");
    }
    JsonObject r;
    try {
      r = new JsonObject(Files.readString(p));
    } catch (DecodeException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage());
    }
    if (r.getString("verdict") == null || r.getJsonObject("totals") == null) {
      throw new IllegalArgumentException("not a tandem replay report (no verdict or totals)");
    }
    return r;
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
