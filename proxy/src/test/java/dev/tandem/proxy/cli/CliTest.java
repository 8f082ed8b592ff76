package dev.tandem.proxy.cli;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return TandemCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private void assertNoStackTrace() {
    assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  @DisplayName("--version and --help answer and exit 0")
  void versionAndHelp() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("tandem ").doesNotContain("unknown");
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("proxy", "demo", "replay", "verify-db", "dlq");
  }

  @Test
  @DisplayName("a bad flag exits 2 with one line saying what, and no stack trace")
  void badFlag() {
    assertThat(run("--bogus")).isEqualTo(2);
    assertThat(err.toString()).startsWith("tandem: Unknown option: '--bogus'").contains("Try 'tandem --help'");
    assertThat(run("proxy")).isEqualTo(2);
    assertThat(err.toString()).contains("Missing required option: '--config=FILE'");
    assertThat(run("demo", "--duration", "soon")).isEqualTo(2);
    assertThat(err.toString()).contains("'soon' is not a duration");
    assertNoStackTrace();
  }

  @Test
  @DisplayName("a bad configuration exits 2 with one line per problem naming the key")
  void badConfig(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, """
        backends: { legacy: "http://127.0.0.1:9001", candidate: "http://127.0.0.1:9002" }
        routes:
          - name: default
            primary: legacyy
            canary: { backend: candidate, weight: 140 }
        """);
    assertThat(run("proxy", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString().lines()).containsExactly(
        "tandem: " + file + ": 2 problems:",
        "routes[0].primary: unknown backend 'legacyy' (known: legacy, candidate)",
        "routes[0].canary.weight: must be between 0 and 100, got 140");
    assertNoStackTrace();
  }

  @Test
  @DisplayName("a missing configuration file exits 2 naming the file")
  void missingConfig(@TempDir Path dir) {
    assertThat(run("proxy", "--config", dir.resolve("none.yaml").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("none.yaml: no such file");
    assertNoStackTrace();
  }

  @Test
  @DisplayName("--check validates a good configuration and exits 0 without starting")
  void check(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("ok.yaml");
    Files.writeString(file, "backends: { legacy: \"http://127.0.0.1:9001\" }\nroutes: [ { name: r, primary: legacy } ]\n");
    assertThat(run("proxy", "--config", file.toString(), "--check")).isZero();
    assertThat(out.toString()).contains("OK (1 routes, 1 backends)");
  }

  @Test
  @DisplayName("a port already taken is reported in one line, exit 1")
  void portTaken(@TempDir Path dir) throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Path file = dir.resolve("taken.yaml");
      Files.writeString(file, """
          server: { host: 127.0.0.1, port: %d }
          admin: { host: 127.0.0.1, port: 0 }
          backends: { legacy: "http://127.0.0.1:9001" }
          routes: [ { name: r, primary: legacy } ]
          """.formatted(taken.getLocalPort()));
      assertThat(run("proxy", "--config", file.toString())).isEqualTo(1);
      assertThat(err.toString()).startsWith("tandem: cannot start: ").contains("in use");
      assertNoStackTrace();
    }
  }

  @Test
  @DisplayName("dlq list shows undelivered writes; dlq replay sends them once and resolves them")
  void dlq(@TempDir Path dir) throws Exception {
    try (var h = new dev.tandem.proxy.TandemHarness()) {
      java.util.Queue<String> got = new java.util.concurrent.ConcurrentLinkedQueue<>();
      int shadow = h.backend(req -> req.body().onSuccess(b -> {
        got.add(req.getHeader("Idempotency-Key") + " " + b);
        req.response().setStatusCode(201).end();
      })).actualPort();
      Path letters = dir.resolve("dlq.jsonl");
      var letter = new dev.tandem.proxy.mirror.DeadLetter("d-1", java.time.Instant.parse("2026-11-22T10:00:00Z"),
          "default", "candidate", "POST", "/orders", io.vertx.core.MultiMap.caseInsensitiveMultiMap()
          .add("Idempotency-Key", "k-1"), io.vertx.core.buffer.Buffer.buffer("{\"n\":1}"), "k-1", "timeout");
      Files.writeString(letters, letter.toJson().encode() + "\n");
      Path file = dir.resolve("t.yaml");
      Files.writeString(file, """
          backends: { legacy: "http://127.0.0.1:9", candidate: "http://127.0.0.1:%d" }
          routes: [ { name: default, primary: legacy, mirror: { backend: candidate } } ]
          deadLetters: { file: "%s" }
          """.formatted(shadow, letters));
      try (Warnings warnings = new Warnings()) {
        assertThat(run("dlq", "list", "--config", file.toString())).isZero();
        assertThat(out.toString()).contains("d-1", "POST", "/orders", "timeout", "1 dead letters");
        assertThat(run("dlq", "replay", "--config", file.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("give --all or one or more --id");
        assertThat(run("dlq", "replay", "--config", file.toString(), "--all")).as(err::toString).isZero();
        assertThat(out.toString()).contains("1 delivered");
        assertThat(warnings.messages()).as("nothing logged at WARNING, Micrometer's included").isEmpty();
      }
      assertThat(got).containsExactly("k-1 {\"n\":1}");
      assertThat(run("dlq", "list", "--config", file.toString())).isZero();
      assertThat(out.toString()).contains("No dead letters.");
    }
  }

  @Test
  @DisplayName("admin routes, set-weight, rollback, reset and audit call a running Tandem; mistakes exit 1 or 2 in one line")
  void admin() {
    try (var h = new dev.tandem.proxy.TandemHarness()) {
      int backend = h.backend(req -> req.response().end("ok")).actualPort();
      var t = h.tandem("""
          server: { host: 127.0.0.1, port: 0, instances: 1 }
          admin: { host: 127.0.0.1, port: 0, token: %s }
          backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
          routes: [ { name: orders, primary: legacy, canary: { backend: candidate, weight: 0 } } ]
          """.formatted(dev.tandem.proxy.TandemHarness.TOKEN, backend, backend));
      String url = "http://127.0.0.1:" + t.adminPort();
      String token = dev.tandem.proxy.TandemHarness.TOKEN;
      assertThat(run("admin", "set-weight", "--url", url, "--token", token, "orders", "25", "--reason", "ramp"))
          .as(err::toString).isZero();
      assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).isEqualTo(25.0);
      assertThat(run("admin", "routes", "--url", url, "--token", token)).isZero();
      assertThat(out.toString()).contains("orders", "candidate (25.0%)");
      assertThat(run("admin", "rollback", "--url", url, "--token", token, "orders")).isZero();
      assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).isZero();
      assertThat(run("admin", "set-weight", "--url", url, "--token", token, "orders", "40")).isZero();
      assertThat(run("admin", "reset", "--url", url, "--token", token, "orders", "--reason", "file again")).isZero();
      assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).isZero();
      assertThat(run("admin", "audit", "--url", url, "--token", token)).isZero();
      assertThat(out.toString()).contains("admin", "set_weight", "(ramp)", "rollback", "reset", "(file again)");
      assertThat(run("admin", "set-weight", "--url", url, "--token", token, "orders", "140")).isEqualTo(1);
      assertThat(err.toString()).contains("tandem admin: 400 weight must be between 0 and 100, got 140");
      assertThat(run("admin", "set-weight", "--url", url, "--token", "wrong-token", "orders", "1")).isEqualTo(1);
      assertThat(err.toString()).contains("401 invalid bearer token");
      assertThat(run("admin", "routes")).isEqualTo(2);
      assertThat(err.toString()).contains("say where the admin API is");
      assertNoStackTrace();
    }
  }

  /** The keys matching a pattern in the Redis the demo uses by default. */
  private static java.util.List<String> redisKeys(String pattern) throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      var api = io.vertx.redis.client.RedisAPI.api(io.vertx.redis.client.Redis.createClient(vertx, DemoFleet.DEFAULT_URL));
      java.util.List<String> keys = new java.util.ArrayList<>();
      api.keys(pattern).await(10, java.util.concurrent.TimeUnit.SECONDS).forEach(k -> keys.add(k.toString()));
      return keys;
    } finally {
      vertx.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("the demo starts both services and the proxy, sends its burst, and stops after --duration")
  void demo() throws Exception {
    try {
      runDemo();
    } finally {
      // The demo keeps its capture directory for the user to replay; the test's run leaves none behind.
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("tandem replay (\\S*tandem-demo-captures[^/\\s]*)/")
          .matcher(out.toString());
      if (m.find()) {
        try (var files = Files.walk(Path.of(m.group(1)))) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private void runDemo() throws Exception {
    try (Warnings warnings = new Warnings()) {
      assertThat(run("demo", "--port", "0", "--admin-port", "0", "--requests", "30", "--duration", "200ms"))
          .as(err::toString).isZero();
      assertThat(warnings.messages()).as("nothing logged at WARNING, Micrometer's included").isEmpty();
    }
    String printed = out.toString();
    assertThat(printed).contains("legacy", "candidate", "Sent 30 requests through the proxy",
        "The legacy service answered all 30", "received 30 mirrored copies", "(balanced)", "curl",
        "Comparison of legacy and candidate answers", "GET /orders/{id}", "real:  /customer (missing",
        "/customerName (extra",
        "step 1: 10% of users on the candidate", "step 3: 50% of users on the candidate",
        "the candidate starts failing", "rollout rolled back: step 3 at 50%: errorRate failed",
        "canary weight now 0%", "rollout_start", "rollout_rollback  50% -> 0%", "Demo stopped.",
        "): nothing in flight was lost.", "./tandem import ingress-nginx conf/import/ingress-nginx-canary.yaml",
        "Captured the burst (30 exchanges", ".jsonl.gz; replaying it straight to the candidate",
        "30 requests in", "Replay verdict: FAIL (exit code 1): difference rate",
        "Replayed the same file again: the candidate created 0 new orders", "./tandem replay /",
        "HTTP/2 and gRPC: 11 calls of /demo.v1.Orders/GetOrder over h2 (prior knowledge) through the proxy:"
            + " grpc-status 0 x10, grpc-status 5 x1", "POST /demo.v1.Orders/GetOrder  11 compared,   5 differ", "real:  /messages/*/3 (value");
    assertThat(printed).as("the edge refused each hostile request with its status and rule, and closed it")
        .contains("At the edge: requests NGINX also refuses")
        .containsPattern("\n  POST with Content-Length and Transfer-Encoding, a GET smuggled after it +-> 400"
            + " content_length_with_transfer_encoding, connection closed after \\d+ ms\n")
        .containsPattern("\n  Transfer-Encoding: xchunked +-> 501 transfer_encoding_unsupported, connection closed"
            + " after \\d+ ms\n")
        .containsPattern("\n  a head sent one byte every 100 ms \\(slowloris\\) +-> 408 header_timeout, connection"
            + " closed after \\d+ ms\n")
        .containsPattern("\n  a chunked 80 KB upload to /uploads \\(maxBodyBytes 64KB, requestBuffering\\) +-> 413"
            + " body_too_large, connection closed after \\d+ ms\n")
        .contains("The legacy service and the candidate received none of them.")
        .doesNotContain("(not refused!)");
    assertThat(printed).as("the dashboard's address near the start")
        .containsPattern("\n  dashboard  http://127\\.0\\.0\\.1:\\d+/ui/   \\(token: demo-admin-token\\)\n");
    if (dev.tandem.testkit.TestServices.listening(5432)) {
      assertThat(printed).as("the services' rows verified").contains("Database verification (tandem verify-db",
          "tandem_demo_legacy", "value_mismatch reference=", "tax: '", "note: column gift_note has no counterpart",
          "Verdict: ROLLBACK_RECOMMENDED");
    } else {
      assertThat(printed).contains("Database verification: skipped, PostgreSQL does not answer");
    }
    if (dev.tandem.testkit.TestServices.listening(6379)) {
      assertThat(printed).as("three instances, one rollout").contains("Many instances: tandem-1, tandem-2 and tandem-3",
          "canary weight 10% set on tandem-1", "applied on tandem-2 after", "... tandem-1, the driver, is killed at step 2",
          "rollout completed, canary weight 100% on tandem-2 100% and tandem-3 100%", "rollout_takeover  instance")
          .doesNotContain("not within 5 s");
      String prefix = printed.replaceAll("(?s).*\\(keys (tandem-demo-[0-9a-f]+:)\\*\\).*", "$1");
      assertThat(prefix).as("the fleet's key prefix").startsWith("tandem-demo-").hasSizeLessThan(30);
      assertThat(redisKeys(prefix + "*")).as("the demo's keys removed").isEmpty();
    } else {
      assertThat(printed).contains("Many instances: skipped, no Redis answers");
    }
    assertThat(printed).doesNotContainPattern("[1-9][0-9]* failed");
    assertThat(printed).as("the legacy instances' disagreements are noise")
        .containsPattern("GET /orders/\\{id\\}[^\\n]*\\n[^\\n]*real:[^\\n]*\\n\\s*noise:[^\\n]*/servedAt \\(value")
        .containsPattern("GET /orders/\\{id\\}[^\\n]*\\n[^\\n]*real:[^\\n]*\\n\\s*noise:[^\\n]*/traceId \\(value");
  }

  @Test
  @DisplayName("replay sends a .gor to a target, compares with the recorded responses, gives a verdict and exit code;"
      + " the same write replayed twice carries the same Idempotency-Key; a bad file is exit 2 with nothing sent")
  void replay(@TempDir Path dir) throws Exception {
    try (var h = new dev.tandem.proxy.TandemHarness()) {
      java.util.Queue<String> keys = new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicInteger got = new java.util.concurrent.atomic.AtomicInteger();
      int target = h.backend(req -> req.body().onSuccess(b -> {
        got.incrementAndGet();
        if (req.getHeader("Idempotency-Key") != null) {
          keys.add(req.getHeader("Idempotency-Key"));
        }
        req.response().putHeader("Content-Type", "application/json")
            .end(req.path().equals("/orders/2") ? "{\"status\":\"PENDING\"}" : "{\"status\":\"NEW\"}");
      })).actualPort();
      String sep = "\n\uD83D\uDC35\uD83D\uDE48\uD83D\uDE49\n";
      String ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"NEW\"}";
      Path gor = dir.resolve("traffic.gor");
      Files.writeString(gor, "1 r1 1000 0\nGET /orders/1 HTTP/1.1\r\nHost: shop\r\n\r\n" + sep
          + "2 r1 1001 500\n" + ok + sep
          + "1 r2 2000 0\nGET /orders/2 HTTP/1.1\r\nHost: shop\r\n\r\n" + sep
          + "2 r2 2001 500\n" + ok + sep
          + "1 r3 3000 0\nPOST /orders HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}" + sep);
      String url = "http://127.0.0.1:" + target;
      assertThat(run("replay", gor.toString(), "--dry-run")).isZero();
      assertThat(out.toString()).contains("3 requests in 1 file(s)", "{GET=2, POST=1}", "2 with a recorded response");
      assertThat(got.get()).isZero();

      assertThat(run("replay", gor.toString(), "--target", url)).as(err::toString).isEqualTo(1);
      assertThat(out.toString()).contains("Sent 3 requests", "Compared 2 answers with the recorded responses: 1 differ",
          "GET /orders/{id}", "/status", "Verdict: FAIL");
      try (Warnings warnings = new Warnings()) {
        String[] args = dev.tandem.testkit.TestServices.listening(6379)
            ? new String[] {"replay", gor.toString(), "--target", url, "--max-diff-rate", "60", "--idempotency",
                "redis://127.0.0.1:6379"}
            : new String[] {"replay", gor.toString(), "--target", url, "--max-diff-rate", "60"};
        assertThat(run(args)).as(err::toString).isZero();
        assertThat(warnings.messages()).as("nothing logged at WARNING, Micrometer's included").isEmpty();
      }
      assertThat(out.toString()).contains("Verdict: PASS");
      // Recorded answers without a latency (0): no ratio, rather than one against a made-up 1 µs.
      Path untimed = dir.resolve("untimed.gor");
      Files.writeString(untimed, "1 r1 1000 0\nGET /orders/1 HTTP/1.1\r\nHost: shop\r\n\r\n" + sep
          + "2 r1 1001 0\n" + ok + sep);
      out.getBuffer().setLength(0);
      assertThat(run("replay", untimed.toString(), "--target", url)).as(err::toString).isZero();
      assertThat(out.toString()).contains("p99 ratio (target / baseline): n/a (the recorded answers have no timings)")
          .doesNotContainPattern("p99 ratio \\(target / baseline\\): [0-9]");
      assertThat(keys).hasSize(2).as("one write, one key, however often replayed").containsOnly(keys.peek());

      assertThat(run("replay", gor.toString(), "--target", url, "--compare-with", url, "--safe-only")).isZero();
      assertThat(out.toString()).contains("1 writes skipped (--safe-only)");
      int sent = got.get();
      assertThat(run("replay", gor.toString(), "--target", url, "--shard", "1/2", "--max-diff-rate", "100")).isIn(0, 3);
      assertThat(run("replay", gor.toString(), "--target", url, "--shard", "2/2", "--max-diff-rate", "100")).isIn(0, 3);
      assertThat(got.get() - sent).as("two shards together send every record once").isEqualTo(3);
      assertThat(run("replay", gor.toString(), "--dry-run", "--method", "post")).isZero();
      assertThat(out.toString()).contains("1 requests in 1 file(s)", "{POST=1}");
      assertThat(run("replay", gor.toString(), "--dry-run", "--path", "^/orders/2$")).isZero();
      assertThat(out.toString()).contains("{GET=1}");
      assertThat(run("replay", gor.toString(), "--target", url, "--rate", "200", "--max-diff-rate", "100")).isZero();
      assertThat(out.toString()).contains("Send lag against the schedule: p50");
      assertThat(run("replay", gor.toString(), "--dry-run", "--header", "Host: ^sh")).isZero();
      assertThat(out.toString()).as("the POST has no Host").contains("2 requests in 1 file(s)");
      Path json = dir.resolve("report.json");
      Path html = dir.resolve("report.html");
      assertThat(run("replay", gor.toString(), "--target", url, "--report", json.toString(), "--report",
          html.toString())).isEqualTo(1);
      assertThat(new io.vertx.core.json.JsonObject(Files.readString(json)).getString("verdict")).isEqualTo("FAIL");
      assertThat(Files.readString(html)).contains("Replay verdict: <span>FAIL</span>", "GET /orders/{id}");
      Path recorded = dir.resolve("recorded");
      assertThat(run("replay", gor.toString(), "--target", url, "--max-diff-rate", "60", "--record",
          recorded.toString())).isZero();
      assertThat(out.toString()).contains("Recorded 3 exchanges with their answers in " + recorded);
      java.util.List<Path> recordedFiles;
      try (var list = Files.list(recorded)) {
        recordedFiles = list.toList();
      }
      assertThat(recordedFiles).singleElement().asString().matches(".*replay-\\d{8}T\\d{6}Z-0001\\.jsonl\\.gz");
      String lines;
      try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(recordedFiles.get(0)))) {
        lines = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
      dev.tandem.replay.CaptureRecord first = dev.tandem.replay.TandemFormat.decode(lines.lines().skip(1)
          .findFirst().orElseThrow());
      assertThat(first.replayed()).singleElement().satisfies(a -> {
        assertThat(a.backend()).isEqualTo(url);
        assertThat(a.status()).isEqualTo(200);
      });
      assertThat(first.primary().backend()).isEqualTo("recorded");
      assertThat(run("replay", gor.toString(), "--target", url, "--report", dir.resolve("r.txt").toString()))
          .isEqualTo(2);
      assertThat(err.toString()).contains("must end in .json or .html");
      assertThat(run("replay", gor.toString(), "--target", url, "--rewrite-url", "no-colon")).isEqualTo(2);
      assertThat(err.toString()).contains("--rewrite-url must be REGEX:REPLACEMENT");
      assertThat(run("replay", gor.toString(), "--target", url, "--shard", "3/2")).isEqualTo(2);
      assertThat(err.toString()).contains("--shard must be I/N");

      Path bad = dir.resolve("bad.gor");
      Files.writeString(bad, "1 a 1 0\nGET / HTTP/1.1\r\n\r\n" + sep + "9 b 2 0\nGET / HTTP/1.1\r\n\r\n");
      int before = got.get();
      assertThat(run("replay", bad.toString(), "--target", url)).isEqualTo(2);
      assertThat(err.toString()).contains("bad.gor@", "unknown record type '9'", "Nothing was sent");
      assertThat(got.get()).isEqualTo(before);
      assertThat(run("replay", gor.toString())).isEqualTo(2);
      assertThat(err.toString()).contains("say where to send");
      assertNoStackTrace();
    }
  }

  @Test
  @DisplayName("the replay's progress line, when not on a terminal, is a plain line with done/total, rate, errors"
      + " and ETA")
  void progressLine() {
    java.io.StringWriter text = new java.io.StringWriter();
    dev.tandem.replay.Replayer.Progress p = new dev.tandem.replay.Replayer.Progress();
    ProgressLine line = new ProgressLine(new java.io.PrintWriter(text), p, 10, ProgressLine.Mode.PLAIN);
    line.print();
    assertThat(text.toString()).startsWith("replay: 0/10 (0%)").contains("req/s", "0 errors", "ETA").endsWith("\n")
        .doesNotContain("\r");
  }
}
