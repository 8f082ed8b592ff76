package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every verdict with its evidence, kept in a JSON Lines file so that an operator can show why a verdict was given,
 * and so that clean streaks and escalations carry over from one run (and one process) to the next. Each verdict is
 * kept with at most {@link #FINDINGS_KEPT} findings per table (all are counted), so the file stays small; at most
 * {@link #MAX_RUNS} runs are kept, the file rewritten (atomically) when it holds twice that. The proxy and
 * {@code tandem verify-db} may share the file: writes take a file lock. File work runs on a worker thread.
 */
public final class VerifyHistory {

  static final int MAX_RUNS = 100;
  static final int FINDINGS_KEPT = 100;

  private final Vertx vertx;
  private final Path file;

  public VerifyHistory(Vertx vertx, Path file) {
    this.vertx = vertx;
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** The newest {@code n} verdicts, newest first; a damaged line is passed over. */
  public Future<List<JsonObject>> recent(int n) {
    return vertx.executeBlocking(() -> {
      List<JsonObject> all = readAll();
      Collections.reverse(all);
      return all.subList(0, Math.min(n, all.size()));
    }, false);
  }

  public Future<Void> add(JsonObject verdict) {
    JsonObject kept = trimmed(verdict);
    return vertx.executeBlocking(() -> {
      synchronized (this) {
        if (file.getParent() != null) {
          Files.createDirectories(file.getParent());
        }
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        try (java.nio.channels.FileChannel lock = java.nio.channels.FileChannel.open(lockFile,
            StandardOpenOption.CREATE, StandardOpenOption.WRITE); var held = lock.lock()) {
          Files.writeString(file, kept.encode() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
          List<JsonObject> all = readAll();
          if (all.size() > 2 * MAX_RUNS) {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            StringBuilder b = new StringBuilder();
            all.subList(all.size() - MAX_RUNS, all.size()).forEach(v -> b.append(v.encode()).append('\n'));
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          }
        }
      }
      return null;
    }, false);
  }

  /** The verdict with at most {@link #FINDINGS_KEPT} findings per table in its evidence. */
  private static JsonObject trimmed(JsonObject verdict) {
    JsonObject v = verdict.copy();
    v.remove("findings");
    JsonObject evidence = v.getJsonObject("evidence");
    if (evidence != null) {
      for (Object t : evidence.getJsonArray("tables", new io.vertx.core.json.JsonArray())) {
        JsonObject table = (JsonObject) t;
        io.vertx.core.json.JsonArray f = table.getJsonArray("findings", new io.vertx.core.json.JsonArray());
        if (f.size() > FINDINGS_KEPT) {
          table.put("findings", new io.vertx.core.json.JsonArray(f.getList().subList(0, FINDINGS_KEPT)))
              .put("findingsTrimmed", f.size() - FINDINGS_KEPT);
        }
      }
    }
    return v;
  }

  private List<JsonObject> readAll() throws IOException {
    List<JsonObject> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        out.add(new JsonObject(line));
      } catch (RuntimeException e) {
        // a line cut by a crash: the others still count
      }
    }
    return out;
  }
}
