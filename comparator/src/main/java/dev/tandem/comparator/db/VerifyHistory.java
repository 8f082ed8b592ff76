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
 * and so that clean streaks and escalations carry over from one run (and one process) to the next. At most
 * {@link #MAX_RUNS} runs are kept; the file is rewritten (atomically) when it holds twice that. File work runs on a
 * worker thread.
 */
public final class VerifyHistory {

  static final int MAX_RUNS = 100;

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
    return vertx.executeBlocking(() -> {
      synchronized (this) {
        if (file.getParent() != null) {
          Files.createDirectories(file.getParent());
        }
        Files.writeString(file, verdict.encode() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
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
      return null;
    }, false);
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
