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
  /** Reports larger than this are listed without their summary (opening one reads it whole, up to MAX_BYTES). */
  static final long MAX_SUMMARISED_BYTES = 2L << 20;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}\\.json");

  private final Vertx vertx;
  private final Path dir;
  // One listing at a time: callers during one share its answer, so a busy page cannot queue up directory scans.
  private io.vertx.core.Future<JsonObject> listing;

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
      sharedListing().onComplete(ar -> AdminServer.json(ctx, ar.succeeded() ? 200 : 500,
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
      // Parsed and encoded on the worker: a report of several MB must not hold an event loop.
      vertx.executeBlocking(() -> read(dir.resolve(name), MAX_BYTES).put("name", name).toBuffer(), false)
          .onComplete(ar -> {
        if (ar.succeeded()) {
          AdminServer.raw(ctx, 200, ar.result());
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

  private synchronized io.vertx.core.Future<JsonObject> sharedListing() {
    if (listing == null) {
      listing = vertx.executeBlocking(this::list, false).andThen(ar -> {
        synchronized (this) {
          listing = null;
        }
      });
    }
    return listing;
  }

  private record Entry(Path path, long modified) {
  }

  private JsonObject list() throws IOException {
    JsonArray out = new JsonArray();
    JsonObject answer = new JsonObject().put("dir", dir.toAbsolutePath().toString()).put("reports", out);
    if (!Files.isDirectory(dir)) {
      return answer.put("note", "the directory does not exist yet");
    }
    List<Entry> files;
    try (Stream<Path> all = Files.list(dir)) {
      // One stat per file, links not followed: a link in the directory is not a report of its own.
      files = all.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).map(ReplayReportsApi::entry)
          .filter(java.util.Objects::nonNull).sorted(Comparator.comparingLong(Entry::modified).reversed()).toList();
    }
    for (Entry f : files.subList(0, Math.min(LISTED, files.size()))) {
      JsonObject e = new JsonObject().put("name", f.path().getFileName().toString())
          .put("modified", java.time.Instant.ofEpochMilli(f.modified()).toString());
      try {
        JsonObject r = read(f.path(), MAX_SUMMARISED_BYTES);
        e.put("verdict", r.getString("verdict")).put("reasons", r.getJsonArray("reasons"))
            .put("totals", r.getJsonObject("totals")).put("run", r.getJsonObject("run"))
            .put("endpoints", r.getJsonArray("endpoints", new JsonArray()).size());
      } catch (IOException | RuntimeException ex) { // a field of the wrong type too: that file, not the listing
        e.put("error", ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage());
      }
      out.add(e);
    }
    return answer.put("total", files.size());
  }

  private static Entry entry(Path p) {
    try {
      var a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
          java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return a.isRegularFile() ? new Entry(p, a.lastModifiedTime().toMillis()) : null;
    } catch (IOException e) {
      return null; // gone since the listing
    }
  }

  private static JsonObject read(Path p, long limit) throws IOException {
    var a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
        java.nio.file.LinkOption.NOFOLLOW_LINKS);
    if (a.isSymbolicLink()) {
      throw new IllegalArgumentException("a link, not a report file of this directory");
    }
    if (!a.isRegularFile()) {
      throw new java.nio.file.NoSuchFileException(p.toString());
    }
    if (a.size() > limit) {
      throw new IllegalArgumentException("larger than " + (limit >> 20) + " MB" + (limit < MAX_BYTES
          ? " to summarise here; open it" : ""));
    }
    JsonObject r;
    try {
      r = new JsonObject(Files.readString(p));
    } catch (DecodeException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage());
    }
    if (!(r.getValue("verdict") instanceof String) || !(r.getValue("totals") instanceof JsonObject)) {
      throw new IllegalArgumentException("not a tandem replay report (no verdict or totals)");
    }
    return r;
  }

}
