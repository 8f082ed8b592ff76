package dev.tandem.proxy.fleet;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.OwnPrometheus;
import dev.tandem.testkit.TestServices;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three Tandem instances behind the test, each with a Vert.x of its own, sharing real Redis (and, for metric gates,
 * a real Prometheus that scrapes them): one rollout for the fleet, judged on all of its traffic, driven by one
 * instance at a time, and the same switches everywhere.
 */
class FleetTest {

  private final String prefix = "fleet-" + UUID.randomUUID() + ":";
  private final List<Instance> fleet = new ArrayList<>();
  private OwnPrometheus prometheus;
  private int user;

  /** One instance: its harness (its own Vert.x), its backends, and Tandem. */
  private static final class Instance {
    final TandemHarness h = new TandemHarness();
    final AtomicInteger canaryHits = new AtomicInteger();
    final int legacy;
    final int candidate;
    Tandem tandem;
    HttpClientAgent client;
    boolean dead;

    Instance(boolean candidateFails) {
      legacy = h.backend(req -> req.response().end("legacy")).actualPort();
      candidate = h.backend(req -> {
        canaryHits.incrementAndGet();
        req.response().setStatusCode(candidateFails ? 500 : 200).end("candidate");
      }).actualPort();
      client = h.vertx.createHttpClient();
    }
  }

  @AfterEach
  void close() {
    for (Instance i : fleet) {
      if (!i.dead) {
        i.h.close();
      }
    }
    if (prometheus != null) {
      prometheus.close();
    }
  }

