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
  @DisplayName("with original timing no request leaves before its due time (start + offset / speed), in order; the"
      + " warm-up never reaches the target")
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
    Replayer r = new Replayer(vertx, Replayer.Options.of(URI.create("http://127.0.0.1:" + server.actualPort()), null, 4)
        .withPacing(new Replayer.Pacing(2, 0)));
    long start = System.nanoTime();
    Replayer.Result result = r.run(plan).await(30, TimeUnit.SECONDS);
    assertThat(result.sent()).isEqualTo(10);
    for (int i = 0; i < 10; i++) {
      long due = start + i * 30_000_000L; // 60 ms at speed 2
      assertThat(arrived.get("/r/p" + i)).as("p%d not early", i).isGreaterThanOrEqualTo(due);
    }
    for (int i = 1; i < 10; i++) {
      assertThat(arrived.get("/r/p" + i)).isGreaterThan(arrived.get("/r/p" + (i - 1)));
    }
    assertThat(result.lag().getLong("samples")).as("the lag of every send measured").isEqualTo(10);
    assertThat(arrived).as("the warm-up before the clock goes to a sink of the replayer's own, never the target")
        .hasSize(10).doesNotContainKey("/warm-up");
    r.close().await(10, TimeUnit.SECONDS);
  }

  private static Map.Entry<String, String> h(String name, String value) {
    return new java.util.AbstractMap.SimpleImmutableEntry<>(name, value);
  }

  private static CapturedExchange post(String file, String id, String uri) {
    return new CapturedExchange(file + "@" + id, id, 0, "POST", uri, List.of(h("Host", "shop"),
        h("X-Drop", "secret"), h("Content-Type", "application/json")), "{}".getBytes(), null);
  }

  private HttpServer server(io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> h) throws Exception {
    return vertx.createHttpServer().requestHandler(h).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("each target gets its own rewrites: headers removed and set, the URL rewritten, the Host replaced;"
      + " the sides are named by the URL of the target that answered")
  void rewritesPerTarget() throws Exception {
    Map<Integer, io.vertx.core.MultiMap> headers = new ConcurrentHashMap<>();
    Map<Integer, String> uris = new ConcurrentHashMap<>();
    HttpServer a = server(req -> {
      headers.put(1, req.headers());
      uris.put(1, req.uri());
      req.response().end("{\"v\":1}");
    });
    HttpServer b = server(req -> {
      headers.put(2, req.headers());
      uris.put(2, req.uri());
      req.response().end("{\"v\":2}");
    });
    URI ua = URI.create("http://127.0.0.1:" + a.actualPort());
    URI ub = URI.create("http://127.0.0.1:" + b.actualPort());
    TargetRewrite forA = new TargetRewrite(List.of(h("X-Env", "candidate")), Set.of("x-drop"),
        List.of(new TargetRewrite.UrlRule(java.util.regex.Pattern.compile("^/v1/(.*)"), "/v2/$1")), "api.internal");
    Replayer r = new Replayer(vertx, Replayer.Options.of(ua, ub, 2).withRewrites(forA, TargetRewrite.NONE));
    Replayer.Result result = r.run(List.of(post("cap.gor", "w1", "/v1/orders?x=1"))).await(30, TimeUnit.SECONDS);
    assertThat(uris).containsEntry(1, "/v2/orders?x=1").containsEntry(2, "/v1/orders?x=1");
    assertThat(headers.get(1).get("X-Env")).isEqualTo("candidate");
    assertThat(headers.get(1).get("X-Drop")).isNull();
    assertThat(headers.get(1).get("Host")).isEqualTo("api.internal:" + a.actualPort());
    assertThat(headers.get(2).get("X-Drop")).isEqualTo("secret");
    assertThat(headers.get(2).get("Host")).isEqualTo("127.0.0.1:" + b.actualPort());
    assertThat(headers.get(1).get("Idempotency-Key")).isEqualTo(headers.get(2).get("Idempotency-Key")).isNotNull();
    assertThat(result.compared()).isEqualTo(1);
    assertThat(result.differing()).isEqualTo(1);
    assertThat(result.samples()).singleElement().satisfies(sample -> {
      assertThat(sample.getString("primary")).isEqualTo(ub.toString());
      assertThat(sample.getString("candidate")).isEqualTo(ua.toString());
    });
    r.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("with a Redis idempotency store, replaying the same capture twice delivers each write once per"
      + " target; the second run counts them as already delivered, except a write answered 5xx, sent again")
  void writesOnceOverRedis() throws Exception {
    Map<String, Integer> delivered = new ConcurrentHashMap<>();
    HttpServer target = server(req -> req.body().onSuccess(b -> {
      int n = delivered.merge(req.uri(), 1, Integer::sum);
      // /orders/19 fails the first time: a 5xx may not have written, so its key must be free for the next run
      req.response().setStatusCode(req.uri().equals("/orders/19") && n == 1 ? 503 : 201).end();
    }));
    String file = "orders-" + java.util.UUID.randomUUID() + ".gor"; // keys of earlier runs do not apply
    List<CapturedExchange> capture = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      capture.add(post(file, "w" + i, "/orders/" + i));
    }
    capture.add(get("read", 0));
    dev.tandem.idempotency.RedisIdempotencyStore store = new dev.tandem.idempotency.RedisIdempotencyStore(vertx,
        dev.tandem.testkit.TestServices.redisUrl(), "test:");
    Replayer.Options o = Replayer.Options.of(URI.create("http://127.0.0.1:" + target.actualPort()), null, 8)
        .withIdempotency(store, java.time.Duration.ofMinutes(5));
    for (int run = 1; run <= 2; run++) {
      Replayer r = new Replayer(vertx, o);
      Replayer.Result result = r.run(capture).await(30, TimeUnit.SECONDS);
      assertThat(result.duplicates()).as("run %d", run).isEqualTo(run == 1 ? 0 : 19);
      assertThat(result.sent()).as("run %d", run).isEqualTo(run == 1 ? 21 : 2);
      r.close().await(10, TimeUnit.SECONDS);
    }
    assertThat(delivered).hasSize(21).allSatisfy((uri, n) -> assertThat(n).as(uri).isEqualTo(uri.startsWith("/r/")
        || uri.equals("/orders/19") ? 2 : 1));
    store.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("the capture is read a bounded distance ahead of a target that does not answer: memory stays bounded")
  void readAheadIsBounded() throws Exception {
    java.util.concurrent.atomic.AtomicLong pulled = new java.util.concurrent.atomic.AtomicLong();
    ExchangeSource endless = new ExchangeSource() {
      @Override
      public CapturedExchange next() {
        long n = pulled.incrementAndGet();
        return get("e" + n, n);
      }

      @Override
      public void close() {
      }
    };
    HttpServer silent = server(req -> { }); // holds every request
    Replayer r = new Replayer(vertx, Replayer.Options.of(URI.create("http://127.0.0.1:" + silent.actualPort()),
        null, 4).withTimeout(java.time.Duration.ofSeconds(60)));
    r.run(endless, e -> true);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long last = -1;
    while (System.nanoTime() < deadline) { // until the reader stops pulling
      long now = pulled.get();
      if (now == last && now > 4000) {
        break;
      }
      last = now;
      Thread.onSpinWait();
      TimeUnit.MILLISECONDS.sleep(50); // polling interval, not a wait for an outcome
    }
    assertThat(pulled.get()).as("read-ahead of 4096 records plus the 4 in flight")
        .isGreaterThan(4000).isLessThanOrEqualTo(4096 + 4 + 2);
    r.close().await(10, TimeUnit.SECONDS); // stops the reader
  }

  @Test
  @DisplayName("verdicts: a slower target fails the p99 gate, a regression on one endpoint asks for review, a"
      + " clean run passes; JSON and HTML reports carry the verdict, endpoints and latency")
  void verdictsAndReports() throws Exception {
    HttpServer fast = server(req -> req.response().end("{\"v\":1}"));
    // 150 ms slower: far beyond what a cold start adds to the fast side's p99 (a first connection, class loading),
    // which at 40 ms once made the p99 gate pass on a fresh JVM.
    HttpServer slow = server(req -> vertx.setTimer(150, t -> req.response().end("{\"v\":1}")));
    URI uf = URI.create("http://127.0.0.1:" + fast.actualPort());
    URI us = URI.create("http://127.0.0.1:" + slow.actualPort());
    List<CapturedExchange> reads = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      reads.add(get(Integer.toString(1000 + i), i));
    }
    Replayer warm = new Replayer(vertx, Replayer.Options.of(uf, uf, 8)); // warms up both the code and the servers
    warm.run(reads).await(30, TimeUnit.SECONDS);
    warm.close().await(10, TimeUnit.SECONDS);
    Replayer r = new Replayer(vertx, Replayer.Options.of(us, uf, 8));
    Replayer.Result slower = r.run(reads).await(30, TimeUnit.SECONDS);
    r.close().await(10, TimeUnit.SECONDS);
    Verdict v = Verdict.judge(slower, Verdict.Thresholds.DEFAULT);
    assertThat(v.decision()).isEqualTo(Verdict.Decision.FAIL);
    assertThat(v.reasons()).anyMatch(x -> x.contains("p99"));

    Replayer same = new Replayer(vertx, Replayer.Options.of(uf, uf, 8));
    Replayer.Result clean = same.run(reads).await(30, TimeUnit.SECONDS);
    same.close().await(10, TimeUnit.SECONDS);
    Verdict pass = Verdict.judge(clean, new Verdict.Thresholds(5, 1, 100));
    assertThat(pass.decision()).isEqualTo(Verdict.Decision.PASS);
    assertThat(pass.decision().exitCode()).isZero();

    io.vertx.core.json.JsonObject report = ReplayReport.json(slower, v, Verdict.Thresholds.DEFAULT,
        new io.vertx.core.json.JsonObject().put("target", us.toString()).put("baseline", uf.toString())
            .put("files", List.of("cap.gor")), List.of("cap.gor@7: unknown record type '9'"));
    assertThat(report.getString("verdict")).isEqualTo("FAIL");
    assertThat(report.getJsonObject("totals").getLong("sent")).isEqualTo(30);
    assertThat(report.getJsonObject("latency").getJsonObject(us.toString()).getDouble("p99Millis"))
        .isGreaterThan(report.getJsonObject("latency").getJsonObject(uf.toString()).getDouble("p99Millis"));
    assertThat(report.getJsonArray("endpoints").getJsonObject(0).getString("endpoint")).isEqualTo("GET /r/{id}");
    String html = ReplayReport.html(report);
    assertThat(html).startsWith("<!DOCTYPE html>").contains("Replay verdict: <span>FAIL</span>", "GET /r/{id}",
        "unknown record type &#39;9&#39;").doesNotContain("<script", "http-equiv", "<link");
  }

  @Test
  @DisplayName("with a secondary instance of the baseline, fields on which the two baseline instances disagree are"
      + " noise, not differences; a field only the target changes stays a difference")
  void secondaryCancelsNoise() throws Exception {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> legacy = req -> req.response()
        .end("{\"status\":\"NEW\",\"servedAt\":" + n.incrementAndGet() + "}");
    HttpServer baseline = server(legacy);
    HttpServer secondary = server(legacy);
    HttpServer target = server(req -> req.response().end("{\"status\":\"" + (req.path().endsWith("/1007") ? "PENDING"
        : "NEW") + "\",\"servedAt\":" + n.incrementAndGet() + "}"));
    List<CapturedExchange> reads = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      reads.add(get(Integer.toString(1000 + i), i));
    }
    Replayer r = new Replayer(vertx, Replayer.Options.of(URI.create("http://127.0.0.1:" + target.actualPort()),
        URI.create("http://127.0.0.1:" + baseline.actualPort()), 4)
        .withSecondary(URI.create("http://127.0.0.1:" + secondary.actualPort())));
    Replayer.Result result = r.run(reads).await(30, TimeUnit.SECONDS);
    r.close().await(10, TimeUnit.SECONDS);
    assertThat(result.compared()).isEqualTo(10);
    assertThat(result.noise()).isEqualTo(9);
    assertThat(result.differing()).as("only /r/1007's status is real").isEqualTo(1);
  }
}
