package dev.tandem.proxy.ui;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.TestServices;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard at /ui/ in a real Chromium, driven by Playwright (src/test/ui/dashboard.spec.mjs) against a real
 * Tandem whose candidate renames a field, with traffic flowing while the page is open.
 */
class DashboardTest {

  /** Where playwright-core is installed and the screenshots go: build output, never the source tree. */
  private static final Path WORK = Path.of("target", "ui-test").toAbsolutePath();
  private static final Path SOURCE = Path.of("src", "test", "ui").toAbsolutePath();

  private final TandemHarness h = new TandemHarness();
  private final dev.tandem.testkit.OwnDatabases databases = new dev.tandem.testkit.OwnDatabases();

  @org.junit.jupiter.api.io.TempDir
  Path dir;
  private final AtomicInteger sent = new AtomicInteger();

  @AfterEach
  void close() throws Exception {
    h.close();
    databases.close();
  }

  /**
   * The two sides' databases, the shadow one row behind: the verdict has a finding to show, and the effect probe of
   * the note written on order 50 finds its row on the primary only.
   */
  private String[] databases() throws Exception {
    String legacy = databases.create("ui_legacy");
    String shadow = databases.create("ui_shadow");
    for (String url : new String[] {legacy, shadow}) {
      var p = io.vertx.pgclient.PgBuilder.pool().connectingTo(url).using(h.vertx).build();
      p.query("CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT i, i FROM"
          + " generate_series(1, " + (url.equals(legacy) ? 50 : 49) + ") i").execute().await(30, TimeUnit.SECONDS);
      p.close();
    }
    return new String[] {legacy, shadow};
  }

