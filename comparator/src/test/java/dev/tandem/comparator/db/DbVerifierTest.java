package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two real databases, created and dropped by the test: the legacy's (primary) and the candidate's (shadow). */
class DbVerifierTest {

  private static dev.tandem.testkit.OwnDatabases databases;
  private static String primaryUrl;
  private static String shadowUrl;

  private final Vertx vertx = Vertx.vertx();
  private Pool primary;
  private Pool shadow;

  @TempDir
  Path dir;

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(60, TimeUnit.SECONDS);
  }

  @BeforeAll
  static void databases() throws Exception {
    databases = new dev.tandem.testkit.OwnDatabases();
    primaryUrl = databases.create("legacy");
    shadowUrl = databases.create("shadow");
    // Servers in other zones than UTC: the verifier's sessions must run in UTC whatever the database says.
    Vertx v = Vertx.vertx();
    Pool admin = PgBuilder.pool().connectingTo(dev.tandem.testkit.TestServices.postgresUrl()).using(v).build();
    for (String url : new String[] {primaryUrl, shadowUrl}) {
      String db = url.substring(url.lastIndexOf('/') + 1);
      await(admin.query("ALTER DATABASE " + db + " SET TimeZone = '" + (url == primaryUrl ? "America/New_York"
          : "Asia/Kolkata") + "'").execute());
    }
    await(v.close());
  }

  @AfterAll
  static void drop() throws Exception {
    databases.close();
  }

  @BeforeEach
  void connect() {
    primary = PgBuilder.pool().connectingTo(primaryUrl).using(vertx).build();
    shadow = PgBuilder.pool().connectingTo(shadowUrl).using(vertx).build();
  }

  @AfterEach
  void close() throws Exception {
    await(primary.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public").execute());
    await(shadow.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public").execute());
    await(vertx.close());
  }

  private void sql(Pool pool, String sql) throws Exception {
    await(pool.query(sql).execute());
  }

  private VerificationRun verify(List<TableSpec> tables, VerifyOptions options) throws Exception {
    DbVerifier v = new DbVerifier(vertx, primaryUrl, shadowUrl, tables, options, 0);
    try {
      return await(v.run(Map.of()));
    } finally {
      await(v.close());
    }
  }

  private static VerifyOptions quick() {
    return new VerifyOptions(1000, 4, Duration.ofMillis(50), false, 1000, 3);
  }

  @Test
  @DisplayName("every finding class: missing in shadow, extra in shadow, value mismatch with the columns and both"
      + " values, duplicate key")
  void everyFindingClass() throws Exception {
    String ddl = "CREATE TABLE orders (id int, customer text, total numeric(10,2));";
    sql(primary, ddl + "INSERT INTO orders SELECT i, 'c' || i, i * 1.5 FROM generate_series(1, 10) i");
    sql(shadow, ddl + "INSERT INTO orders SELECT i, 'c' || i, i * 1.5 FROM generate_series(1, 10) i WHERE i <> 3;"
        + "INSERT INTO orders VALUES (11, 'c11', 16.5), (7, 'c7', 10.5);"
        + "UPDATE orders SET total = 7.6 WHERE id = 5");
    TableResult r = verify(List.of(TableSpec.same("orders", List.of("id"))), quick()).tables().get(0);
    assertThat(r.counts()).containsEntry(Finding.Kind.MISSING_IN_SHADOW, 1L)
        .containsEntry(Finding.Kind.EXTRA_IN_SHADOW, 1L).containsEntry(Finding.Kind.VALUE_MISMATCH, 1L)
        .containsEntry(Finding.Kind.DUPLICATE_KEY, 1L);
    assertThat(r.findings()).extracting(f -> f.kind().label() + " " + f.keyText()).containsExactlyInAnyOrder(
        "missing_in_shadow id=3", "extra_in_shadow id=11", "value_mismatch id=5", "duplicate_key id=7");
    Finding mismatch = r.findings().stream().filter(f -> f.kind() == Finding.Kind.VALUE_MISMATCH).findFirst()
        .orElseThrow();
    assertThat(mismatch.columns()).containsExactly(new Finding.Column("total", "7.5", "7.6"));
    assertThat(r.primaryRows()).isEqualTo(10);
    assertThat(r.shadowRows()).isEqualTo(11);
    assertThat(r.divergent()).isEqualTo(4);
  }

  @Test
  @DisplayName("renames and transforms between schemas: another table name, renamed columns, a value computed from"
      + " the shadow's columns, an ignored column; the shadow's extra column is noted")
  void renamesAndTransforms() throws Exception {
    sql(primary, "CREATE TABLE orders (id int PRIMARY KEY, customer text, total numeric(10,2), status text,"
        + " touched timestamp);"
        + "INSERT INTO orders SELECT i, 'c' || i, i * 2.25, 'NEW', now() FROM generate_series(1, 50) i");
    sql(shadow, "CREATE TABLE orders_v2 (order_id bigint PRIMARY KEY, customer_name text, total_cents int,"
        + " state text, audit text);"
        + "INSERT INTO orders_v2 SELECT i, 'c' || i, i * 225, 'new', 'x' FROM generate_series(1, 50) i");
    TableSpec spec = new TableSpec("orders", "orders_v2", List.of("id"), Map.of(),
        Map.of("id", "order_id", "customer", "customer_name", "total", "total_cents / 100.0", "status",
            "upper(state)"), Set.of("touched"), null);
    TableResult r = verify(List.of(spec), quick()).tables().get(0);
    assertThat(r.divergent()).as(r.toJson().encodePrettily()).isZero();
    assertThat(r.primaryRows()).isEqualTo(50);
    assertThat(r.notes()).anyMatch(n -> n.contains("audit"));
  }

  @Test
  @DisplayName("a column the candidate dropped is noted and compared as NULL: the rows where the legacy had a value"
      + " differ")
  void droppedColumn() throws Exception {
    sql(primary, "CREATE TABLE orders (id int PRIMARY KEY, gift_note text);"
        + "INSERT INTO orders VALUES (1, NULL), (2, 'Happy birthday!'), (3, NULL)");
    sql(shadow, "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (1), (2), (3)");
    TableResult r = verify(List.of(TableSpec.same("orders", List.of("id"))), quick()).tables().get(0);
    assertThat(r.notes()).anyMatch(n -> n.startsWith("column gift_note has no counterpart in shadow orders"));
    assertThat(r.findings()).singleElement().satisfies(f -> {
      assertThat(f.keyText()).isEqualTo("id=2");
      assertThat(f.columns()).containsExactly(new Finding.Column("gift_note", "Happy birthday!", null));
    });
  }

  @Test
  @DisplayName("canonical forms: 19.50 = 19.5 and -0 = 0; timestamps equal as UTC instants whatever their zone or"
      + " type; NULL and '' differ unless configured")
  void canonicalForms() throws Exception {
    sql(primary, "CREATE TABLE t (id int, amount numeric(10,2), ratio float8, at timestamp, note text);"
        + "INSERT INTO t VALUES (1, 19.50, 0, '2026-01-01 10:00:00.123456', 'x'), (2, 1, 1, '2026-01-01 10:00', NULL)");
    sql(shadow, "CREATE TABLE t (id int, amount numeric, ratio float8, at timestamptz, note text);"
        + "INSERT INTO t VALUES (1, 19.5, '-0', '2026-01-01 11:00:00.123456+01', 'x'),"
        + " (2, 1.000, 1, '2026-01-01 05:00:00-05', '')");
    TableResult strict = verify(List.of(TableSpec.same("t", List.of("id"))), quick()).tables().get(0);
    assertThat(strict.findings()).singleElement().satisfies(f -> {
      assertThat(f.keyText()).isEqualTo("id=2");
      assertThat(f.columns()).containsExactly(new Finding.Column("note", null, ""));
    });
    VerifyOptions lenient = new VerifyOptions(1000, 4, Duration.ofMillis(50), true, 1000, 3);
    assertThat(verify(List.of(TableSpec.same("t", List.of("id"))), lenient).tables().get(0).divergent()).isZero();
  }

  @Test
  @DisplayName("databases with different collations cut the same chunks of text keys: identical rows, no finding")
  void collationsDiffer() throws Exception {
    String fill = "INSERT INTO t SELECT k, 'v' || k FROM unnest(ARRAY['a','B','c','D','e','F','g','H','i','J','k',"
        + "'L']) k;";
    sql(primary, "CREATE TABLE t (k text COLLATE \"und-x-icu\" PRIMARY KEY, v text);" + fill);
    sql(shadow, "CREATE TABLE t (k text COLLATE \"C\" PRIMARY KEY, v text);" + fill);
    VerifyOptions small = new VerifyOptions(100, 4, Duration.ofMillis(10), false, 1000, 3);
    TableResult r = verify(List.of(TableSpec.same("t", List.of("k"))), small).tables().get(0);
    assertThat(r.divergent()).as(r.toJson().encodePrettily()).isZero();
  }

  @Test
  @DisplayName("rows whose key is NULL are compared in a chunk of their own; shadow rows past the primary's last key"
      + " are found with several chunks, and a shadow chunk too large to fetch is cut by its own keys")
  void nullKeysAndRowsOutsideTheRange() throws Exception {
    sql(primary, "CREATE TABLE t (id int, v text); INSERT INTO t SELECT i, 'x' FROM generate_series(1, 1000) i;"
        + "INSERT INTO t VALUES (NULL, 'null key')");
    sql(shadow, "CREATE TABLE t (id int, v text); INSERT INTO t SELECT i, 'x' FROM generate_series(1, 1000) i;"
        + "INSERT INTO t VALUES (NULL, 'changed'); INSERT INTO t SELECT i, 'x' FROM generate_series(1001, 6000) i;"
        + "INSERT INTO t VALUES (-5, 'before')");
    VerifyOptions small = new VerifyOptions(200, 4, Duration.ofMillis(10), false, 10_000, 3);
    TableResult r = verify(List.of(TableSpec.same("t", List.of("id"))), small).tables().get(0);
    assertThat(r.counts()).containsEntry(Finding.Kind.EXTRA_IN_SHADOW, 5001L)
        .containsEntry(Finding.Kind.VALUE_MISMATCH, 1L);
    assertThat(r.findings()).anyMatch(f -> f.kind() == Finding.Kind.VALUE_MISMATCH && f.key().get("id") == null);
    assertThat(r.findings()).anyMatch(f -> "-5".equals(f.key().get("id")));
    assertThat(r.primaryRows()).isEqualTo(1001);
    assertThat(r.shadowRows()).isEqualTo(6002);
  }

  @Test
  @DisplayName("types with modifiers (timestamp(6), varchar(10), numeric(10,2)), an int key widened to bigint,"
      + " arrays, and floats compare by value")
  void typesWithModifiers() throws Exception {
    sql(primary, "CREATE TABLE t (id int PRIMARY KEY, code varchar(10), at timestamp(6), amount numeric(10,2),"
        + " tags text[], ratio float8);"
        + "INSERT INTO t VALUES (1, 'abc', '2026-01-01 10:00:00.121881', 1.50, '{a,b}', 0.1::float8 + 0.2::float8),"
        + " (2, 'def', '2026-01-01 10:00:00', 2, '{}', 0.3)");
    sql(shadow, "CREATE TABLE t (id bigint PRIMARY KEY, code text, at timestamptz, amount numeric, tags text[],"
        + " ratio float8);"
        + "INSERT INTO t VALUES (1, 'abc', '2026-01-01 10:00:00.121881+00', 1.5, '{a,b}', 0.3),"
        + " (2, 'def', '2026-01-01 10:00:00+00', 2.00, '{}', 0.3)");
    TableResult r = verify(List.of(TableSpec.same("t", List.of("id"))), quick()).tables().get(0);
    assertThat(r.findings()).as("0.1 + 0.2 is not 0.3 in float8").singleElement().satisfies(f -> {
      assertThat(f.keyText()).isEqualTo("id=1");
      assertThat(f.columns()).containsExactly(new Finding.Column("ratio", "0.30000000000000004", "0.3"));
    });
  }

  @Test
  @DisplayName("a key duplicated identically on both sides (a table without a unique key, mirrored faithfully) is"
      + " noted, not counted as divergent; duplicated differently, it is a duplicate_key finding")
  void identicalDuplicates() throws Exception {
    sql(primary, "CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'a'), (1, 'a'), (2, 'b'), (2, 'c')");
    sql(shadow, "CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'a'), (1, 'a'), (2, 'b'), (2, 'd')");
    TableResult r = verify(List.of(TableSpec.same("t", List.of("id"))), quick()).tables().get(0);
    assertThat(r.findings()).extracting(f -> f.kind().label() + " " + f.keyText())
        .containsExactly("duplicate_key id=2");
    assertThat(r.notes()).anyMatch(n -> n.startsWith("1 keys are duplicated, identically on both sides"));
  }

  @Test
  @DisplayName("a large table with 3 differing rows: the chunked checksums find exactly those rows, fetching only"
      + " the rows of the 3 chunks that differ")
  void chunkedChecksumsFindExactlyTheDifferences() throws Exception {
    String ddl = "CREATE TABLE events (id bigint PRIMARY KEY, kind text, amount numeric(12,2), at timestamptz);";
    String fill = "INSERT INTO events SELECT i, 'k' || (i % 7), i / 100.0, timestamptz '2026-01-01 00:00:00+00' + i"
        + " * interval '1 second' FROM generate_series(1, 200000) i;";
    sql(primary, ddl + fill);
    sql(shadow, ddl + fill + "UPDATE events SET amount = amount + 0.01 WHERE id IN (17, 100003);"
        + "DELETE FROM events WHERE id = 199999");
    TableResult r = verify(List.of(TableSpec.same("events", List.of("id"))), quick()).tables().get(0);
    assertThat(r.findings()).extracting(Finding::keyText).containsExactlyInAnyOrder("id=17", "id=100003",
        "id=199999");
    assertThat(r.chunks()).isEqualTo(200);
    assertThat(r.chunksDiffering()).isEqualTo(3);
    // boundaries (200) + 2 checksums per chunk (400) + both sides of 3 chunks (about 6,000)
    assertThat(r.rowsTransferred()).isLessThan(7_000);
  }

  @Test
  @DisplayName("composite keys and text keys chunk and match too")
  void compositeAndTextKeys() throws Exception {
    String ddl = "CREATE TABLE lines (order_no text, line int, sku text, PRIMARY KEY (order_no, line));";
    String fill = "INSERT INTO lines SELECT 'ord-' || lpad((i / 3)::text, 6, '0'), i % 3, 'sku' || i"
        + " FROM generate_series(1, 5000) i;";
    sql(primary, ddl + fill);
    sql(shadow, ddl + fill + "UPDATE lines SET sku = 'changed' WHERE order_no = 'ord-000500' AND line = 1");
    TableResult r = verify(List.of(TableSpec.same("lines", List.of("order_no", "line"))), quick()).tables().get(0);
    assertThat(r.findings()).extracting(Finding::keyText).containsExactly("order_no=ord-000500,line=1");
  }

  @Test
  @DisplayName("race window: a finding on a row changed within the settle window is re-checked after it, and does"
      + " not count once the row has converged; an old difference counts at once")
  void raceWindow() throws Exception {
    String ddl = "CREATE TABLE orders (id int PRIMARY KEY, status text, updated_at timestamptz);";
    sql(primary, ddl + "INSERT INTO orders VALUES (1, 'PAID', now()), (2, 'NEW', now() - interval '1 hour')");
    sql(shadow, ddl + "INSERT INTO orders VALUES (1, 'NEW', now()), (2, 'OLD', now() - interval '1 hour')");
    TableSpec spec = new TableSpec("orders", "orders", List.of("id"), Map.of(), Map.of(), Set.of("updated_at"),
        new TableSpec.UpdatedAt("updated_at", "updated_at"));
    DbVerifier v = new DbVerifier(vertx, primaryUrl, shadowUrl, List.of(spec),
        new VerifyOptions(1000, 4, Duration.ofSeconds(1), false, 1000, 3), 0);
    // The mirrored write lands while the verifier waits for the row to settle.
    v.onSettleWait(() -> shadow.query("UPDATE orders SET status = 'PAID' WHERE id = 1").execute());
    TableResult r = await(v.run(Map.of())).tables().get(0);
    await(v.close());
    assertThat(r.rechecked()).isEqualTo(1);
    assertThat(r.settled()).isEqualTo(1);
    assertThat(r.findings()).extracting(Finding::keyText).containsExactly("id=2");
  }

  @Test
  @DisplayName("verdicts over several runs: divergence asks for monitoring, then clean runs build a streak to"
      + " READY_FOR_CUTOVER; many divergent rows recommend rollback; a row that keeps differing is escalated")
  void verdictsOverRuns() throws Exception {
    String ddl = "CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2));";
    sql(primary, ddl + "INSERT INTO orders SELECT i, i FROM generate_series(1, 1000) i");
    sql(shadow, ddl + "INSERT INTO orders SELECT i, i FROM generate_series(1, 1000) i; UPDATE orders SET total = 0"
        + " WHERE id = 42");
    VerifyHistory history = new VerifyHistory(vertx, dir.resolve("history.jsonl"));
    List<String> verdicts = new ArrayList<>();
    List<TableSpec> tables = List.of(TableSpec.same("orders", List.of("id")));
    CutoverVerdict.Readiness t = new CutoverVerdict.Readiness(99, 5, 2, 1);
    DbVerifier v = new DbVerifier(vertx, primaryUrl, shadowUrl, tables, quick(), 0);
    for (int run = 1; run <= 6; run++) {
      if (run == 4) {
        sql(shadow, "UPDATE orders SET total = id");
      }
      if (run == 6) {
        sql(shadow, "UPDATE orders SET total = 0 WHERE id <= 20");
      }
      List<JsonObject> before = await(history.recent(10));
      VerificationRun r = await(v.run(CutoverVerdict.streaks(before)));
      JsonObject verdict = CutoverVerdict.judge(r, before, t, 0.0);
      await(history.add(verdict));
      verdicts.add(verdict.getString("verdict"));
      if (run == 3) {
        assertThat(r.tables().get(0).findings()).singleElement().satisfies(f -> {
          assertThat(f.streak()).isEqualTo(3);
          assertThat(f.escalated()).isTrue();
        });
        assertThat(verdict.getJsonArray("reasons").encode()).contains("escalated");
      }
    }
    await(v.close());
    assertThat(verdicts).containsExactly("MONITORING_REQUIRED", "MONITORING_REQUIRED", "MONITORING_REQUIRED",
        "MONITORING_REQUIRED", "READY_FOR_CUTOVER", "ROLLBACK_RECOMMENDED");
    JsonObject last = await(history.recent(1)).get(0);
    assertThat(last.getJsonObject("evidence").getJsonArray("tables").getJsonObject(0).getLong("divergentRows"))
        .as("the verdict is kept with its evidence").isEqualTo(20);
  }

  @Test
  @DisplayName("responses that differ too much keep the verdict at monitoring even when the rows are clean")
  void responsesCount() throws Exception {
    sql(primary, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    sql(shadow, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    VerificationRun r = verify(List.of(TableSpec.same("t", List.of("id"))), quick());
    CutoverVerdict.Readiness t = new CutoverVerdict.Readiness(99, 5, 1, 1);
    assertThat(CutoverVerdict.judge(r, List.of(), t, 0.5).getString("verdict")).isEqualTo("READY_FOR_CUTOVER");
    JsonObject high = CutoverVerdict.judge(r, List.of(), t, 7.5);
    assertThat(high.getString("verdict")).isEqualTo("MONITORING_REQUIRED");
    assertThat(high.getJsonArray("reasons").encode()).contains("7.50% of compared responses differ");
  }

  @Test
  @DisplayName("a shadow database that is down, or a table or key column that is missing, is a clear error and no"
      + " verdict")
  void errorsAreClear() throws Exception {
    sql(primary, "CREATE TABLE t (id int PRIMARY KEY)");
    assertThatThrownBy(() -> verify(List.of(TableSpec.same("t", List.of("id"))), quick()))
        .isInstanceOf(VerifyException.class).hasMessage("shadow database: table t does not exist");
    sql(shadow, "CREATE TABLE t (id int PRIMARY KEY)");
    assertThatThrownBy(() -> verify(List.of(TableSpec.same("t", List.of("order_id"))), quick()))
        .hasMessageContaining("primary database: table t has no key column 'order_id'");
    int free;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      free = s.getLocalPort();
    }
    DbVerifier down = new DbVerifier(vertx, primaryUrl, "postgresql://postgres@127.0.0.1:" + free + "/x",
        List.of(TableSpec.same("t", List.of("id"))), quick(), 0);
    assertThatThrownBy(() -> await(down.run(Map.of()))).isInstanceOf(VerifyException.class)
        .hasMessageStartingWith("shadow database: ").hasMessageContaining("Connection refused");
    await(down.close());
  }

  @Test
  @DisplayName("lock watch: a session waiting on a lock in the shadow is reported with the longest wait, the blocked"
      + " and the blocking statement")
  void lockWatch() throws Exception {
    sql(shadow, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
    var holder = await(shadow.getConnection());
    await(holder.query("BEGIN").execute());
    await(holder.query("LOCK TABLE t IN ACCESS EXCLUSIVE MODE").execute());
    Future<?> blocked = shadow.query("SELECT count(*) FROM t").execute();
    LockWatch watch = new LockWatch(vertx, DbVerifier.pool(vertx, shadowUrl, 1), 20);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (watch.report().getJsonObject("longest") == null || watch.report().getJsonObject("longest")
        .getLong("waitedMillis") < 100) {
      assertThat(System.nanoTime()).as("a lock wait seen").isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(20); // polling interval
    }
    JsonObject longest = await(watch.stop()).getJsonObject("longest");
    await(holder.query("COMMIT").execute());
    await(blocked);
    holder.close();
    assertThat(longest.getString("blockedQuery")).contains("SELECT count(*) FROM t");
    assertThat(longest.getString("blockingQuery")).contains("LOCK TABLE t");
    assertThat(longest.getString("lock")).contains("AccessShareLock on t");
  }
}
