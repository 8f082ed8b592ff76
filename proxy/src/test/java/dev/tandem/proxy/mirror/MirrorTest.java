package dev.tandem.proxy.mirror;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.OwnRedis;
import dev.tandem.testkit.TestServices;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

class MirrorTest {

  @TempDir
  Path dir;

  private final TandemHarness h = new TandemHarness();
  private final Queue<Seen> shadowSaw = new ConcurrentLinkedQueue<>();

  private record Seen(String method, String uri, MultiMap headers, String body) {
  }

  @AfterEach
  void close() {
    h.close();
  }

  /** The primary: answers "primary <method> <uri>", or the status in an X-Status request header. */
  private int primary() {
    return h.backend(req -> req.body().onSuccess(b -> req.response()
        .setStatusCode(Integer.parseInt(req.headers().get("X-Status") == null ? "200" : req.getHeader("X-Status")))
        .end("primary " + req.method() + " " + req.uri()))).actualPort();
  }

  /** A shadow that records what it got and answers {@code status}. */
  private int shadow(int status) {
    return h.backend(req -> req.body().onSuccess(b -> {
      shadowSaw.add(new Seen(req.method().name(), req.uri(),
          MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), b.toString()));
      req.response().setStatusCode(status).end("shadow answer");
    })).actualPort();
  }

  private Tandem tandem(int primary, int shadow, String mirrorExtra, String idempotency) {
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: default
            primary: legacy
            mirror: { backend: candidate, percent: 100 %s }
        deadLetters: { file: "%s" }
        %s
        """.formatted(TandemHarness.TOKEN, primary, shadow, mirrorExtra, dir.resolve("dlq.jsonl"), idempotency));
  }

  private String call(Tandem t, HttpMethod method, String uri, String body, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(t.port()).setURI(uri);
    for (int i = 0; i < headers.length; i += 2) {
      o.addHeader(headers[i], headers[i + 1]);
    }
    return h.call(() -> h.client().request(o).compose(r -> body == null ? r.send() : r.send(body))
        .compose(r -> r.body().map(b -> r.statusCode() + " " + b)));
  }

  private MirrorLedger ledger(Tandem t) {
    return t.mirroring().ledgers().get("default");
  }

  private void settled(Tandem t, long eligible) {
    // Balanced with nothing in flight: every eligible copy has reached its final outcome.
    eventually("the ledger settles at " + eligible + " copies: " + ledger(t).snapshot().encode(),
        () -> ledger(t).get(Outcome.ELIGIBLE) == eligible && ledger(t).inFlight() == 0
            && ledger(t).snapshot().getBoolean("balanced"));
  }

  @Test
  @DisplayName("a GET is copied to the shadow with the shadow headers; the client gets only the primary's answer")
  void mirrorsRead() {
    Tandem t = tandem(primary(), shadow(200), "", "");
    assertThat(call(t, HttpMethod.GET, "/orders/7?x=1", null, "Host", "shop.example.com"))
        .isEqualTo("200 primary GET /orders/7?x=1");
    eventually("the shadow got the copy", () -> shadowSaw.size() == 1);
    Seen s = shadowSaw.peek();
    assertThat(s.uri()).isEqualTo("/orders/7?x=1");
    assertThat(s.headers().get("X-Shadow-Request")).isEqualTo("true");
    assertThat(s.headers().get("X-Original-Host")).isEqualTo("shop.example.com");
    assertThat(s.headers().get("X-Original-URI")).isEqualTo("/orders/7?x=1");
    assertThat(s.headers().get("X-Original-Method")).isEqualTo("GET");
    assertThat(s.headers().get("X-Original-Remote-Addr")).isEqualTo("127.0.0.1");
    assertThat(s.headers().get("Idempotency-Key")).isNull();
    settled(t, 1);
    assertThat(ledger(t).get(Outcome.DELIVERED)).isEqualTo(1);
  }

  @Test
  @DisplayName("rewrite gives the shadow another path prefix and query; the primary and X-Original-URI keep theirs")
  void rewrite() {
    Tandem t = tandem(primary(), shadow(200), """
        , rewrite: { pathPrefix: { from: /api/v1, to: /api/v2 }, setQuery: { version: "2" }, removeQuery: [debug] }""",
        "");
    assertThat(call(t, HttpMethod.GET, "/api/v1/orders/7?x=1&debug=true&version=1&y=%20", null))
        .isEqualTo("200 primary GET /api/v1/orders/7?x=1&debug=true&version=1&y=%20");
    assertThat(call(t, HttpMethod.GET, "/api/v10/orders", null)).startsWith("200");
    eventually("the shadow got both copies", () -> shadowSaw.size() == 2);
    Seen s = shadowSaw.poll();
    assertThat(s.uri()).isEqualTo("/api/v2/orders/7?x=1&y=%20&version=2");
    assertThat(s.headers().get("X-Original-URI")).isEqualTo("/api/v1/orders/7?x=1&debug=true&version=1&y=%20");
    assertThat(shadowSaw.poll().uri()).as("/api/v10 is not under /api/v1").isEqualTo("/api/v10/orders?version=2");
  }

  @Test
  @DisplayName("a write is copied after the primary answered 2xx, with its body and an Idempotency-Key")
  void mirrorsWriteAfterPrimary() {
    Tandem t = tandem(primary(), shadow(201), ", stripHeaders: [Authorization], setHeaders: { X-Env: shadow }", "");
    assertThat(call(t, HttpMethod.POST, "/orders", "{\"sku\":\"A\"}", "Authorization", "Bearer secret"))
        .isEqualTo("200 primary POST /orders");
    eventually("the shadow got the write", () -> shadowSaw.size() == 1);
    Seen s = shadowSaw.peek();
    assertThat(s.body()).isEqualTo("{\"sku\":\"A\"}");
    assertThat(s.headers().get("Idempotency-Key")).isNotBlank();
    assertThat(s.headers().get("Authorization")).isNull();
    assertThat(s.headers().get("X-Env")).isEqualTo("shadow");

    assertThat(call(t, HttpMethod.POST, "/orders", "{}", "X-Status", "500")).startsWith("500 ");
    settled(t, 2);
    assertThat(ledger(t).get(Outcome.SKIPPED_STATUS)).isEqualTo(1);
    assertThat(shadowSaw).hasSize(1);
  }

  @Test
  @DisplayName("100 concurrent copies of one POST with the same key reach the shadow exactly once (Redis)")
  void concurrentDuplicatesOnce() {
    Tandem t = tandem(primary(), shadow(201), "", "idempotency: { store: redis, redis: \"%s\", prefix: \"test-%s:\" }"
        .formatted(TestServices.redisUrl(), UUID.randomUUID()));
    List<Future<Integer>> answers = new ArrayList<>();
    var client = h.vertx.createHttpClient(new io.vertx.core.http.PoolOptions().setHttp1MaxSize(100));
    for (int i = 0; i < 100; i++) {
      answers.add(client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
              .setPort(t.port()).setURI("/orders").addHeader("Idempotency-Key", "order-42"))
          .compose(r -> r.send("{\"n\":42}")).compose(r -> r.body().map(b -> r.statusCode())));
    }
    await(Future.all(answers));
    assertThat(answers).allSatisfy(f -> assertThat(f.result()).isEqualTo(200));
    settled(t, 100);
    assertThat(shadowSaw).hasSize(1);
    assertThat(ledger(t).get(Outcome.DELIVERED)).isEqualTo(1);
    assertThat(ledger(t).get(Outcome.DUPLICATE)).isEqualTo(99);
  }

  @Test
  @DisplayName("a shadow that never answers, refuses, resets or answers garbage leaves the primary's answer unchanged")
  void brokenShadowsLeavePrimaryAlone() {
    int primary = primary();
    HttpServer closed = h.backend(req -> { });
    int refusing = closed.actualPort();
    await(closed.close());
    int silent = h.backend(req -> { }).actualPort();
    int resetting = h.backend((HttpServerRequest req) -> req.connection().close()).actualPort();
    NetServer garbage = await(h.vertx.createNetServer()
        .connectHandler(so -> so.write("this is not HTTP\r\n\r\n").onComplete(v -> so.close()))
        .listen(0, "127.0.0.1"));
    for (int shadowPort : new int[] {silent, refusing, resetting, garbage.actualPort()}) {
      Tandem t = tandem(primary, shadowPort, ", timeout: 30s", "");
      assertThat(call(t, HttpMethod.GET, "/a", null)).isEqualTo("200 primary GET /a");
      assertThat(call(t, HttpMethod.POST, "/b", "x")).isEqualTo("200 primary POST /b");
    }
  }

  @Test
  @DisplayName("when a shadow has maxInFlight copies outstanding, further copies are dropped and counted")
  void inFlightBound() {
    Tandem t = tandem(primary(), h.backend(req -> { }).actualPort(), ", maxInFlight: 2, timeout: 30s", "");
    for (int i = 0; i < 5; i++) {
      assertThat(call(t, HttpMethod.GET, "/" + i, null)).startsWith("200");
    }
    MirrorLedger l = ledger(t);
    assertThat(l.get(Outcome.SENT)).isEqualTo(2);
    assertThat(l.get(Outcome.DROPPED_QUEUE_FULL)).isEqualTo(3);
    assertThat(l.snapshot().getBoolean("balanced")).isTrue();
  }

  @Test
  @DisplayName("the in-flight bound is also capped by the shadow backend's maxConnections: no copy waits for a connection")
  void inFlightBoundByPool() {
    int silent = h.backend(req -> { }).actualPort();
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: "http://127.0.0.1:%d"
          candidate: { url: "http://127.0.0.1:%d", maxConnections: 3 }
        routes:
          - name: default
            primary: legacy
            mirror: { backend: candidate, percent: 100, maxInFlight: 100, timeout: 30s }
        """.formatted(TandemHarness.TOKEN, primary(), silent));
    for (int i = 0; i < 7; i++) {
      assertThat(call(t, HttpMethod.GET, "/" + i, null)).startsWith("200");
    }
    MirrorLedger l = ledger(t);
    assertThat(l.get(Outcome.SENT)).isEqualTo(3);
    assertThat(l.get(Outcome.DROPPED_QUEUE_FULL)).isEqualTo(4);
    assertThat(l.snapshot().getBoolean("balanced")).isTrue();
  }

  @Test
  @DisplayName("a rate limit per shadow turns excess copies into rate_limited")
  void rateLimit() {
    Tandem t = tandem(primary(), shadow(200), ", rateLimit: 0.001", "");
    for (int i = 0; i < 5; i++) {
      call(t, HttpMethod.GET, "/" + i, null);
    }
    settled(t, 5);
    assertThat(ledger(t).get(Outcome.RATE_LIMITED)).isEqualTo(4);
    assertThat(shadowSaw).hasSize(1);
  }

  @Test
  @DisplayName("a body over maxBodyBytes reaches the primary whole and is not mirrored")
  void bodyTooLarge() {
    Tandem t = tandem(h.backend(req -> req.body().onSuccess(b -> req.response().end("got " + b.length())))
        .actualPort(), shadow(200), ", maxBodyBytes: 10", "");
    assertThat(call(t, HttpMethod.POST, "/upload", "x".repeat(100))).isEqualTo("200 got 100");
    settled(t, 1);
    assertThat(ledger(t).get(Outcome.SKIPPED_BODY_TOO_LARGE)).isEqualTo(1);
    assertThat(shadowSaw).isEmpty();
  }

  @Test
  @DisplayName("methods and paths can be included and excluded")
  void filters() {
    Tandem t = tandem(primary(), shadow(200), ", methods: [GET], excludePaths: [\"^/health\"]", "");
    call(t, HttpMethod.GET, "/health", null);
    call(t, HttpMethod.DELETE, "/orders/1", null);
    call(t, HttpMethod.GET, "/orders/1", null);
    settled(t, 3);
    assertThat(ledger(t).get(Outcome.SKIPPED_FILTERED)).isEqualTo(2);
    assertThat(shadowSaw).extracting(Seen::uri).containsExactly("/orders/1");
  }

  @Test
  @DisplayName("sampling is decided by a hash of the request id: the same id, the same decision; the share holds")
  void sampling() {
    int in = 0;
    for (int i = 0; i < 10_000; i++) {
      String id = "req-" + i;
      boolean once = RouteMirror.sampled(id, 30);
      assertThat(RouteMirror.sampled(id, 30)).isEqualTo(once);
      in += once ? 1 : 0;
    }
    assertThat(in).isBetween(2_800, 3_200);
    assertThat(RouteMirror.sampled("x", 0)).isFalse();
    assertThat(RouteMirror.sampled("x", 100)).isTrue();
  }

  @Test
  @DisplayName("a write the shadow fails is dead-lettered with its key and body, listed by /admin/dlq")
  void deadLetters() {
    Tandem t = tandem(primary(), shadow(503), "", "");
    assertThat(call(t, HttpMethod.PUT, "/orders/9", "{\"status\":\"PAID\"}")).startsWith("200");
    settled(t, 1);
    assertThat(ledger(t).get(Outcome.DEAD_LETTERED)).isEqualTo(1);
    JsonObject dlq = new JsonObject(h.call(() -> h.client().request(new RequestOptions().setHost("127.0.0.1")
            .setPort(t.adminPort()).setURI("/admin/dlq").addHeader("Authorization", "Bearer " + TandemHarness.TOKEN))
        .compose(r -> r.send()).compose(r -> r.body())).toString());
    assertThat(dlq.getInteger("count")).isEqualTo(1);
    JsonObject letter = dlq.getJsonArray("deadLetters").getJsonObject(0);
    assertThat(letter.getString("method")).isEqualTo("PUT");
    assertThat(letter.getString("reason")).isEqualTo("shadow answered 503");
    assertThat(letter.getString("idempotencyKey")).isNotBlank();
    assertThat(DeadLetter.fromJson(letter).body()).isEqualTo(Buffer.buffer("{\"status\":\"PAID\"}"));
  }

  @Test
  @DisplayName("a write whose client went away before the primary answered is not mirrored")
  void abandonedWrite() throws Exception {
    io.vertx.core.Promise<HttpServerRequest> held = io.vertx.core.Promise.promise();
    Tandem t = tandem(h.backend(held::tryComplete).actualPort(), shadow(200), "", "");
    try (var raw = new dev.tandem.proxy.RawHttp(t.port())) {
      raw.send("POST /orders HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}");
      await(held.future());
    }
    settled(t, 1);
    assertThat(ledger(t).get(Outcome.SKIPPED_ABORTED)).isEqualTo(1);
    assertThat(shadowSaw).isEmpty();
  }

  private JsonObject admin(Tandem t, HttpMethod method, String path, String body) {
    return new JsonObject(h.call(() -> h.client().request(new RequestOptions().setMethod(method).setHost("127.0.0.1")
            .setPort(t.adminPort()).setURI(path).addHeader("Authorization", "Bearer " + TandemHarness.TOKEN))
        .compose(r -> body == null ? r.send() : r.send(body)).compose(r -> r.body())).toString());
  }

  @Test
  @DisplayName("Redis killed mid-run: the primary answers unchanged, writes are dead-lettered; after Redis is back, "
      + "replay delivers each exactly once")
  void redisDownThenReplay() throws Exception {
    try (OwnRedis redis = OwnRedis.start()) {
      Tandem t = tandem(primary(), shadow(201), "",
          "idempotency: { store: redis, redis: \"%s\" }".formatted(redis.url()));
      assertThat(call(t, HttpMethod.POST, "/orders", "{\"n\":0}")).isEqualTo("200 primary POST /orders");
      eventually("the first write reached the shadow", () -> shadowSaw.size() == 1);

      redis.kill();
      for (int i = 1; i <= 3; i++) {
        assertThat(call(t, HttpMethod.POST, "/orders", "{\"n\":" + i + "}")).isEqualTo("200 primary POST /orders");
      }
      assertThat(call(t, HttpMethod.GET, "/orders/1", null)).isEqualTo("200 primary GET /orders/1");
      settled(t, 5);
      assertThat(ledger(t).get(Outcome.DEAD_LETTERED)).isEqualTo(3);
      assertThat(admin(t, HttpMethod.GET, "/admin/dlq", null).getJsonArray("deadLetters").getJsonObject(0)
          .getString("reason")).startsWith("idempotency store unavailable");
      int before = shadowSaw.size();

      redis.restart();
      eventually("Redis answers again", () -> t.mirroring().delivery().store().ping()
          .transform(ar -> io.vertx.core.Future.succeededFuture(ar.succeeded())).await());
      JsonObject report = admin(t, HttpMethod.POST, "/admin/dlq/replay", "{\"all\": true}");
      assertThat(report.getInteger("delivered")).as(report.encode()).isEqualTo(3);
      assertThat(shadowSaw.size()).isEqualTo(before + 3);
      assertThat(shadowSaw).extracting(Seen::body).contains("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
      assertThat(admin(t, HttpMethod.GET, "/admin/dlq", null).getInteger("count")).isZero();

      JsonObject again = admin(t, HttpMethod.POST, "/admin/dlq/replay", "{\"all\": true}");
      assertThat(again.getInteger("delivered")).isZero();
      assertThat(shadowSaw.size()).isEqualTo(before + 3);
    }
  }

  @Test
  @DisplayName("a failed delivery retried is delivered once, even when two replays race")
  void retryDeliversOnce() {
    java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger(503);
    int shadowPort = h.backend(req -> req.body().onSuccess(b -> {
      if (status.get() < 500) {
        shadowSaw.add(new Seen(req.method().name(), req.uri(), req.headers(), b.toString()));
      }
      req.response().setStatusCode(status.get()).end();
    })).actualPort();
    Tandem t = tandem(primary(), shadowPort, "", "");
    call(t, HttpMethod.POST, "/pay", "{\"amount\":10}");
    settled(t, 1);
    assertThat(ledger(t).get(Outcome.DEAD_LETTERED)).isEqualTo(1);
    String id = admin(t, HttpMethod.GET, "/admin/dlq", null).getJsonArray("deadLetters").getJsonObject(0)
        .getString("id");

    status.set(201);
    DeadLetterReplayer one = t.mirroring().replayer();
    var first = one.replay(List.of(id));
    var second = one.replay(List.of(id));
    await(io.vertx.core.Future.join(first, second));
    assertThat(shadowSaw).hasSize(1);
    assertThat(admin(t, HttpMethod.POST, "/admin/dlq/replay", "{\"ids\": [\"" + id + "\"]}")
        .getJsonArray("problems").getString(0)).contains("no unresolved dead letter");
    assertThat(shadowSaw).hasSize(1);
  }

  @Test
  @DisplayName("a replay's reason goes to the audit log, with the caller and what came of the replay")
  void replayAudited() {
    java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger(503);
    int shadowPort = h.backend(req -> req.body().onSuccess(b -> req.response().setStatusCode(status.get()).end()))
        .actualPort();
    Tandem t = tandem(primary(), shadowPort, "", "");
    call(t, HttpMethod.POST, "/pay", "{\"amount\":10}");
    settled(t, 1);
    String id = admin(t, HttpMethod.GET, "/admin/dlq", null).getJsonArray("deadLetters").getJsonObject(0)
        .getString("id");
    status.set(201);
    assertThat(admin(t, HttpMethod.POST, "/admin/dlq/replay", "{\"reason\": 7, \"all\": true}").getString("message"))
        .isEqualTo("reason must be a string, got 7");
    JsonObject report = admin(t, HttpMethod.POST, "/admin/dlq/replay",
        "{\"ids\": [\"" + id + "\"], \"reason\": \"the shadow is back\"}");
    assertThat(report.getInteger("delivered")).as(report.encode()).isEqualTo(1);
    JsonObject entry = admin(t, HttpMethod.GET, "/admin/audit", null).getJsonArray("entries").getJsonObject(0);
    assertThat(entry.getString("action")).isEqualTo("dlq_replay");
    assertThat(entry.getString("route")).isEqualTo("@dead-letters");
    assertThat(entry.getString("caller")).isEqualTo("admin");
    assertThat(entry.getString("reason")).isEqualTo("the shadow is back");
    assertThat(entry.getJsonObject("new")).isEqualTo(new JsonObject().put("ids", new io.vertx.core.json.JsonArray()
        .add(id)).put("delivered", 1).put("duplicate", 0).put("failed", 0));
  }

  @Test
  @DisplayName("a replay request without ids or all is a 400 saying what to send")
  void replayBadBody() {
    Tandem t = tandem(primary(), shadow(200), "", "");
    JsonObject answer = admin(t, HttpMethod.POST, "/admin/dlq/replay", "{\"everything\": 1}");
    assertThat(answer.getString("error")).isEqualTo("bad_request");
    assertThat(answer.getString("message")).contains("unknown field 'everything'");
  }
}
