package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every verdict with its evidence, kept in a JSON Lines file so that an operator can show why a verdict was given,
 * and so that clean streaks and escalations carry over from one run (and one process) to the next. Each verdict is
 * kept with at most {@link #FINDINGS_KEPT} findings per table (all are counted), so the file stays small; at most
 * {@link #MAX_RUNS} runs are kept, the file rewritten in place when it holds twice that. The proxy and
 * {@code tandem verify-db} may share the file: writes lock it, reads share the lock. File work runs on a worker thread.
 */
public final class VerifyHistory {

  static final int MAX_RUNS = 100;
  static final int FINDINGS_KEPT = 100;

  // A file lock is held by the whole JVM: a second thread asking for it gets OverlappingFileLockException at once
  // instead of waiting (a GET /admin/verify while a run wrote its verdict answered 500). Threads of this process
  // take turns on one monitor per file first; one entry per history file configured, never per request.
  private static final java.util.concurrent.ConcurrentMap<Path, Object> MONITORS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final Vertx vertx;
  private final Path file;
  private final Object monitor;

  public VerifyHistory(Vertx vertx, Path file) {
    this.vertx = vertx;
    this.file = file;
    this.monitor = MONITORS.computeIfAbsent(real(file), p -> new Object());
  }

  /** The file as the file system knows it, links resolved, so that two names for one file share a monitor. */
  private static Path real(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    try {
      Path parent = absolute.getParent();
      return parent == null ? absolute : parent.toRealPath().resolve(absolute.getFileName()).toRealPath();
    } catch (java.io.IOException e) {
      try { // not there yet: its directory, resolved, and its name
        Path parent = absolute.getParent();
        return parent == null ? absolute : parent.toRealPath().resolve(absolute.getFileName());
      } catch (java.io.IOException noDirectory) {
        return absolute;
      }
    }
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
      synchronized (monitor) {
        if (file.toAbsolutePath().getParent() != null) {
          Files.createDirectories(file.toAbsolutePath().getParent());
        }
        // The lock is on the history itself, so no lock file is left beside it; trimming rewrites it in place,
        // under the same lock, instead of replacing it (another process would be left appending to the old one).
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE); FileLock held = channel.lock()) {
          channel.position(channel.size());
          write(channel, kept.encode() + "\n");
          List<JsonObject> all = parse(read(channel));
          if (all.size() > 2 * MAX_RUNS) {
            StringBuilder b = new StringBuilder();
            all.subList(all.size() - MAX_RUNS, all.size()).forEach(v -> b.append(v.encode()).append('\n'));
            // Written over the start, then cut to its length: a crash midway leaves the old runs, never none.
            channel.position(0);
            write(channel, b.toString());
            channel.truncate(channel.position());
            channel.force(true);
          }
        }
      }
      return null;
    }, false);
  }

  private static void write(FileChannel channel, String text) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  private static String read(FileChannel channel) throws IOException {
    ByteBuffer all = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, channel.size()));
    // One read may return less than asked: read on to the end, or a trim would rewrite a part of the history.
    int n;
    do {
      n = channel.read(all, all.position());
    } while (n > 0 && all.hasRemaining());
    return new String(all.array(), 0, all.position(), StandardCharsets.UTF_8);
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
    if (!Files.exists(file)) {
      return new ArrayList<>();
    }
    synchronized (monitor) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
           FileLock shared = channel.lock(0, Long.MAX_VALUE, true)) {
        return parse(read(channel));
      }
    }
  }

  private static List<JsonObject> parse(String text) {
    List<JsonObject> out = new ArrayList<>();
    for (String line : text.split("\n")) {
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