  /** A replay of ten orders to the candidate, compared with legacy, its report written as tandem replay writes it. */
  private static void replayReport(Path reports, int legacy, int candidate) throws Exception {
    StringBuilder gor = new StringBuilder();
    String sep = "\n\uD83D\uDC35\uD83D\uDE48\uD83D\uDE49\n";
    for (int i = 1; i <= 10; i++) {
      gor.append("1 r").append(i).append(' ').append(1_000_000_000L + i).append(" 0\nGET /orders/").append(i)
          .append(" HTTP/1.1\r\nHost: shop\r\n\r\n").append(sep);
    }
    Path file = Files.writeString(Files.createDirectories(reports).resolveSibling("orders.gor"), gor);
    int code = dev.tandem.proxy.cli.TandemCommand.commandLine()
        .setOut(new java.io.PrintWriter(java.io.Writer.nullWriter()))
        .setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()))
        .execute("replay", file.toString(), "--target", "http://127.0.0.1:" + candidate, "--compare-with",
            "http://127.0.0.1:" + legacy, "--report", reports.resolve("release-2.json").toString(),
            "--progress", "never");
    assertThat(code).as("tandem replay's exit code: FAIL").isEqualTo(1);
    assertThat(reports.resolve("release-2.json")).exists();
  }

  private Tandem tandem() throws Exception {
    // The candidate renames customer to customerName, and fails every seventh order: the charts get a 5xx rate.
    // Neither writes a database: the probe reads the rows the test put there.
    int legacy = h.backend(req -> req.response().putHeader("Content-Type", "application/json")
        .end("{\"id\":" + id(req.path()) + ",\"customer\":\"ann\",\"status\":\"NEW\"}")).actualPort();
    java.util.Set<String> refusedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
    int candidate = h.backend(req -> {
      if (req.method() == HttpMethod.POST) {
        // A write the candidate refuses the first time (dead-lettered), and takes when it is replayed.
        boolean first = refusedOnce.add(req.path());
        req.body().onSuccess(b -> req.response().setStatusCode(first ? 503 : 201).end());
        return;
      }
      int id = id(req.path());
      req.response().putHeader("Content-Type", "application/json").setStatusCode(id % 7 == 0 ? 503 : 200)
          .end("{\"id\":" + id + ",\"customerName\":\"ann\",\"status\":\"NEW\"}");
    }).actualPort();
    Path reports = dir.resolve("replay-reports");
    replayReport(reports, legacy, candidate);
    String[] dbs = databases();
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s, replayReports: "%s", trafficHistory: { interval: 500ms } }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            match: { pathPrefix: /orders }
            primary: legacy
            canary: { backend: candidate, weight: 0 }
            mirror: { backend: candidate, percent: 100, compare: true }
            effects:
              settle: 50ms
              retries: 1
              probes:
                - name: order
                  methods: [POST]
                  path: ^/orders/[0-9]+/notes$
                  sql: SELECT id, total FROM orders WHERE id = $1
                  params: [ "path:1" ]
        deadLetters: { store: file, file: "%s" }
        verify:
          primary: %s
          shadow: %s
          history: "%s"
          tables: [ { name: orders, key: [id] } ]
        """.formatted(TandemHarness.TOKEN, reports, legacy, candidate, dir.resolve("dead-letters.jsonl"), dbs[0], dbs[1],
        dir.resolve("verify.jsonl")));
  }

  private static int id(String path) {
    String last = path.substring(path.lastIndexOf('/') + 1);
    return last.chars().allMatch(Character::isDigit) && !last.isEmpty() ? Integer.parseInt(last) : 0;
  }

  @Test
  @DisplayName("the dashboard signs in with the token only, changes a weight and rolls back through the API, shows a "
      + "difference side by side and draws the traffic charts")
  void dashboard() throws Exception {
    String node = TestServices.binary("node", "apt-get install nodejs; .ci/run installs it");
    String chromium = TestServices.binary("chromium", "apt-get install chromium; .ci/run installs it");
    Tandem t = tandem();
    HttpClientAgent data = h.vertx.createHttpClient();
    for (int i = 1; i <= 20; i++) {
      get(data, t, "/orders/" + i);
    }
    eventually("20 comparisons", () -> h.registry.scrape().contains(
        "tandem_comparisons_total{result=\"differ\",route=\"orders\"} 20.0"));
    RequestOptions write = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(t.port())
        .setURI("/orders/50/notes").putHeader("Content-Type", "application/json");
    TandemHarness.await(h.onContext(() -> data.request(write).compose(r -> r.send("{\"note\":\"gift\"}"))
        .compose(r -> r.body())));
    eventually("the refused write dead-lettered", () -> h.registry.scrape().contains(
        "tandem_mirror_total{outcome=\"dead_lettered\",route=\"orders\"} 1.0"));
    // Traffic keeps flowing while the page is open, for the charts to show rates; no assertion waits on it.
    long timer = h.vertx.setPeriodic(40, id -> h.onContext(() -> {
      RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.port())
          .setURI("/orders/" + (sent.incrementAndGet() % 50));
      return data.request(o).compose(r -> r.send()).compose(r -> r.body()).onSuccess(b -> { });
    }));

    // The page must show traffic from before it opened: the server's history has the orders route's first requests.
    long[] historyFrom = new long[1];
    eventually("the first orders traffic in /admin/traffic/history", () -> {
      for (Object p : h.admin(t, HttpMethod.GET, "/admin/traffic/history", null).json().getJsonArray("points")) {
        JsonObject point = (JsonObject) p;
        if (point.getJsonArray("series").stream().map(JsonObject.class::cast)
            .anyMatch(s -> s.getString("route").equals("orders") && s.getLong("requests") > 0)) {
          historyFrom[0] = point.getLong("time");
          return true;
        }
      }
      return false;
    });

    // The script runs beside its node_modules, where Node finds playwright-core.
    dev.tandem.proxy.NpmPackages.install(SOURCE, WORK, List.of("package.json", "package-lock.json",
        "dashboard.spec.mjs"));
    Path log = WORK.resolve("dashboard.log");
    ProcessBuilder pb = new ProcessBuilder(node, "dashboard.spec.mjs").directory(WORK.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(Map.of("TANDEM_UI_URL", "http://127.0.0.1:" + t.adminPort() + "/ui/",
        "TANDEM_UI_TOKEN", TandemHarness.TOKEN, "TANDEM_UI_CHROMIUM", chromium, "TANDEM_UI_OUT", WORK.toString(),
        "TANDEM_UI_HISTORY_FROM", Long.toString(historyFrom[0])));
    Process p = pb.start();
    boolean finished = p.waitFor(3, TimeUnit.MINUTES);
    h.vertx.cancelTimer(timer);
    if (!finished) {
      p.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(finished).as("dashboard.spec.mjs finished within 3 minutes:\n" + output).isTrue();
    assertThat(p.exitValue()).as("dashboard.spec.mjs (screenshots in " + WORK + "):\n" + output).isZero();

    // What the page did went through the admin API: the last weight it set, the mirror percent, the rollback.
    JsonObject route = h.admin(t, HttpMethod.GET, "/admin/routes", null).json().getJsonArray("routes")
        .getJsonObject(0);
    assertThat(route.getJsonObject("canary").getDouble("weight")).isEqualTo(12.5);
    assertThat(route.getJsonObject("mirror").getDouble("percent")).isEqualTo(50.0);
    eventually("the orders ledger balanced once the traffic stopped", () -> h.admin(t, HttpMethod.GET,
        "/admin/mirror/stats", null).json().getJsonObject("routes").getJsonObject("orders").getBoolean("balanced"));
    String audit = h.admin(t, HttpMethod.GET, "/admin/audit", null).json().encode();
    assertThat(audit).contains("\"action\":\"rollback\"", "rolled back from the dashboard test",
        "\"caller\":\"admin\"", "\"action\":\"dlq_replay\"", "the candidate takes notes now",
        "\"action\":\"verify_now\"", "before the release meeting");
    assertThat(Files.size(WORK.resolve("dashboard.png"))).isPositive();
  }

  private String get(HttpClientAgent data, Tandem t, String uri) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.port()).setURI(uri);
    return TandemHarness.await(h.onContext(() -> data.request(o).compose(r -> r.send()).compose(r -> r.body())))
        .toString();
  }
}
