package dev.tandem.comparator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.tandem.comparator.ResponseDiffTest.h;
import static dev.tandem.comparator.ResponseDiffTest.json;
import static org.assertj.core.api.Assertions.assertThat;

class ComparisonEngineTest {

  private final MemoryResultStore store = new MemoryResultStore(100);
  private final ComparisonEngine engine = new ComparisonEngine(Rules.DEFAULT, Map.of(),
      new EndpointGrouper(List.of("GET /orders/{id}/items"), 50), NoiseRule.DEFAULT, Redactor.defaults(), store,
      Map.of("legacy", "http://legacy:9001", "candidate", "http://candidate:9002"));

  private static RecordedExchange exchange(String uri, Side primary, Side candidate, Side secondary) {
    return new RecordedExchange(UUID.randomUUID().toString(), Instant.now(), "orders", "GET", uri,
        List.of(h("Authorization", "Bearer secret-token"), h("Accept", "application/json")), new byte[0], primary,
        candidate, secondary);
  }

  private static JsonObject field(JsonObject endpoint, String name) {
    return endpoint.getJsonArray("fields").stream().map(JsonObject.class::cast)
        .filter(f -> f.getString("field").equals(name)).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("with a second legacy instance, fields that differ there too are noise; the real difference stays")
  void noiseCancellation() {
    for (int i = 0; i < 200; i++) {
      String at = "2026-11-02T10:00:" + String.format("%02d", i % 60) + "Z";
      Side legacy = json("legacy", "{\"id\":" + i + ",\"requestId\":\"r" + i + "a\",\"at\":\"" + at
          + "\",\"status\":\"NEW\"}");
      Side secondary = json("legacy-2", "{\"id\":" + i + ",\"requestId\":\"r" + i + "b\",\"at\":\""
          + at.replace(":00:", ":01:") + "\",\"status\":\"NEW\"}");
      Side candidate = json("candidate", "{\"id\":" + i + ",\"requestId\":\"r" + i + "c\",\"at\":\""
          + at.replace(":00:", ":02:") + "\",\"status\":\"PENDING\"}");
      engine.compare(exchange("/orders/" + i, legacy, candidate, secondary));
    }
    JsonObject e = engine.summary().getJsonArray("endpoints").getJsonObject(0);
    assertThat(e.getString("endpoint")).isEqualTo("GET /orders/{id}");
    assertThat(e.getLong("compared")).isEqualTo(200);
    assertThat(e.getString("primary")).isEqualTo("legacy");
    assertThat(e.getString("candidate")).isEqualTo("candidate");
    assertThat(field(e, "/status").getString("verdict")).isEqualTo("real");
    assertThat(field(e, "/requestId").getString("verdict")).isEqualTo("noise");
    assertThat(field(e, "/at").getString("verdict")).isEqualTo("noise");
    assertThat(field(e, "/at").getString("ignoreRule")).isEqualTo("comparator: { rules: { ignore: [\"/at\"] } }");
  }

  @Test
  @DisplayName("without a secondary, a value that differs in nearly every exchange and varies on the primary is likely noise")
  void likelyNoise() {
    ComparisonEngine.Outcome last = null;
    for (int i = 0; i < 20; i++) {
      last = engine.compare(exchange("/orders/" + i, json("legacy", "{\"token\":\"a" + i + "\",\"n\":1}"),
          json("candidate", "{\"token\":\"b" + i + "\",\"n\":" + (i == 3 ? 2 : 1) + "}"), null));
    }
    JsonObject e = engine.summary().getJsonArray("endpoints").getJsonObject(0);
    assertThat(field(e, "/token").getString("verdict")).isEqualTo("likely_noise");
    assertThat(field(e, "/token").getDouble("rate")).isEqualTo(100.0);
    assertThat(field(e, "/n").getString("verdict")).isEqualTo("real");
    assertThat(last.result()).as("without a secondary, likely noise is only a flag: the exchange still differs")
        .isEqualTo(ComparisonEngine.Result.DIFFER);
    assertThat(last.endpoint()).isEqualTo("GET /orders/{id}");
  }

  @Test
  @DisplayName("a stored sample has both sides by name, secrets redacted, and a curl command per side")
  void samples() {
    Side legacy = new Side("legacy", 200, List.of(h("Content-Type", "application/json"), h("Set-Cookie", "sid=s3cr3t")),
        "{\"total\":19.0}".getBytes(StandardCharsets.UTF_8), false, null, 2_000_000);
    Side candidate = json("candidate", "{\"total\":19.5}");
    assertThat(engine.compare(exchange("/orders/7?x=1", legacy, candidate, null)).result())
        .isEqualTo(ComparisonEngine.Result.DIFFER);
    JsonObject s = store.samples(null, "/total", null, 10).result().get(0);
    assertThat(s.getString("primary")).isEqualTo("legacy");
    assertThat(s.getJsonObject("sides").getJsonObject("legacy").getString("role")).isEqualTo("primary");
    assertThat(s.getJsonObject("sides").getJsonObject("candidate").getString("body")).isEqualTo("{\"total\":19.5}");
    assertThat(s.encode()).doesNotContain("secret-token").doesNotContain("s3cr3t").contains("redacted:");
    assertThat(s.getJsonObject("curl").getString("candidate"))
        .startsWith("curl -sS -X GET 'http://candidate:9002/orders/7?x=1'").contains("-H 'Accept: application/json'");
    assertThat(store.sample(s.getString("id")).result()).isEqualTo(s);
    assertThat(store.samples("GET /other", null, null, 10).result()).isEmpty();
  }

  @Test
  @DisplayName("endpoints: ids become {id}, configured templates win, and past the bound the rest is 'other'")
  void endpoints() {
    EndpointGrouper g = new EndpointGrouper(List.of("POST /carts/{cart}/checkout"), 5);
    assertThat(g.endpoint("GET", "/orders/123")).isEqualTo("GET /orders/{id}");
    assertThat(g.endpoint("GET", "/orders/6f1c2a7e-3b9d-4e2f-8a11-0c5d2e7f9b10/items")).isEqualTo("GET /orders/{id}/items");
    assertThat(g.endpoint("GET", "/blobs/a3f9c0d2e4b6a8c0d2e4")).isEqualTo("GET /blobs/{id}");
    assertThat(g.endpoint("GET", "/t/dGhpcyBpcyBhIFRlc3QxMjM0NQ")).isEqualTo("GET /t/{id}");
    assertThat(g.endpoint("GET", "/orders/search")).isEqualTo("GET /orders/search");
    assertThat(g.endpoint("POST", "/carts/abc/checkout")).isEqualTo("POST /carts/{cart}/checkout");
    assertThat(g.endpoint("GET", "/another/path")).isEqualTo(EndpointGrouper.OTHER);
    assertThat(g.endpoint("GET", "/orders/999")).as("known names still resolve").isEqualTo("GET /orders/{id}");
  }

  @Test
  @DisplayName("redaction: headers and configured JSON paths become stable hashes")
  void redaction() {
    Redactor r = new Redactor(Redactor.DEFAULT_HEADERS, List.of(PathPattern.of("/card/number")));
    String body = new String(r.body("{\"card\":{\"number\":\"4111\",\"exp\":\"12/30\"}}".getBytes(StandardCharsets.UTF_8)),
        StandardCharsets.UTF_8);
    assertThat(body).doesNotContain("4111").contains("\"exp\":\"12/30\"").contains("redacted:");
    assertThat(r.headers(List.of(h("Cookie", "a=b"))).get(0).getValue()).isEqualTo(Redactor.hash("a=b"));
  }
}
