package dev.tandem.proxy.mirror;

import dev.tandem.testkit.TestServices;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeadLetterStoreTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static DeadLetter letter(String id, byte[] body) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/octet-stream")
        .add("X-Multi", "a").add("X-Multi", "b");
    return new DeadLetter(id, Instant.parse("2026-11-22T10:00:00Z"), "default", "candidate", "POST", "/p?q=1", h,
        Buffer.buffer(body), "key-" + id, "timeout");
  }

  private void roundTrip(DeadLetterStore store) throws Exception {
    byte[] binary = {0, (byte) 0xff, '\n', '"', 0x7f};
    store.append(letter("a", binary)).await(10, TimeUnit.SECONDS);
    store.append(letter("b", "{}".getBytes())).await(10, TimeUnit.SECONDS);
    var open = store.unresolved().await(10, TimeUnit.SECONDS);
    assertThat(open).extracting(DeadLetter::id).containsExactly("a", "b");
    assertThat(open.get(0).body().getBytes()).isEqualTo(binary);
    assertThat(open.get(0).headers().getAll("X-Multi")).containsExactly("a", "b");
    store.resolve("a").await(10, TimeUnit.SECONDS);
    assertThat(store.unresolved().await(10, TimeUnit.SECONDS)).extracting(DeadLetter::id).containsExactly("b");
  }

  @Test
  @DisplayName("the JSONL file keeps letters byte for byte, and resolved ones drop out")
  void file(@TempDir Path dir) throws Exception {
    roundTrip(new FileDeadLetterStore(vertx, dir.resolve("dlq.jsonl")));
  }

  @Test
  @DisplayName("a Redis stream keeps letters byte for byte, and resolved ones drop out")
  void redis() throws Exception {
    roundTrip(new RedisDeadLetterStore(vertx, TestServices.redisUrl(), "test-dlq-" + UUID.randomUUID()));
  }

  @Test
  @DisplayName("a PostgreSQL table (created on first use) keeps letters byte for byte, and resolved ones drop out")
  void postgres() throws Exception {
    String table = "test_dlq_" + UUID.randomUUID().toString().replace("-", "");
    PostgresDeadLetterStore store = new PostgresDeadLetterStore(vertx, TestServices.postgresUrl(), table);
    try {
      roundTrip(store);
      // A second store on the same table (another instance, or after a restart) sees the same letters.
      PostgresDeadLetterStore again = new PostgresDeadLetterStore(vertx, TestServices.postgresUrl(), table);
      assertThat(again.unresolved().await(10, TimeUnit.SECONDS)).extracting(DeadLetter::id).containsExactly("b");
      again.close().await(10, TimeUnit.SECONDS);
    } finally {
      store.close().await(10, TimeUnit.SECONDS);
      var pool = io.vertx.pgclient.PgBuilder.pool().connectingTo(TestServices.postgresUrl()).using(vertx).build();
      pool.query("DROP TABLE IF EXISTS " + table).execute().await(10, TimeUnit.SECONDS);
      pool.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a PostgreSQL store that cannot connect fails the append with the cause, which the caller counts as failed")
  void postgresDown() throws Exception {
    int dead = freePort();
    PostgresDeadLetterStore store = new PostgresDeadLetterStore(vertx,
        "postgresql://postgres@127.0.0.1:" + dead + "/postgres", "tandem_dead_letters");
    assertThatThrownBy(() -> store.append(letter("x", new byte[0])).await(10, TimeUnit.SECONDS))
        .hasMessageContaining("Connection refused");
    store.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a table name that is not a plain identifier is refused")
  void badTableName() {
    assertThatThrownBy(() -> new PostgresDeadLetterStore(vertx, "postgresql://127.0.0.1/x", "x; drop table y"))
        .hasMessageContaining("not a plain SQL identifier");
  }

  private static int freePort() throws Exception {
    try (var s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  @DisplayName("a corrupt line in the file is reported with its file and line")
  void corruptFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("dlq.jsonl");
    Files.writeString(f, "{\"resolved\":\"x\"}\nnot json\n");
    assertThatThrownBy(() -> new FileDeadLetterStore(vertx, f).unresolved().await(10, TimeUnit.SECONDS))
        .hasMessageContaining(f + ":2: not a dead letter");
  }
}
