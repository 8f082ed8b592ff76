package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class VerifyHistoryTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("past twice MAX_RUNS the file is rewritten in place with the newest MAX_RUNS, newest last")
  void trimmed(@TempDir Path dir) throws Exception {
    VerifyHistory history = new VerifyHistory(vertx, dir.resolve("h.jsonl"));
    for (int i = 0; i <= 2 * VerifyHistory.MAX_RUNS; i++) {
      history.add(new JsonObject().put("verdict", "MONITORING_REQUIRED").put("run", i)).await(10, TimeUnit.SECONDS);
    }
    List<JsonObject> kept = history.recent(10 * VerifyHistory.MAX_RUNS).await(10, TimeUnit.SECONDS);
    assertThat(kept).hasSize(VerifyHistory.MAX_RUNS);
    assertThat(kept.get(0).getInteger("run")).isEqualTo(2 * VerifyHistory.MAX_RUNS);
    assertThat(kept.get(kept.size() - 1).getInteger("run")).isEqualTo(VerifyHistory.MAX_RUNS + 1);
    assertThat(java.nio.file.Files.readAllLines(dir.resolve("h.jsonl"))).hasSize(VerifyHistory.MAX_RUNS);
  }

  @Test
  @DisplayName("reads and writes of one history from many threads of one process, through two instances, all"
      + " succeed (a JVM holds a file lock for all its threads)")
  void concurrentInOneProcess(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("h.jsonl");
    VerifyHistory writer = new VerifyHistory(vertx, file);
    java.nio.file.Files.writeString(file, "");
    java.nio.file.Files.createSymbolicLink(dir.resolve("link.jsonl"), file);
    VerifyHistory reader = new VerifyHistory(vertx, dir.resolve("link.jsonl")); // another name for the same file
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add(writer.add(new JsonObject().put("verdict", "MONITORING_REQUIRED").put("run", i)));
      all.add(reader.recent(5));
    }
    Future.all(all).await(30, TimeUnit.SECONDS);
    assertThat(reader.recent(100).await(10, TimeUnit.SECONDS)).hasSize(40);
  }
}
