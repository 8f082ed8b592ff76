package dev.tandem.proxy.admin;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

class TrafficApiTest {

  private final TandemHarness h = new TandemHarness();

  @AfterEach
  void close() {
    h.close();
  }

  /** A route to a backend that answers 503 for /fail and 200 otherwise, sampled as {@code trafficHistory} says. */
  private Tandem tandem(String trafficHistory) {
    int backend = h.backend(req -> req.response().setStatusCode(req.path().equals("/fail") ? 503 : 200).end("ok"))
        .actualPort();
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s, trafficHistory: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: shop, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, trafficHistory, backend));
  }

  private void get(Tandem t, String path) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.port()).setURI(path);
    h.call(() -> h.client().request(o).compose(r -> r.send()).compose(r -> r.body()));
  }

  private JsonObject history(Tandem t, String query) {
    TandemHarness.Admin a = h.admin(t, HttpMethod.GET, "/admin/traffic/history" + query, null);
    assertThat(a.status()).as(a.json().encode()).isEqualTo(200);
    return a.json();
  }

  /** The shop/legacy figures of every point, oldest first. */
  private static List<JsonObject> shop(JsonObject history) {
    List<JsonObject> out = new ArrayList<>();
    for (Object p : history.getJsonArray("points")) {
      for (Object s : ((JsonObject) p).getJsonArray("series")) {
        JsonObject series = (JsonObject) s;
        if (series.getString("route").equals("shop") && series.getString("backend").equals("legacy")) {
          out.add(series);
        }
      }
    }
    return out;
  }

  private static long sum(List<JsonObject> series, String field) {
    return series.stream().mapToLong(s -> s.getLong(field)).sum();
  }

  @Test
  @DisplayName("the traffic history has every request answered since it started, per route and backend: requests, "
      + "5xx, rate and latency quantiles")
  void pointsAppear() {
    Tandem t = tandem("{ interval: 100ms, points: 1000 }");
    for (int i = 0; i < 16; i++) {
      get(t, i % 4 == 0 ? "/fail" : "/ok");
    }
    eventually("the 16 requests in the history", () -> sum(shop(history(t, "")), "requests") == 16);
    JsonObject history = history(t, "");
    assertThat(history.getLong("intervalMs")).isEqualTo(100);
    assertThat(history.getInteger("capacity")).isEqualTo(1000);
    List<JsonObject> shop = shop(history);
    assertThat(sum(shop, "errors")).isEqualTo(4);
    JsonObject busy = shop.stream().filter(s -> s.getLong("requests") > 0).findFirst().orElseThrow();
    assertThat(busy.getDouble("rps")).isPositive();
    assertThat(busy.getDouble("p50Ms")).isPositive();
    assertThat(busy.getDouble("p99Ms")).isGreaterThanOrEqualTo(busy.getDouble("p50Ms"));
    assertThat(busy.getDouble("errorPercent")).isBetween(0.0, 100.0);

    JsonArray points = history.getJsonArray("points");
    long last = points.getJsonObject(points.size() - 1).getLong("time");
    assertThat(history(t, "?since=" + last).getJsonArray("points").stream()
        .allMatch(p -> ((JsonObject) p).getLong("time") > last)).isTrue();
    assertThat(h.admin(t, HttpMethod.GET, "/admin/traffic/history?since=yesterday", null).status()).isEqualTo(400);
  }

  @Test
  @DisplayName("the traffic history keeps only its newest points, however many samples were taken")
  void bounded() {
    Tandem t = tandem("{ interval: 10ms, points: 3 }");
    get(t, "/ok");
    eventually("more samples than the ring holds", () -> history(t, "").getLong("samples") > 10);
    JsonObject history = history(t, "");
    JsonArray points = history.getJsonArray("points");
    assertThat(points).hasSize(3);
    assertThat(points.getJsonObject(0).getLong("time")).isLessThanOrEqualTo(points.getJsonObject(2).getLong("time"));
  }

  @Test
  @DisplayName("the traffic history needs the admin token like every /admin/* call")
  void needsToken() {
    Tandem t = tandem("{}");
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.adminPort())
        .setURI("/admin/traffic/history");
    int status = h.call(() -> h.client().request(o).compose(r -> r.send()).map(r -> r.statusCode()));
    assertThat(status).isEqualTo(401);
  }
}
