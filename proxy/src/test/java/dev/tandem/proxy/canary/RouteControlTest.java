package dev.tandem.proxy.canary;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.TestServices;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

class RouteControlTest {

  private static final String ALICE = "alice-token-123";

  private final TandemHarness h = new TandemHarness();
  private final AtomicBoolean candidateFails = new AtomicBoolean();
  private int legacy;
  private int candidate;

  private io.vertx.core.http.HttpClientAgent dataClient;

  /** The client for data-plane requests, apart from the admin calls' one. */
  private io.vertx.core.http.HttpClientAgent dataClient() {
    if (dataClient == null) {
      dataClient = h.vertx.createHttpClient();
    }
    return dataClient;
  }

  @AfterEach
  void close() {
    h.close();
  }

  record Answer(int status, JsonObject json) {
  }

  private Tandem tandem(String extra) {
    if (legacy == 0) {
      legacy = h.backend(req -> req.response().end("legacy")).actualPort();
      candidate = h.backend(req -> req.response().setStatusCode(candidateFails.get() ? 500 : 200)
          .end("candidate")).actualPort();
    }
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s, tokens: { alice: %s } }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            match: { pathPrefix: /orders }
            primary: legacy
            canary: { backend: candidate, weight: 0, sticky: { header: X-User-Id } }
            mirror: { backend: candidate, percent: 0 }
          - name: plain
            primary: legacy
        %s
        """.formatted(TandemHarness.TOKEN, ALICE, legacy, candidate, extra));
  }

  private Answer admin(Tandem t, HttpMethod method, String path, String body, String token) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(t.adminPort())
        .setURI(path).putHeader("Authorization", "Bearer " + token);
    return await(h.onContext(() -> h.client().request(o).compose(r -> body == null ? r.send() : r.send(body))
        .compose(r -> r.body().map(b -> new Answer(r.statusCode(), new JsonObject(b))))));
  }

  private Answer admin(Tandem t, HttpMethod method, String path, String body) {
    return admin(t, method, path, body, TandemHarness.TOKEN);
  }

  private String side(Tandem t, String user) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.port()).setURI("/orders/1")
        .putHeader("X-User-Id", user);
    return await(h.onContext(() -> dataClient().request(o).compose(r -> r.send()).compose(r -> r.body())))
        .toString();
  }

  private int canaryShare(Tandem t, int users) {
    int n = 0;
    for (int i = 0; i < users; i++) {
      n += side(t, "u" + i).equals("candidate") ? 1 : 0;
    }
    return n;
  }

  @Test
  @DisplayName("PUT canary changes the weight for the next request, without a restart; GET routes shows it")
  void setWeight() {
    Tandem t = tandem("");
    assertThat(canaryShare(t, 50)).isZero();
    Answer a = admin(t, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 100, \"reason\": \"go\"}");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().getJsonObject("canary").getDouble("weight")).isEqualTo(100.0);
    assertThat(canaryShare(t, 50)).isEqualTo(50);
    JsonObject routes = admin(t, HttpMethod.GET, "/admin/routes", null).json();
    assertThat(routes.getJsonArray("routes").getJsonObject(0).getJsonObject("canary").getDouble("weight"))
        .isEqualTo(100.0);
    assertThat(h.registry.scrape()).contains("tandem_canary_weight{route=\"orders\"} 100.0");
  }

  @Test
  @DisplayName("bad bodies get a 400 naming the problem; unknown routes 404; a route without a canary 409")
  void validation() {
    Tandem t = tandem("");
    String path = "/admin/routes/orders/canary";
    assertThat(admin(t, HttpMethod.PUT, path, "{\"weight\": -1}").json().getString("message"))
        .isEqualTo("weight must be between 0 and 100, got -1");
    assertThat(admin(t, HttpMethod.PUT, path, "{\"weight\": 100.5}").json().getString("message"))
        .isEqualTo("weight must be between 0 and 100, got 100.5");
    assertThat(admin(t, HttpMethod.PUT, path, "{\"weight\": 12.345}").json().getString("message"))
        .isEqualTo("weight must have at most two decimals, got 12.345");
    assertThat(admin(t, HttpMethod.PUT, path, "{\"weight\": \"50\"}").json().getString("message"))
        .isEqualTo("weight must be a number between 0 and 100, got the string \"50\"");
    assertThat(admin(t, HttpMethod.PUT, path, "{\"weight\": 5, \"wieght\": 5}").json().getString("message"))
        .startsWith("unknown field 'wieght'");
    assertThat(admin(t, HttpMethod.PUT, path, "{}").json().getString("message")).startsWith("weight is required");
    assertThat(admin(t, HttpMethod.PUT, path, "{\"weight\": NaN}").status()).isEqualTo(400);
    assertThat(admin(t, HttpMethod.PUT, path, "[5]").status()).isEqualTo(400);
    assertThat(admin(t, HttpMethod.PUT, "/admin/routes/nope/canary", "{\"weight\": 5}").status()).isEqualTo(404);
    assertThat(admin(t, HttpMethod.PUT, "/admin/routes/plain/canary", "{\"weight\": 5}").status()).isEqualTo(409);
    assertThat(admin(t, HttpMethod.PUT, "/admin/routes/plain/mirror", "{\"percent\": 5}").status()).isEqualTo(409);
    assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).as("nothing changed").isZero();
    assertThat(admin(t, HttpMethod.GET, "/admin/audit", null).json().getInteger("count")).isZero();
  }

  @Test
  @DisplayName("every change is audited with time, the named caller, old and new values and the reason")
  void audit() {
    Tandem t = tandem("");
    admin(t, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 12.5, \"reason\": \"first users\"}", ALICE);
    admin(t, HttpMethod.PUT, "/admin/routes/orders/mirror", "{\"percent\": 50}");
    Answer rb = admin(t, HttpMethod.POST, "/admin/routes/orders/rollback", "{\"reason\": \"errors\"}", ALICE);
    assertThat(rb.json().getJsonObject("canary").getDouble("weight")).isZero();
    JsonArray entries = admin(t, HttpMethod.GET, "/admin/audit", null).json().getJsonArray("entries");
    assertThat(entries).hasSize(3);
    JsonObject first = entries.getJsonObject(2);
    assertThat(first.getString("caller")).isEqualTo("alice");
    assertThat(first.getString("action")).isEqualTo("set_weight");
    assertThat(first.getJsonObject("old").getDouble("weight")).isZero();
    assertThat(first.getJsonObject("new").getDouble("weight")).isEqualTo(12.5);
    assertThat(first.getString("reason")).isEqualTo("first users");
    assertThat(first.getString("time")).isNotBlank();
    assertThat(entries.getJsonObject(1).getString("caller")).isEqualTo("admin");
    assertThat(entries.getJsonObject(1).getJsonObject("new").getDouble("percent")).isEqualTo(50.0);
    assertThat(entries.getJsonObject(0).getString("action")).isEqualTo("rollback");
    assertThat(admin(t, HttpMethod.GET, "/admin/audit?limit=1", null).json().getJsonArray("entries")).hasSize(1);
    assertThat(admin(t, HttpMethod.GET, "/admin/audit?limit=x", null).status()).isEqualTo(400);
  }

  @Test
  @DisplayName("with the embedded state file, a restarted Tandem comes back with the operator's weight, not the file's")
  void restartKeepsWeight() {
    Path state = h.stateDir().resolve("kept.json");
    String extra = "state: { file: \"" + state + "\" }";
    Tandem first = tandem(extra);
    admin(first, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 42}");
    admin(first, HttpMethod.PUT, "/admin/routes/orders/mirror", "{\"percent\": 7}");
    await(first.close());
    Tandem second = tandem(extra);
    assertThat(second.routes().byName("orders").orElseThrow().state().canaryWeight()).isEqualTo(42.0);
    assertThat(second.routes().byName("orders").orElseThrow().state().mirrorPercent()).isEqualTo(7.0);
    assertThat(admin(second, HttpMethod.GET, "/admin/audit", null).json().getInteger("count")).isEqualTo(2);
  }

  @Test
  @DisplayName("with state in Redis, a change on one instance applies on another within a second; a new one starts with it")
  void redisSharedState() {
    String extra = "state: { store: redis, redis: \"" + TestServices.redisUrl() + "\", prefix: \"test-"
        + UUID.randomUUID() + ":\" }";
    Tandem a = tandem(extra);
    Tandem b = tandem(extra);
    long start = System.nanoTime();
    admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 33.3}");
    eventually("instance b applies the weight",
        () -> b.routes().byName("orders").orElseThrow().state().canaryWeight() == 33.3);
    assertThat((System.nanoTime() - start) / 1_000_000).as("ms until applied").isLessThan(1_000);
    Tandem c = tandem(extra);
    assertThat(c.routes().byName("orders").orElseThrow().state().canaryWeight()).isEqualTo(33.3);
    assertThat(admin(c, HttpMethod.GET, "/admin/audit", null).json().getJsonArray("entries").getJsonObject(0)
        .getJsonObject("new").getDouble("weight")).isEqualTo(33.3);
  }

  @Test
  @DisplayName("state Redis killed: clients are served as before, a change applies here and says it was not saved;"
      + " Tandem starts without it; once Redis is back, that change is saved and shared, and new ones too")
  void redisStateDown() throws Exception {
    try (dev.tandem.testkit.OwnRedis redis = dev.tandem.testkit.OwnRedis.start()) {
      String extra = "state: { store: redis, redis: \"" + redis.url() + "\" }";
      Tandem a = tandem(extra);
      admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 100}");
      redis.kill();
      assertThat(canaryShare(a, 20)).as("clients still served, by the weight in force").isEqualTo(20);
      Answer change = admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 25}");
      assertThat(change.status()).isEqualTo(500);
      assertThat(change.json().getString("error")).isEqualTo("state_not_saved");
      assertThat(a.routes().byName("orders").orElseThrow().state().canaryWeight()).as("applied on this instance")
          .isEqualTo(25.0);
      Tandem b = tandem(extra);
      assertThat(b.routes().byName("orders").orElseThrow().state().canaryWeight()).as("the file's value").isZero();
      // The audit entries of unsaved changes wait, at most MAX_UNAUDITED of them (the oldest dropped).
      for (int i = 0; i <= RouteControl.MAX_UNAUDITED; i++) {
        h.call(() -> a.control().setWeight("orders", 25, "ops", "while Redis is down").otherwiseEmpty());
      }
      assertThat(h.registry.find("tandem.audit.waiting").gauges()).extracting(g -> g.value())
          .contains((double) RouteControl.MAX_UNAUDITED);
      redis.restart(); // empty: OwnRedis keeps nothing across a restart
      eventually("the change made while Redis was down is saved by a once it is back, and reaches b",
          () -> b.routes().byName("orders").orElseThrow().state().canaryWeight() == 25.0);
      eventually("and is audited then, marked as saved late", () -> {
        Answer audit = admin(b, HttpMethod.GET, "/admin/audit", null);
        return audit.status() == 200 && audit.json().getJsonArray("entries").stream().map(JsonObject.class::cast)
            .anyMatch(e -> e.getBoolean("savedLate", false) && e.getJsonObject("new") != null
                && e.getJsonObject("new").getDouble("weight", -1.0) == 25.0);
      });
      eventually("a saves again once Redis is back",
          () -> admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 40}").status() == 200);
      eventually("b, started while Redis was down, applies the change",
          () -> b.routes().byName("orders").orElseThrow().state().canaryWeight() == 40.0);
    }
  }

  @Test
  @DisplayName("several instances on Redis: a rollback on one stops the rollout another drives; resume there is 409;"
      + " an older saved state never undoes a newer change")
  void sharedRollout() {
    String prefix = "test-" + UUID.randomUUID() + ":";
    String extra = "state: { store: redis, redis: \"" + TestServices.redisUrl() + "\", prefix: \"" + prefix + "\" }";
    Tandem a = tandem(extra);
    Tandem b = tandem(extra);
    admin(a, HttpMethod.POST, "/admin/routes/orders/rollout", "{\"steps\": [10, 100], \"interval\": \"1h\"}");
    eventually("b sees the rollout", () -> "running".equals(
        admin(b, HttpMethod.GET, "/admin/routes/orders/rollout", null).json().getString("status")));
    assertThat(admin(b, HttpMethod.POST, "/admin/routes/orders/rollout/resume", null).status()).isEqualTo(409);
    assertThat(admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 50}").status())
        .as("a weight change would be overwritten by the next step").isEqualTo(409);
    admin(b, HttpMethod.POST, "/admin/routes/orders/rollback", "{\"reason\": \"from b\"}");
    eventually("a, the driver, stops", () -> "rolled_back".equals(
        admin(a, HttpMethod.GET, "/admin/routes/orders/rollout", null).json().getString("status")));
    assertThat(a.routes().byName("orders").orElseThrow().state().canaryWeight()).isZero();

    // An older state arriving late (a save that failed while Redis was down, a slow re-read) is ignored.
    admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 30}");
    eventually("b has 30", () -> b.routes().byName("orders").orElseThrow().state().canaryWeight() == 30.0);
    var redis = io.vertx.redis.client.Redis.createClient(h.vertx, TestServices.redisUrl());
    var api = io.vertx.redis.client.RedisAPI.api(redis);
    await(api.hset(java.util.List.of(prefix + "routes", "orders",
        "{\"version\":1,\"overrides\":{\"canaryWeight\":{\"value\":99,\"configured\":0,\"by\":\"old\"}}}")));
    await(api.publish(prefix + "changes", "orders"));
    eventually("the newer state is saved again", () -> await(api.hget(prefix + "routes", "orders")).toString()
        .contains("\"value\":30.0"));
    assertThat(a.routes().byName("orders").orElseThrow().state().canaryWeight()).isEqualTo(30.0);
    assertThat(b.routes().byName("orders").orElseThrow().state().canaryWeight()).isEqualTo(30.0);
    redis.close();
  }

  @Test
  @DisplayName("rollout intervals outside 100ms..7d, or that overflow, are a 400 and change nothing")
  void badIntervals() {
    Tandem t = tandem("");
    for (String interval : new String[] {"1ms", "8d", "99999999999999999999s", "200000000000d", "soon"}) {
      Answer a = admin(t, HttpMethod.POST, "/admin/routes/orders/rollout",
          "{\"steps\": [10], \"interval\": \"" + interval + "\"}");
      assertThat(a.status()).as(interval).isEqualTo(400);
    }
    assertThat(admin(t, HttpMethod.POST, "/admin/routes/orders/rollout",
        "{\"steps\": [10], \"gates\": {\"minRequests\": 1.5}}").status()).isEqualTo(400);
    assertThat(admin(t, HttpMethod.GET, "/admin/routes/orders/rollout", null).json().getString("status"))
        .isEqualTo("none");
    assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).isZero();
  }

  /** Sends requests as many users until the rollout's status is {@code status}. */
  private JsonObject driveUntil(Tandem t, String status) {
    JsonObject[] last = new JsonObject[1];
    int[] user = {0};
    eventually("the rollout reaches " + status + ", last: " + last[0], () -> {
      for (int i = 0; i < 20; i++) {
        side(t, "u" + (user[0]++));
      }
      last[0] = admin(t, HttpMethod.GET, "/admin/routes/orders/rollout", null).json();
      return last[0].getString("status").equals(status);
    });
    return last[0];
  }

  @Test
  @DisplayName("a rollout steps through its weights while the gates pass, and completes")
  void rolloutCompletes() {
    Tandem t = tandem("");
    Answer started = admin(t, HttpMethod.POST, "/admin/routes/orders/rollout",
        "{\"steps\": [20, 50, 100], \"interval\": \"200ms\", \"gates\": {\"minRequests\": 5, \"maxP99Ratio\": 100},"
            + " \"reason\": \"release 2\"}");
    assertThat(started.status()).isEqualTo(200);
    assertThat(started.json().getString("status")).isEqualTo("running");
    assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).isEqualTo(20.0);
    JsonObject done = driveUntil(t, "completed");
    assertThat(done.getDouble("currentWeight")).isEqualTo(100.0);
    assertThat(done.getJsonArray("history").stream().map(o -> ((JsonObject) o).getString("verdict")))
        .contains("pass");
    // The audit entry is written once the rollout has completed, not before its status says so.
    eventually("rollout_complete in the audit log", () -> admin(t, HttpMethod.GET, "/admin/audit", null).json()
        .getJsonArray("entries").stream().map(o -> ((JsonObject) o).getString("action")).toList()
        .containsAll(java.util.List.of("rollout_start", "rollout_step", "rollout_complete")));
    assertThat(h.registry.scrape()).contains("tandem_rollout_gates_total{gate=\"errorRate\",result=\"pass\",route=\"orders\"}");
  }

  @Test
  @DisplayName("a canary that starts failing is rolled back to 0 by the gate, and the audit says why")
  void rolloutRollsBack() {
    Tandem t = tandem("");
    admin(t, HttpMethod.POST, "/admin/routes/orders/rollout",
        "{\"steps\": [30, 60, 100], \"interval\": \"200ms\", \"gates\": {\"minRequests\": 5, \"maxP99Ratio\": 100}}");
    candidateFails.set(true);
    JsonObject rolled = driveUntil(t, "rolled_back");
    assertThat(rolled.getString("endedReason")).contains("errorRate failed");
    assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).isZero();
    assertThat(canaryShare(t, 50)).isZero();
    JsonObject entry = admin(t, HttpMethod.GET, "/admin/audit", null).json().getJsonArray("entries").getJsonObject(0);
    assertThat(entry.getString("action")).isEqualTo("rollout_rollback");
    assertThat(entry.getString("caller")).isEqualTo("rollout");
    assertThat(entry.getString("reason")).contains("errorRate failed: canary 100.0%");
    assertThat(entry.getJsonObject("new").getDouble("weight")).isZero();
  }

  @Test
  @DisplayName("pause holds the step, resume goes on, abort sends everyone back; wrong states are 409")
  void pauseResumeAbort() {
    Tandem t = tandem("");
    String base = "/admin/routes/orders/rollout";
    Answer noRollout = admin(t, HttpMethod.POST, base + "/pause", null);
    assertThat(noRollout.status()).as(noRollout.json().encode()).isEqualTo(409);
    admin(t, HttpMethod.POST, base, "{\"steps\": [10, 100], \"interval\": \"1h\"}");
    assertThat(admin(t, HttpMethod.POST, base, "{\"steps\": [10, 100]}").status()).as("one at a time")
        .isEqualTo(409);
    assertThat(admin(t, HttpMethod.POST, base + "/pause", null).json().getString("status")).isEqualTo("paused");
    assertThat(admin(t, HttpMethod.POST, base + "/resume", null).json().getString("status")).isEqualTo("running");
    JsonObject aborted = admin(t, HttpMethod.POST, base + "/abort", "{\"reason\": \"wrong build\"}").json();
    assertThat(aborted.getString("status")).isEqualTo("aborted");
    assertThat(aborted.getString("endedReason")).isEqualTo("wrong build");
    assertThat(t.routes().byName("orders").orElseThrow().state().canaryWeight()).isZero();
    assertThat(admin(t, HttpMethod.POST, base + "/explode", null).status()).isEqualTo(404);
    assertThat(admin(t, HttpMethod.POST, base, "{\"steps\": [50, 10]}").json().getString("message"))
        .isEqualTo("steps must go up, got 10 after 50");
  }

  @Test
  @DisplayName("a rollout declared in the configuration starts with an empty body")
  void declaredRollout() {
    int l = h.backend(req -> req.response().end("legacy")).actualPort();
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            canary:
              backend: legacy
              weight: 0
              rollout: { steps: [5, 25, 100], interval: 10m, gates: { minRequests: 500 } }
        """.formatted(TandemHarness.TOKEN, l));
    JsonObject started = admin(t, HttpMethod.POST, "/admin/routes/orders/rollout", null).json();
    assertThat(started.getString("status")).as(started.encode()).isEqualTo("running");
    assertThat(started.getJsonObject("plan").getJsonArray("steps")).containsExactly(5.0, 25.0, 100.0);
    assertThat(started.getJsonObject("plan").getString("interval")).isEqualTo("600000ms");
    assertThat(started.getJsonObject("plan").getJsonObject("gates").getInteger("minRequests")).isEqualTo(500);
    assertThat(started.getDouble("currentWeight")).isEqualTo(5.0);
  }
}