  /** Starts an instance; its candidate answers 500 when {@code candidateFails}. */
  private Instance start(boolean candidateFails, String rollout, String settings) {
    Instance i = new Instance(candidateFails);
    i.tandem = i.h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            canary: { backend: candidate, weight: 0, sticky: { header: X-User-Id } %s }
            mirror: { backend: candidate, percent: 0 }
        capture: { enabled: false, dir: "%s" }
        state: { store: redis, redis: "%s", prefix: "%s" }
        %s
        """.formatted(TandemHarness.TOKEN, i.legacy, i.candidate, rollout, i.h.stateDir().resolve("captures"),
        TestServices.redisUrl(), prefix, settings));
    fleet.add(i);
    return i;
  }

  private static TandemHarness.Admin admin(Instance i, HttpMethod m, String path, String body) {
    return i.h.admin(i.tandem, m, path, body);
  }

  /** Sends {@code n} requests, each from a new user, to every live instance. */
  private void traffic(int n) {
    for (Instance i : fleet) {
      if (i.dead) {
        continue;
      }
      for (int k = 0; k < n; k++) {
        RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(i.tandem.port()).setURI("/orders/1")
            .putHeader("X-User-Id", "u" + (user++));
        await(i.h.onContext(() -> i.client.request(o).compose(r -> r.send()).compose(r -> r.body())));
      }
    }
  }

  /** Sends traffic until the rollout, as {@code i} sees it, is {@code status}. */
  private JsonObject trafficUntil(Instance i, String status) {
    JsonObject[] last = new JsonObject[1];
    eventually("the rollout is " + status + " (last seen: " + last[0] + ")", () -> {
      traffic(10);
      last[0] = admin(i, HttpMethod.GET, "/admin/routes/orders/rollout", null).json();
      return status.equals(last[0].getString("status"));
    });
    return last[0];
  }

  /** The instance that made the audit log's newest entry with {@code action}; null when there is none. */
  private static String instanceOf(JsonArray audit, String action) {
    return audit.stream().map(o -> (JsonObject) o).filter(e -> action.equals(e.getString("action")))
        .map(e -> e.getString("instance")).findFirst().orElse(null);
  }

  @Test
  @DisplayName("a weight, a mirror percent and the capture switch changed on one instance apply on all of them")
  void sharedSwitches() {
    Instance a = start(false, "", "");
    Instance b = start(false, "", "");
    Instance c = start(false, "", "");
    assertThat(admin(b, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 25}").status()).isEqualTo(200);
    assertThat(admin(c, HttpMethod.PUT, "/admin/routes/orders/mirror", "{\"percent\": 40}").status()).isEqualTo(200);
    assertThat(admin(a, HttpMethod.PUT, "/admin/capture", "{\"enabled\": true, \"percent\": 5}").status())
        .isEqualTo(200);
    for (Instance i : List.of(a, b, c)) {
      eventually("the weight reaches every instance", () -> weight(i) == 25.0);
      eventually("the mirror percent too", () -> i.tandem.routes().byName("orders").orElseThrow().state()
          .mirrorPercent() == 40.0);
      eventually("and the capture switch", () -> i.tandem.capturing().view().getBoolean("enabled")
          && i.tandem.capturing().view().getDouble("percent") == 5.0);
    }
    Instance d = start(false, "", "");
    assertThat(weight(d)).as("a new instance starts from the fleet's values").isEqualTo(25.0);
    assertThat(d.tandem.capturing().view().getBoolean("enabled")).isTrue();
  }

  @Test
  @DisplayName("a rollout started right after a weight change starts at its first step, not at the change echoed back")
  void rolloutRightAfterAChange() {
    String rollout = ", rollout: { steps: [20, 100], interval: 1h }";
    Instance a = start(false, rollout, "");
    Instance b = start(false, rollout, "");
    for (int round = 0; round < 5; round++) {
      assertThat(admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 10}").status()).isEqualTo(200);
      assertThat(admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 0}").status()).isEqualTo(200);
      assertThat(admin(a, HttpMethod.POST, "/admin/routes/orders/rollout", "").status()).isEqualTo(200);
      // The change's echo arrives within milliseconds; a weight still at 20 on both after b saw it proves it lost.
      eventually("b sees the rollout's first step", () -> weight(b) == 20.0);
      assertThat(weight(a)).isEqualTo(20.0);
      assertThat(admin(a, HttpMethod.GET, "/admin/routes/orders/rollout", null).json().getDouble("currentWeight"))
          .isEqualTo(20.0);
      assertThat(admin(a, HttpMethod.POST, "/admin/routes/orders/rollout/abort", "").status()).isEqualTo(200);
      eventually("the abort reaches b", () -> weight(b) == 0.0);
    }
  }

  private static double weight(Instance i) {
    return i.tandem.routes().byName("orders").orElseThrow().state().canaryWeight();
  }

  @Test
  @DisplayName("a canary that fails only on instance 3 is rolled back by the driver on instance 1, on the fleet's"
      + " figures")
  void fleetGates() {
    String rollout = ", rollout: { steps: [50, 100], interval: 2s, gates: { minRequests: 10, maxP99Ratio: 100 } }";
    Instance one = start(false, rollout, "");
    start(false, rollout, "");
    Instance three = start(true, rollout, "");
    assertThat(admin(one, HttpMethod.POST, "/admin/routes/orders/rollout", "").status()).isEqualTo(200);
    assertThat(admin(one, HttpMethod.GET, "/admin/routes/orders/rollout", null).json().getBoolean("driving")).isTrue();
    JsonObject done = trafficUntil(one, "rolled_back");
    JsonObject canary = done.getJsonObject("lastCheck").getJsonObject("canary");
    assertThat(canary.getLong("errors")).as("instance 3's errors, judged on instance 1").isPositive();
    assertThat(canary.getLong("requests")).as("the fleet's canary requests, not instance 1's alone")
        .isGreaterThan(one.canaryHits.get());
    assertThat(done.getString("endedReason")).contains("errorRate failed");
    JsonArray audit = admin(three, HttpMethod.GET, "/admin/audit", null).json().getJsonArray("entries");
    assertThat(instanceOf(audit, "rollout_rollback")).as("the rollback is the driver's, on instance 1")
        .isNotNull().isEqualTo(instanceOf(audit, "rollout_start"));
    for (Instance i : fleet) {
      eventually("every instance sends its users back", () -> weight(i) == 0.0);
    }
    assertThat(three.canaryHits.get()).isPositive();
  }

  @Test
  @DisplayName("the driver killed mid-rollout: another instance takes the rollout over by itself and finishes it")
  void driverDies() {
    String rollout = ", rollout: { steps: [20, 50, 100], interval: 1500ms, gates: { minRequests: 5,"
        + " maxP99Ratio: 100 } }";
    Instance one = start(false, rollout, "");
    Instance two = start(false, rollout, "");
    Instance three = start(false, rollout, "");
    admin(one, HttpMethod.POST, "/admin/routes/orders/rollout", "");
    eventually("step 2 reached", () -> {
      traffic(10);
      return admin(two, HttpMethod.GET, "/admin/routes/orders/rollout", null).json().getInteger("step") >= 2;
    });
    one.dead = true;
    one.h.close(); // its Vert.x gone at once: no release of the lease, no goodbye
    JsonObject done = trafficUntil(two, "completed");
    assertThat(done.getDouble("currentWeight")).isEqualTo(100.0);
    JsonArray audit = admin(two, HttpMethod.GET, "/admin/audit", null).json().getJsonArray("entries");
    String started = instanceOf(audit, "rollout_start");
    String tookOver = instanceOf(audit, "rollout_takeover");
    assertThat(tookOver).as("another instance took the rollout over").isNotNull().isNotEqualTo(started);
    assertThat(instanceOf(audit, "rollout_complete")).as("and drove it to the end").isEqualTo(tookOver);
    assertThat(weight(three)).isEqualTo(100.0);
  }

  @Test
  @DisplayName("a PromQL gate over the fleet's scraped metrics fails the rollout; a query without data holds it")
  void metricGates() throws IOException {
    // Admin ports are known once the instances run: Prometheus is started after them, scraping all three.
    String noData = ", rollout: { steps: [50, 100], interval: 1500ms, gates: { minRequests: 0,"
        + " maxErrorRateIncrease: 100, maxP99Ratio: 100, metrics: [ { name: nothing-yet,"
        + " query: 'sum(tandem_no_such_metric{route=\"{{route}}\"})', max: 1 } ] } }";
    int promPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      promPort = s.getLocalPort();
    }
    String settings = "rollout: { prometheus: \"http://127.0.0.1:" + promPort + "\", timeout: 2s }";
    Instance one = start(false, noData, settings);
    start(false, noData, settings);
    start(true, noData, settings);
    prometheus = OwnPrometheus.startOn(promPort, fleet.stream().map(i -> "127.0.0.1:" + i.tandem.adminPort())
        .toList());

    // No data: the step is held, never passed.
    admin(one, HttpMethod.POST, "/admin/routes/orders/rollout", "");
    eventually("a check held the step", () -> {
      traffic(5);
      JsonObject r = admin(one, HttpMethod.GET, "/admin/routes/orders/rollout", null).json();
      return r.getJsonObject("lastCheck") != null && r.getJsonObject("lastCheck").getString("verdict").equals("wait");
    });
    JsonObject held = admin(one, HttpMethod.GET, "/admin/routes/orders/rollout", null).json();
    assertThat(held.getString("status")).isEqualTo("running");
    assertThat(held.getInteger("step")).isEqualTo(1);
    assertThat(held.getJsonObject("lastCheck").getJsonArray("gates").encode())
        .contains("metric:nothing-yet", "returned no data");
    admin(one, HttpMethod.POST, "/admin/routes/orders/rollout/abort", "");

    // A query Prometheus refuses (a syntax error) holds the step too, with Prometheus's reason.
    String broken = "{\"steps\": [50, 100], \"interval\": \"1500ms\", \"gates\": {\"minRequests\": 0,"
        + " \"maxErrorRateIncrease\": 100, \"maxP99Ratio\": 100, \"metrics\": [{\"name\": \"broken\","
        + " \"query\": \"sum(rate(tandem_requests_total[\", \"max\": 1}]}}";
    assertThat(admin(one, HttpMethod.POST, "/admin/routes/orders/rollout", broken).status()).isEqualTo(200);
    eventually("the broken query held the step", () -> {
      traffic(5);
      JsonObject c = admin(one, HttpMethod.GET, "/admin/routes/orders/rollout", null).json().getJsonObject("lastCheck");
      return c != null && c.getJsonArray("gates").encode().contains("metric:broken");
    });
    JsonObject refused = admin(one, HttpMethod.GET, "/admin/routes/orders/rollout", null).json();
    assertThat(refused.getString("status")).isEqualTo("running");
    assertThat(refused.getInteger("step")).isEqualTo(1);
    assertThat(refused.getJsonObject("lastCheck").getString("verdict")).isEqualTo("wait");
    assertThat(refused.getJsonObject("lastCheck").getJsonArray("gates").encode()).contains("failed: ");
    admin(one, HttpMethod.POST, "/admin/routes/orders/rollout/abort", "");

    // The fleet's 5xx from the canary, as Prometheus scraped them: the rollout is rolled back.
    String body = "{\"steps\": [50, 100], \"interval\": \"1500ms\", \"gates\": {\"minRequests\": 0,"
        + " \"maxErrorRateIncrease\": 100, \"maxP99Ratio\": 100, \"metrics\": [{"
        + " \"query\": \"sum(tandem_requests_total{route=\\\"{{route}}\\\",backend=\\\"{{canary}}\\\","
        + "code=~\\\"5..\\\"})\", \"max\": 0}]}}";
    assertThat(admin(one, HttpMethod.POST, "/admin/routes/orders/rollout", body).status()).isEqualTo(200);
    JsonObject done = trafficUntil(one, "rolled_back");
    assertThat(done.getString("endedReason")).contains("metric:metric-1 failed"); // a gate given no name
  }
}
