package dev.tandem.replay;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ReplayerTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static CapturedExchange get(String id, long timeNanos) {
    return new CapturedExchange("cap.gor@" + id, id, timeNanos, "GET", "/r/" + id, List.of(), new byte[0], null);
  }

  @Test
  @DisplayName("--shard i/n: every record falls in exactly one of the n shards, the same one every time")
  void sharding() {
    List<CapturedExchange> all = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      all.add(get("r" + i, i));
    }
    Set<String> seen = new HashSet<>();
    int n = 4;
    for (int shard = 1; shard <= n; shard++) {
      int s = shard;
      List<CapturedExchange> mine = all.stream().filter(e -> Replayer.inShard(e, s, n)).toList();
      assertThat(mine.size()).as("shard %d is not empty nor everything", shard).isBetween(150, 350);
      for (CapturedExchange e : mine) {
        assertThat(seen.add(e.id())).as("%s in one shard only", e.id()).isTrue();
      }
    }
    assertThat(seen).hasSize(1000);
    // Another worker reads the same record from its own copy of the file: it lands in the same shard.
    CapturedExchange elsewhere = new CapturedExchange("/other/dir/cap.gor@" + all.get(7).id(), all.get(7).id(), 7,
        "GET", "/r/r7", List.of(), new byte[0], null);
    for (int shard = 1; shard <= n; shard++) {
      assertThat(Replayer.inShard(elsewhere, shard, n)).isEqualTo(Replayer.inShard(all.get(7), shard, n));
    }
  }

  @Test
  @DisplayName("with original timing no request leaves before its due time (start + offset / speed), in order")
  void pacing() throws Exception {
    Map<String, Long> arrived = new ConcurrentHashMap<>();
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      arrived.put(req.path(), System.nanoTime());
      req.response().end("ok");
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    List<CapturedExchange> plan = new ArrayList<>();
    long base = 1_000_000_000_000L;
    for (int i = 0; i < 10; i++) {
      plan.add(get("p" + i, base + i * 60_000_000L)); // every 60 ms of original time
    }
    Replayer r = new Replayer(vertx, URI.create("http://127.0.0.1:" + server.actualPort()), null, 4, false);
    long start = System.nanoTime();
    Replayer.Result result = r.run(plan, new Replayer.Pacing(2, 0)).await(30, TimeUnit.SECONDS);
    assertThat(result.sent()).isEqualTo(10);
    for (int i = 0; i < 10; i++) {
      long due = start + i * 30_000_000L; // 60 ms at speed 2
      assertThat(arrived.get("/r/p" + i)).as("p%d not early", i).isGreaterThanOrEqualTo(due);
    }
    for (int i = 1; i < 10; i++) {
      assertThat(arrived.get("/r/p" + i)).isGreaterThan(arrived.get("/r/p" + (i - 1)));
    }
    assertThat(result.lagMaxMillis()).isGreaterThanOrEqualTo(result.lagP50Millis());
    r.close().await(10, TimeUnit.SECONDS);
  }
}
