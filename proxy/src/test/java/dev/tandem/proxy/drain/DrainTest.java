package dev.tandem.proxy.drain;

import dev.tandem.proxy.TandemHarness;
import dev.tandem.proxy.mirror.DeadLetter;
import dev.tandem.testkit.OwnDatabases;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM under load, to a real {@code tandem proxy} process: readiness turns 503 first, a client that stops
 * sending when it sees that (as a load balancer does) gets every answer, the mirror copies in flight land, the
 * capture file is complete, the dead letters and the comparator's writes are flushed, and the process exits 0.
 */
class DrainTest {

  /** Each write its own order, so that none is an idempotent duplicate of another. */
  private static final AtomicInteger ORDERS = new AtomicInteger();

  private final TandemHarness h = new TandemHarness();
  private final java.util.concurrent.atomic.AtomicLong signalledAt = new java.util.concurrent.atomic.AtomicLong();
  private final AtomicInteger answeredAfterListenerStopped = new AtomicInteger();
  private Process process;

  @AfterEach
  void close() {
    if (process != null) {
      process.destroyForcibly();
    }
    h.close();
  }

  @Test
  @DisplayName("SIGTERM under load: readiness 503 first, every request answered, every mirror copy delivered, the"
      + " capture file complete, the mirror ledger balanced, exit 0")
  void sigtermUnderLoad(@TempDir Path dir) throws Exception {
    AtomicInteger primaryGot = new AtomicInteger();
    AtomicInteger shadowGot = new AtomicInteger();
    // Answers take longer than the drain's delay (500 ms) on both sides, so that requests and mirror copies are
    // still in flight when the listener stops.
    int primary = h.backend(req -> req.body().onSuccess(b -> {
      primaryGot.incrementAndGet();
      h.vertx.setTimer(700, id -> req.response().putHeader("Content-Type", "application/json").end("{\"ok\":true}"));
    })).actualPort();
    int shadow = h.backend(req -> req.body().onSuccess(b -> {
      shadowGot.incrementAndGet();
      h.vertx.setTimer(900, id -> req.response().putHeader("Content-Type", "application/json").end("{\"ok\":true}"));
    })).actualPort();
    Path captures = dir.resolve("captures");
    Proxy proxy = start(dir, """
        server: { host: 127.0.0.1, port: 0, instances: 2, shutdown: { delay: 500ms, timeout: 20s } }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, percent: 100, compare: true }
        capture: { enabled: true, dir: "%s" }
        deadLetters: { store: file, file: "%s" }
        """.formatted(TandemHarness.TOKEN, primary, shadow, captures, dir.resolve("dead-letters.jsonl")));
    Load load = sigtermUnderLoad(proxy, 40);
    String output = proxy.exitedCleanly();

    assertThat(load.outcomes).as("every request answered 200, none refused or cut; printed: " + output)
        .containsOnlyKeys("200");
    int total = load.outcomes.get("200").get();
    assertThat(total).isGreaterThan(load.beforeSignal);
    assertThat(answeredAfterListenerStopped.get()).as("answers given after the listener stopped (500 ms after the"
        + " signal): the drain waited for them").isPositive();
    assertThat(load.readinessSeen).as("readiness said why").isNotEmpty().allMatch(s -> s.contains("draining"));
    assertThat(primaryGot.get()).isEqualTo(total);
    JsonObject ledger = proxy.ledger("orders");
    assertThat(ledger.getBoolean("balanced")).isTrue();
    assertThat(ledger.getLong("in_flight")).isZero();
    assertThat(ledger.getLong("eligible")).as(ledger.encode()).isEqualTo(total);
    assertThat(ledger.getLong("delivered")).as(ledger.encode()).isEqualTo(total);
    assertThat(shadowGot.get()).as("every mirror copy reached the shadow").isEqualTo(total);

    List<Path> files;
    try (var list = Files.list(captures)) {
      files = list.filter(f -> f.toString().endsWith(".jsonl.gz")).toList();
    }
    long records = 0;
    for (Path f : files) { // an incomplete gzip stream would end in an EOFException here
      try (var in = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)),
          StandardCharsets.UTF_8))) {
        records += in.lines().filter(l -> !l.isBlank()).count() - 1; // the first line describes the file
      }
    }
    assertThat(records).as("every exchange in a complete capture file").isEqualTo(total);
    try (var list = Files.list(dir)) {
      assertThat(list.map(p -> p.getFileName().toString())).as("nothing dead-lettered, nothing left behind")
          .containsExactlyInAnyOrder("tandem.yaml", "captures", "out.txt");
    }
  }

  @Test
  @DisplayName("SIGTERM under load with a shadow refusing writes: after exit 0 the dead-letter file holds every"
      + " refused write, and PostgreSQL every comparison the ledger settled and a sample of each differing one")
  void sigtermFlushesDeadLettersAndComparisons(@TempDir Path dir) throws Exception {
    // The comparator's counts are written every 5 s and at close; a run this short leaves the last ones to close.
    try (OwnDatabases databases = new OwnDatabases()) {
      String comparatorDb = databases.create("drain_comparator");
      Set<Integer> refused = ConcurrentHashMap.newKeySet();
      AtomicInteger shadowGot = new AtomicInteger();
      int primary = h.backend(req -> req.body().onSuccess(b -> h.vertx.setTimer(300, id -> req.response()
          .putHeader("Content-Type", "application/json").end("{\"ok\":true}")))).actualPort();
      // Every third write refused with a 503: dead-lettered, and compared as a difference. The answers are slow, so
      // that copies are still in flight, and dead letters still to be written, when the signal comes.
      int shadow = h.backend(req -> req.body().onSuccess(b -> {
        shadowGot.incrementAndGet();
        int order = req.method() == HttpMethod.POST ? order(b.toString()) : 0;
        boolean refuse = order % 3 == 1;
        if (refuse) {
          refused.add(order);
        }
        h.vertx.setTimer(400, id -> req.response().setStatusCode(refuse ? 503 : 200)
            .putHeader("Content-Type", "application/json").end(refuse ? "{\"error\":\"refused\"}" : "{\"ok\":true}"));
      })).actualPort();
      Path deadLetters = dir.resolve("dead-letters.jsonl");
      Proxy proxy = start(dir, """
          server: { host: 127.0.0.1, port: 0, instances: 2, shutdown: { delay: 500ms, timeout: 20s } }
          admin: { host: 127.0.0.1, port: 0, token: %s }
          backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
          routes:
            - name: orders
              primary: legacy
              mirror: { backend: candidate, percent: 100, compare: true }
          deadLetters: { store: file, file: "%s" }
          comparator: { store: postgres, postgres: "%s" }
          """.formatted(TandemHarness.TOKEN, primary, shadow, deadLetters, comparatorDb));
      Load load = sigtermUnderLoad(proxy, 40);
      String output = proxy.exitedCleanly();

      assertThat(load.outcomes).as("printed: " + output).containsOnlyKeys("200");
      int total = load.outcomes.get("200").get();
      JsonObject ledger = proxy.ledger("orders");
      assertThat(ledger.getBoolean("balanced")).as(ledger.encode()).isTrue();
      assertThat(ledger.getLong("sent")).as(ledger.encode()).isEqualTo(total).isEqualTo(shadowGot.get());
      assertThat(refused).as("some writes refused").isNotEmpty();
      assertThat(ledger.getLong("dead_lettered")).as(ledger.encode()).isEqualTo(refused.size());
      assertThat(ledger.getLong("delivered")).as(ledger.encode()).isEqualTo(total - refused.size());

      List<DeadLetter> letters = Files.readAllLines(deadLetters).stream().filter(l -> !l.isBlank())
          .map(l -> DeadLetter.fromJson(new JsonObject(l))).toList();
      assertThat(letters).as("dead letters").allSatisfy(d -> {
        assertThat(d.method()).isEqualTo("POST");
        assertThat(d.reason()).isEqualTo("shadow answered 503");
        assertThat(d.idempotencyKey()).isNotBlank();
      });
      assertThat(letters).extracting(d -> order(d.body().toString())).as("the refused orders")
          .containsExactlyInAnyOrderElementsOf(refused);

      Pool db = PgBuilder.pool().connectingTo(comparatorDb).using(h.vertx).build();
      try {
        long compared = TandemHarness.await(db.query("SELECT coalesce(sum(compared), 0) FROM tandem_diff_counts"
            + " WHERE field = ''").execute()).iterator().next().getLong(0);
        assertThat(compared).as("comparisons counted in PostgreSQL, against the ledger " + ledger.encode())
            .isEqualTo(ledger.getLong("delivered") + ledger.getLong("dead_lettered"));
        List<Integer> sampled = new ArrayList<>();
        for (var row : TandemHarness.await(db.query("SELECT sample::text FROM tandem_diff_samples").execute())) {
          sampled.add(order(new JsonObject(row.getString(0)).getJsonObject("request").getString("body")));
        }
        assertThat(sampled).as("a sample of each differing exchange").containsExactlyInAnyOrderElementsOf(refused);
      } finally {
        TandemHarness.await(db.close());
      }
    }
  }

  @Test
  @DisplayName("while draining every answer, a 200 or Tandem's own 404, says Connection: close and its connection"
      + " is closed; readiness says draining")
  void connectionCloseWhileDraining() throws Exception {
    int backend = h.backend(req -> req.response().end("ok")).actualPort();
    dev.tandem.proxy.Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, shutdown: { delay: 3s, timeout: 5s } }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, match: { pathPrefix: /orders }, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, backend));
    Future<dev.tandem.proxy.Tandem.Drained> drained = t.drain();
    for (String path : List.of("/orders/1", "/nowhere")) {
      try (var raw = new dev.tandem.proxy.RawHttp(t.port())) {
        raw.sendRaw("GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n");
        String answer = raw.readToEnd(); // ends: the connection was closed after the answer
        assertThat(answer).as(path).containsIgnoringCase("connection: close")
            .startsWith(path.equals("/nowhere") ? "HTTP/1.1 404" : "HTTP/1.1 200");
      }
    }
    assertThat(h.admin(t, HttpMethod.GET, "/health/ready", null).status()).isEqualTo(503);
    assertThat(TandemHarness.await(drained).clean()).isTrue();
  }

  @Test
  @DisplayName("an open WebSocket is closed when the listener stops, counted apart, and does not hold the drain")
  void webSocketClosed() throws Exception {
    io.vertx.core.http.HttpServer backend = TandemHarness.await(h.vertx.createHttpServer()
        .webSocketHandler(ws -> ws.handler(buf -> ws.writeTextMessage("echo: " + buf)))
        .listen(0, "127.0.0.1"));
    dev.tandem.proxy.Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, shutdown: { timeout: 10s } }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, backend.actualPort()));
    io.vertx.core.http.WebSocketClient client = h.vertx.createWebSocketClient();
    Promise<String> reply = Promise.promise();
    Promise<Void> closed = Promise.promise();
    h.call(() -> client.connect(t.port(), "127.0.0.1", "/chat").onSuccess(ws -> {
      ws.textMessageHandler(reply::tryComplete);
      ws.closeHandler(v -> closed.tryComplete());
      ws.writeTextMessage("hello");
    }));
    assertThat(TandemHarness.await(reply.future())).isEqualTo("echo: hello");
    dev.tandem.proxy.Tandem.Drained d = TandemHarness.await(t.drain());
    assertThat(d.tunnelsClosed()).isEqualTo(1);
    assertThat(d.clean()).as(d.toString()).isTrue();
    assertThat(d.millis()).as("not held to the 10 s deadline").isLessThan(5_000);
    TandemHarness.await(closed.future());
    client.close();
  }

  @Test
  @DisplayName("a request the backend never answers is cut at server.shutdown.timeout, and the drain says so")
  void deadlineCuts() {
    AtomicBoolean reached = new AtomicBoolean();
    int stuck = h.backend(req -> reached.set(true)).actualPort(); // never answers
    dev.tandem.proxy.Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, shutdown: { timeout: 300ms } }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, stuck));
    Future<Integer> pending = h.onContext(() -> h.client().request(new RequestOptions().setPort(t.port())
        .setHost("127.0.0.1").setURI("/slow")).compose(r -> r.send()).map(r -> r.statusCode()));
    eventually("the request reached the backend", reached::get);
    dev.tandem.proxy.Tandem.Drained d = TandemHarness.await(t.drain());
    assertThat(d.clean()).isFalse();
    assertThat(d.connectionsCut()).isEqualTo(1);
    assertThat(d.millis()).isGreaterThanOrEqualTo(300);
    eventually("the client saw its connection closed", () -> pending.failed());
  }

  /** A {@code tandem proxy} child process, its ports and what it printed. */
  private record Proxy(Process process, Path out, int port, int admin) {

    List<String> printed() {
      try {
        return Files.readAllLines(out);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /** Waits for the exit, asserts it was 0 after a clean drain, and answers what the process printed. */
    String exitedCleanly() throws InterruptedException {
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited within the deadline").isTrue();
      String output = String.join("\n", printed());
      assertThat(process.exitValue()).as(output).isZero();
      assertThat(output).contains("SIGTERM: draining", "nothing in flight was lost");
      return output;
    }

    /** The mirror ledger of {@code route} as the drain printed it. */
    JsonObject ledger(String route) {
      String prefix = "tandem: mirror ledger of " + route + ": ";
      String line = printed().stream().filter(l -> l.startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError("no ledger printed: " + printed()));
      return new JsonObject(line.substring(prefix.length()));
    }
  }

  /** Starts {@code tandem proxy} with this configuration in a JVM of its own, once it says where it listens. */
  private Proxy start(Path dir, String yaml) throws Exception {
    Path config = Files.writeString(dir.resolve("tandem.yaml"), yaml);
    Path out = dir.resolve("out.txt");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.tandem.proxy.Main",
        "proxy", "--config", config.toString())
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    Proxy unstarted = new Proxy(process, out, 0, 0);
    Pattern started = Pattern.compile("proxy on http://127\\.0\\.0\\.1:(\\d+), admin on http://127\\.0\\.0\\.1:(\\d+)");
    eventually("the proxy starts", () -> unstarted.printed().stream().anyMatch(l -> started.matcher(l).find())
        || !process.isAlive());
    Matcher m = unstarted.printed().stream().map(started::matcher).filter(Matcher::find).findFirst().orElseThrow(
        () -> new AssertionError("the proxy did not start: " + unstarted.printed()));
    return new Proxy(process, out, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  /** What the clients saw: answers by outcome, how many before the signal, and readiness's 503s. */
  private record Load(Map<String, AtomicInteger> outcomes, int beforeSignal, List<String> readinessSeen) {
  }

  /**
   * 16 keep-alive clients and a load balancer polling readiness; SIGTERM once {@code answers} requests were answered;
   * returns when every client has stopped, which each does after the balancer saw readiness turn 503.
   */
  private Load sigtermUnderLoad(Proxy proxy, int answers) {
    HttpClientAgent client = h.vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(16));
    AtomicBoolean outOfService = new AtomicBoolean();
    Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    AtomicInteger answered = new AtomicInteger();
    List<String> readinessSeen = new CopyOnWriteArrayList<>();
    // The load balancer: takes the instance out of service at the first 503 from readiness.
    long poller = h.vertx.setPeriodic(20, id -> client.request(new RequestOptions().setPort(proxy.admin)
            .setHost("127.0.0.1").setURI("/health/ready"))
        .compose(r -> r.send().compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b)))
        .onSuccess(s -> {
          if (s.startsWith("503")) {
            readinessSeen.add(s);
            outOfService.set(true);
          }
        }));
    Promise<Void> loadDone = Promise.promise();
    AtomicInteger running = new AtomicInteger(16);
    h.vertx.runOnContext(v -> {
      for (int c = 0; c < 16; c++) {
        int clientNo = c;
        loop(client, proxy.port, clientNo, outOfService, outcomes, answered, running, loadDone);
      }
    });
    eventually("some load through the proxy", () -> answered.get() >= answers);
    int beforeSignal = answered.get();
    signalledAt.set(System.nanoTime());
    proxy.process.destroy(); // SIGTERM
    TandemHarness.await(loadDone.future());
    h.vertx.cancelTimer(poller);
    return new Load(outcomes, beforeSignal, readinessSeen);
  }

  /** The order number of a write's body, {"sku":"A","n":7}. */
  private static int order(String body) {
    return new JsonObject(body).getInteger("n");
  }

  /** One client: a request after another, until the balancer has taken the instance out of service. */
  private void loop(HttpClientAgent client, int port, int clientNo, AtomicBoolean outOfService,
                           Map<String, AtomicInteger> outcomes, AtomicInteger answered, AtomicInteger running,
                           Promise<Void> done) {
    if (outOfService.get()) {
      if (running.decrementAndGet() == 0) {
        done.complete();
      }
      return;
    }
    boolean write = answered.get() % 5 == clientNo % 5;
    RequestOptions o = new RequestOptions().setPort(port).setHost("127.0.0.1").setIdleTimeout(15_000)
        .setMethod(write ? HttpMethod.POST : HttpMethod.GET).setURI(write ? "/orders" : "/orders/" + clientNo)
        .putHeader("X-User-Id", "u" + clientNo);
    Future<String> sent = client.request(o)
        .compose(req -> write ? req.send("{\"sku\":\"A\",\"n\":" + ORDERS.incrementAndGet() + "}") : req.send())
        .compose(resp -> resp.body().map(b -> String.valueOf(resp.statusCode())));
    sent.onComplete(ar -> {
      long signalled = signalledAt.get();
      if (signalled != 0 && System.nanoTime() - signalled > TimeUnit.MILLISECONDS.toNanos(600)) {
        answeredAfterListenerStopped.incrementAndGet();
      }
      String outcome = ar.succeeded() ? ar.result() : "error: " + ar.cause();
      outcomes.computeIfAbsent(outcome, k -> new AtomicInteger()).incrementAndGet();
      answered.incrementAndGet();
      loop(client, port, clientNo, outOfService, outcomes, answered, running, done);
    });
  }
}
