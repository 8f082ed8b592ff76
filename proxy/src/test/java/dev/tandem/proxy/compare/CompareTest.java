package dev.tandem.proxy.compare;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

class CompareTest {

  private final TandemHarness h = new TandemHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private Tandem tandem(String comparator) {
    int legacy = h.backend(req -> req.response().putHeader("Content-Type", "application/json")
        .putHeader("Date", "Sun, 22 Nov 2026 10:00:00 GMT")
        .end("{\"id\":" + req.path().substring(req.path().lastIndexOf('/') + 1)
            + ",\"status\":\"NEW\",\"total\":19.0,\"createdAt\":\"2026-11-02T10:00:00Z\",\"requestId\":\""
            + java.util.UUID.randomUUID() + "\"}")).actualPort();
    int candidate = h.backend(req -> req.response().putHeader("Content-Type", "application/json")
        .putHeader("Date", "Sun, 22 Nov 2026 10:00:01 GMT")
        .end("{\"id\":" + req.path().substring(req.path().lastIndexOf('/') + 1)
            + ",\"status\":\"PENDING\",\"total\":19.00,\"createdAt\":\"2026-11-02T11:00:00+01:00\",\"requestId\":\""
            + java.util.UUID.randomUUID() + "\"}")).actualPort();
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, percent: 100, compare: true }
        comparator: %s
        """.formatted(TandemHarness.TOKEN, legacy, candidate, comparator));
  }

  private String get(Tandem t, String uri) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.port()).setURI(uri)
        .putHeader("Authorization", "Bearer user-secret");
    return await(h.onContext(() -> h.client().request(o).compose(r -> r.send()).compose(r -> r.body()))).toString();
  }

  private JsonObject admin(Tandem t, String uri) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(t.adminPort())
        .setURI(uri).putHeader("Authorization", "Bearer " + TandemHarness.TOKEN);
    return await(h.onContext(() -> h.client().request(o).compose(r -> r.send()).compose(r -> r.body())))
        .toJsonObject();
  }

  @Test
  @DisplayName("mirrored answers are compared per endpoint: the real difference found, canonical forms equal, "
      + "volatile fields flagged, the client served by the primary")
  void compares() {
    Tandem t = tandem("{ store: memory }");
    for (int i = 1; i <= 20; i++) {
      assertThat(get(t, "/orders/" + i)).contains("\"status\":\"NEW\"");
    }
    eventually("20 comparisons", () -> h.registry.scrape()
        .contains("tandem_comparisons_total{result=\"differ\",route=\"orders\"} 20.0")
        || h.registry.scrape().contains("tandem_comparisons_total{result=\"noise\""));
    JsonObject e = admin(t, "/admin/diffs/summary").getJsonArray("endpoints").getJsonObject(0);
    assertThat(e.getString("endpoint")).isEqualTo("GET /orders/{id}");
    assertThat(e.getString("primary")).isEqualTo("legacy");
    assertThat(e.getString("candidate")).isEqualTo("candidate");
    assertThat(e.getLong("compared")).isEqualTo(20);
    var fields = e.getJsonArray("fields").stream().map(JsonObject.class::cast)
        .collect(java.util.stream.Collectors.toMap(f -> f.getString("field"), f -> f.getString("verdict")));
    assertThat(fields).containsOnlyKeys("/status", "/requestId")
        .containsEntry("/requestId", "likely_noise").containsEntry("/status", "real");
    JsonObject list = admin(t, "/admin/diffs?endpoint=GET%20/orders/%7Bid%7D&field=/status&limit=2");
    assertThat(list.getInteger("count")).isEqualTo(2);
    JsonObject sample = admin(t, "/admin/diffs/" + list.getJsonArray("diffs").getJsonObject(0).getString("id"));
    assertThat(sample.getJsonObject("sides").getJsonObject("legacy").getString("role")).isEqualTo("primary");
    assertThat(sample.getJsonObject("sides").getJsonObject("candidate").getString("body")).contains("PENDING");
    assertThat(sample.getJsonObject("curl").getString("candidate")).startsWith("curl -sS -X GET 'http://127.0.0.1:");
    assertThat(sample.encode()).doesNotContain("user-secret");

    java.io.StringWriter out = new java.io.StringWriter();
    int exit = dev.tandem.proxy.cli.TandemCommand.commandLine().setOut(new java.io.PrintWriter(out, true))
        .execute("diffs", "--url", "http://127.0.0.1:" + t.adminPort(), "--token", TandemHarness.TOKEN);
    assertThat(exit).isZero();
    assertThat(out.toString()).contains("GET /orders/{id}", "legacy vs candidate", "real", "/status", "value");
    assertThat(out.toString()).doesNotContain("/requestId");
  }

  @Test
  @DisplayName("ignore rules apply; with no room in the queue comparisons are shed and counted, never blocking")
  void rulesAndShedding() {
    Tandem t = tandem("{ queue: 0, rules: { ignore: [\"/requestId\"] } }");
    for (int i = 1; i <= 5; i++) {
      assertThat(get(t, "/orders/" + i)).contains("NEW");
    }
    eventually("5 shed", () -> h.registry.scrape()
        .contains("tandem_comparisons_total{result=\"shed\",route=\"orders\"} 5.0"));
    Tandem ruled = tandem("{ rules: { ignore: [\"/requestId\", \"/status\"] } }");
    get(ruled, "/orders/1");
    eventually("matched", () -> h.registry.scrape()
        .contains("tandem_comparisons_total{result=\"match\",route=\"orders\"} 1.0"));
  }

  @Test
  @DisplayName("with mirror.secondary (a second legacy instance), volatile fields are noise and the real difference"
      + " stays real")
  void secondaryNoise() {
    java.util.function.Function<String, io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest>> service =
        status -> req -> req.response().putHeader("Content-Type", "application/json")
            .end("{\"status\":\"" + status + "\",\"requestId\":\"" + java.util.UUID.randomUUID() + "\"}");
    int legacy = h.backend(service.apply("NEW")).actualPort();
    io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> legacyService = service.apply("NEW");
    // The second legacy instance knows nothing of the candidate's /v2 paths: if the rewrite reached it, it would 404.
    int legacy2 = h.backend(req -> {
      if (req.path().startsWith("/v2")) {
        req.response().setStatusCode(404).end();
      } else {
        legacyService.handle(req);
      }
    }).actualPort();
    int candidate = h.backend(service.apply("PENDING")).actualPort();
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", legacy-2: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, percent: 100, compare: true, secondary: legacy-2,
                      rewrite: { pathPrefix: { from: /orders, to: /v2/orders } } }
        """.formatted(TandemHarness.TOKEN, legacy, legacy2, candidate));
    for (int i = 1; i <= 30; i++) {
      get(t, "/orders/" + i);
    }
    eventually("30 compared", () -> admin(t, "/admin/diffs/summary").getJsonArray("endpoints").size() == 1
        && admin(t, "/admin/diffs/summary").getJsonArray("endpoints").getJsonObject(0).getLong("compared") == 30);
    JsonObject e = admin(t, "/admin/diffs/summary").getJsonArray("endpoints").getJsonObject(0);
    assertThat(e.getLong("withSecondary")).isEqualTo(30);
    var verdicts = e.getJsonArray("fields").stream().map(JsonObject.class::cast)
        .collect(java.util.stream.Collectors.toMap(f -> f.getString("field"), f -> f.getString("verdict")));
    assertThat(verdicts).containsEntry("/status", "real").containsEntry("/requestId", "noise");
    assertThat(e.getJsonObject("status").getJsonObject("legacy-2").getLong("200")).isEqualTo(30);
  }

  @Test
  @DisplayName("with the PostgreSQL result store, samples are kept in the database and served by /admin/diffs")
  void postgresStore() {
    Tandem t = tandem("{ store: postgres, postgres: \"" + dev.tandem.testkit.TestServices.postgresUrl()
        + "\", maxSamples: 500, maxAge: 1h }");
    String marker = "/orders/" + (100_000 + new java.util.Random().nextInt(800_000));
    get(t, marker);
    eventually("the sample is in PostgreSQL", () -> admin(t, "/admin/diffs?limit=50").getJsonArray("diffs").stream()
        .map(JsonObject.class::cast).anyMatch(d -> d.getJsonObject("request").getString("uri").equals(marker)));
    JsonObject d = admin(t, "/admin/diffs?limit=50").getJsonArray("diffs").stream().map(JsonObject.class::cast)
        .filter(x -> x.getJsonObject("request").getString("uri").equals(marker)).findFirst().orElseThrow();
    assertThat(admin(t, "/admin/diffs/" + d.getString("id")).getString("endpoint")).isEqualTo("GET /orders/{id}");
    var hours = admin(t, "/admin/diffs/history?endpoint=GET%20/orders/%7Bid%7D&field=/status").getJsonArray("hours");
    assertThat(hours).isNotEmpty();
    assertThat(hours.getJsonObject(hours.size() - 1).getLong("raw")).isPositive();
  }
}
