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
  @DisplayName("reads and writes of one history from many threads of one process, through two instances, all"
      + " succeed (a JVM holds a file lock for all its threads)")
  void concurrentInOneProcess(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("h.jsonl");
    VerifyHistory writer = new VerifyHistory(vertx, file);
    VerifyHistory reader = new VerifyHistory(vertx, dir.resolve(".").resolve("h.jsonl"));
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add(writer.add(new JsonObject().put("verdict", "MONITORING_REQUIRED").put("run", i)));
      all.add(reader.recent(5));
    }
    Future.all(all).await(30, TimeUnit.SECONDS);
    assertThat(reader.recent(100).await(10, TimeUnit.SECONDS)).hasSize(40);
  }
}
