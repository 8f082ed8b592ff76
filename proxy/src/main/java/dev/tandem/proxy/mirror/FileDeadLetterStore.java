package dev.tandem.proxy.mirror;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The embedded default: one JSON line per letter, and a {@code {"resolved": id}} line when one is delivered, in a
 * file that only grows by appends (so a crash loses at most the line being written). File I/O runs on one worker
 * thread, in order, never on an event loop; at most {@link #MAX_PENDING} writes wait for it, and a letter beyond
 * that fails its append, which the caller counts and logs rather than queueing without bound.
 */
public final class FileDeadLetterStore implements DeadLetterStore {

  static final int MAX_PENDING = 10_000;

  private final Path file;
  private final WorkerExecutor worker;
  private final AtomicInteger pending = new AtomicInteger();

  public FileDeadLetterStore(Vertx vertx, Path file) {
    this.file = file;
    this.worker = vertx.createSharedWorkerExecutor("tandem-dead-letters-" + file.toAbsolutePath(), 1);
  }

  @Override
  public Future<Void> append(DeadLetter letter) {
    return write(letter.toJson());
  }

  @Override
  public Future<Void> resolve(String id) {
    return write(new JsonObject().put("resolved", id));
  }

  private Future<Void> write(JsonObject line) {
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      return Future.failedFuture("dead-letter file " + file + " is " + MAX_PENDING + " writes behind");
    }
    try {
      return worker.<Void>executeBlocking(() -> {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        Files.writeString(file, line.encode() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        return null;
      }, true).onComplete(ar -> pending.decrementAndGet());
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Vert.x closed without a drain (a second signal, a test): its workers stopped before the copies in flight.
      pending.decrementAndGet();
      return Future.failedFuture("dead-letter file " + file + " not written: Tandem stopped without draining");
    }
  }

  @Override
  public Future<List<DeadLetter>> unresolved() {
    return worker.executeBlocking(() -> {
      Map<String, DeadLetter> open = new LinkedHashMap<>();
      if (!Files.exists(file)) {
        return List.<DeadLetter>of();
      }
      int lineNo = 0;
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonObject j = new JsonObject(line);
          if (j.containsKey("resolved")) {
            open.remove(j.getString("resolved"));
          } else {
            DeadLetter d = DeadLetter.fromJson(j);
            open.put(d.id(), d);
          }
        } catch (RuntimeException e) {
          throw new IOException(file + ":" + lineNo + ": not a dead letter: " + e.getMessage());
        }
      }
      return new ArrayList<>(open.values());
    }, true);
  }

  @Override
  public Future<Void> close() {
    return worker.close();
  }
}
