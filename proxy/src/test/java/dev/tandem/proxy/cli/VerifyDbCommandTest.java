package dev.tandem.proxy.cli;

import dev.tandem.testkit.OwnDatabases;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class VerifyDbCommandTest {

  private static OwnDatabases databases;
  private static String legacy;
  private static String shadow;
  private static Vertx vertx;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @TempDir
  Path dir;

  @BeforeAll
  static void setUp() throws Exception {
    databases = new OwnDatabases();
    legacy = databases.create("cli_legacy");
    shadow = databases.create("cli_shadow");
    vertx = Vertx.vertx();
    String ddl = "CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric(10,2));"
        + "INSERT INTO orders SELECT i, 'c' || i, i * 1.25 FROM generate_series(1, 500) i;";
    sql(legacy, ddl);
    sql(shadow, ddl + "UPDATE orders SET total = total + 0.01 WHERE id = 7; DELETE FROM orders WHERE id = 9;");
  }

  @AfterAll
  static void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    databases.close();
  }

  private static void sql(String url, String sql) throws Exception {
    Pool p = PgBuilder.pool().connectingTo(url).using(vertx).build();
    p.query(sql).execute().await(30, TimeUnit.SECONDS);
    p.close().await(10, TimeUnit.SECONDS);
  }

  private int run(String... args) {
    return TandemCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private Path config(String primary, String shadowUrl, String tables, String extra) throws Exception {
    Path f = dir.resolve("tandem-" + System.nanoTime() + ".yaml");
    Files.writeString(f, """
        admin: { host: 127.0.0.1, port: 1 }
        backends: { legacy: http://127.0.0.1:9001 }
        routes: [ { name: r, primary: legacy } ]
        verify:
          primary: %s
          shadow: %s
          history: %s
          settle: 10ms
          %s
          tables: %s
        """.formatted(primary, shadowUrl, dir.resolve("history.jsonl"), extra, tables));
    return f;
  }

  @Test
  @DisplayName("verify-db: divergent rows are listed with their class, key and values and exit 1; --json lists the"
      + " findings with class, table and key; identical databases are READY after the clean streak and exit 0")
  void verdictsAndExitCodes() throws Exception {
    Path c = config(legacy, shadow, "[ { name: orders, key: [id] } ]", "readiness: { cleanRuns: 1 }");
    assertThat(run("verify-db", "--config", c.toString())).as(err::toString).isEqualTo(1);
    assertThat(out.toString()).contains("orders", "500 rows, shadow 499", "2 divergent",
        "value_mismatch id=7  total: '8.75' → '8.76'", "missing_in_shadow id=9", "Verdict: MONITORING_REQUIRED",
        "response differences: not known here");
    assertThat(run("verify-db", "--config", c.toString(), "--json")).isEqualTo(1);
    String printed = out.toString();
    JsonObject verdict = new JsonObject(printed.substring(printed.indexOf("{\n  \"verdict\"")));
    assertThat(verdict.getString("verdict")).isEqualTo("MONITORING_REQUIRED");
    assertThat(verdict.getJsonArray("findings").stream().map(JsonObject.class::cast)
        .map(f -> f.getString("class") + " " + f.getString("table") + " " + f.getJsonObject("key").getString("id")))
        .containsExactlyInAnyOrder("value_mismatch orders 7", "missing_in_shadow orders 9");

    Path same = config(legacy, legacy, "[ { name: orders, key: [id] } ]", "readiness: { cleanRuns: 1 }");
    assertThat(run("verify-db", "--config", same.toString())).as(err::toString).isZero();
    assertThat(out.toString()).contains("Verdict: READY_FOR_CUTOVER");
  }

  @Test
  @DisplayName("verify-db: a shadow database that is down, a missing table, or no verify section exit 2 with one"
      + " line and no verdict")
  void errors() throws Exception {
    int free;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      free = s.getLocalPort();
    }
    Path down = config(legacy, "postgresql://postgres@127.0.0.1:" + free + "/x", "[ { name: orders, key: [id] } ]", "");
    assertThat(run("verify-db", "--config", down.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("tandem verify-db: no verdict: shadow database: ", "Connection refused");
    Path missing = config(legacy, shadow, "[ { name: invoices, key: [id] } ]", "");
    assertThat(run("verify-db", "--config", missing.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("no verdict: ").contains("table invoices does not exist");
    assertThat(out.toString()).doesNotContain("Verdict:");
    Path none = dir.resolve("none.yaml");
    Files.writeString(none, "backends: { legacy: http://127.0.0.1:9001 }\nroutes: [ { name: r, primary: legacy } ]\n");
    assertThat(run("verify-db", "--config", none.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("verify: is required by tandem verify-db");
    assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  @DisplayName("replay --lock-watch reports the longest lock wait in the candidate's database during the replay,"
      + " with the blocked and the blocking statement")
  void replayLockWatch() throws Exception {
    var target = vertx.createHttpServer().requestHandler(req -> req.response().end("ok")).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    String sep = "\n\uD83D\uDC35\uD83D\uDE48\uD83D\uDE49\n";
    StringBuilder gor = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      gor.append("1 r").append(i).append(" ").append(1_000_000_000L + i).append(" 0\nGET /orders/").append(i)
          .append(" HTTP/1.1\r\n\r\n").append(sep);
    }
    Path file = Files.writeString(dir.resolve("t.gor"), gor);
    Pool pool = PgBuilder.pool().connectingTo(shadow).using(vertx).build();
    var holder = pool.getConnection().await(10, TimeUnit.SECONDS);
    holder.query("BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE").execute().await(10, TimeUnit.SECONDS);
    var blocked = pool.query("SELECT count(*) FROM orders").execute();
    try {
      // 10 requests at 10/s: a second of replay, sampled every 200 ms
      assertThat(run("replay", file.toString(), "--target", "http://127.0.0.1:" + target.actualPort(), "--rate", "10",
          "--lock-watch", shadow, "--progress", "never")).as(err::toString).isEqualTo(3);
    } finally {
      holder.query("COMMIT").execute().await(10, TimeUnit.SECONDS);
      blocked.await(10, TimeUnit.SECONDS);
      holder.close();
      pool.close();
    }
    assertThat(out.toString()).contains("Locks: longest wait", "AccessShareLock on orders",
        "\"SELECT count(*) FROM orders\" blocked by \"BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE\"");
  }

  @Test
  @DisplayName("verify-db takes a file with only verify:, leaves nothing but its history beside it, and logs no"
      + " metrics warning")
  void onlyVerify() throws Exception {
    try (Warnings warnings = new Warnings()) {
      Path only = dir.resolve("verify-only.yaml");
      Files.writeString(only, """
          verify:
            primary: %s
            shadow: %s
            history: %s
            tables: [ { name: orders, key: [id] } ]
          """.formatted(legacy, legacy, dir.resolve("history.jsonl")));
      assertThat(run("verify-db", "--config", only.toString())).as(err::toString).isEqualTo(1);
      assertThat(out.toString()).contains("orders", "100.000% in sync", "Verdict: MONITORING_REQUIRED");
      assertThat(run("verify-db", "--config", only.toString())).isEqualTo(1);
      assertThat(out.toString()).contains("2 of 3 consecutive clean runs");
      try (var files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .containsExactlyInAnyOrder("verify-only.yaml", "history.jsonl");
      }
      assertThat(warnings.messages()).isEmpty();
    }
  }
}
