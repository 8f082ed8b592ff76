package dev.tandem.proxy.admin;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.TestServices;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;

import static dev.tandem.proxy.TandemHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

class AdminServerTest {

  private final TandemHarness h = new TandemHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private record Answer(int status, String body, String authenticate) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private Answer admin(Tandem t, String path, String authorization) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(t.adminPort())
        .setURI(path);
    if (authorization != null) {
      o.putHeader("Authorization", authorization);
    }
    return h.call(() -> h.client().request(o).compose(r -> r.send())
        .compose(r -> r.body().map(b -> new Answer(r.statusCode(), b.toString(), r.getHeader("WWW-Authenticate")))));
  }

  private Tandem tandem(String token, String stores) {
    int backend = h.backend(req -> req.response().end("ok")).actualPort();
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0 %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: default
            primary: legacy
            canary: { backend: candidate, weight: 0 }
            mirror: { backend: candidate, percent: 25.5 }
        %s
        """.formatted(token == null ? "" : ", token: " + token, backend, backend, stores));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  @DisplayName("liveness and readiness answer without a token; ready with memory stores")
  void health() {
    Tandem t = tandem(TandemHarness.TOKEN, "");
    assertThat(admin(t, "/health/live", null).status()).isEqualTo(200);
    Answer ready = admin(t, "/health/ready", null);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().getJsonObject("checks").getString("dataPlane")).isEqualTo("UP");
  }

  @Test
  @DisplayName("ready when the configured Redis and PostgreSQL answer")
  void readyWithRealStores() {
    Tandem t = tandem(TandemHarness.TOKEN, """
        idempotency: { store: redis, redis: "%s" }
        comparator: { store: postgres, postgres: "%s" }
        """.formatted(TestServices.redisUrl(), TestServices.postgresUrl()));
    Answer ready = admin(t, "/health/ready", null);
    assertThat(ready.status()).as(ready.body()).isEqualTo(200);
    assertThat(ready.json().getJsonObject("checks").getMap())
        .containsEntry("idempotency (redis)", "UP").containsEntry("comparator (postgres)", "UP");
  }

  @Test
  @DisplayName("not ready, and saying which store, when a configured store does not answer")
  void notReadyWhenStoreDown() throws IOException {
    Tandem t = tandem(TandemHarness.TOKEN, """
        idempotency: { store: redis, redis: "redis://127.0.0.1:%d" }
        comparator: { store: postgres, postgres: "postgresql://postgres@127.0.0.1:%d/test" }
        """.formatted(freePort(), freePort()));
    Answer ready = admin(t, "/health/ready", null);
    assertThat(ready.status()).isEqualTo(503);
    JsonObject checks = ready.json().getJsonObject("checks");
    assertThat(checks.getString("dataPlane")).isEqualTo("UP");
    assertThat(checks.getString("idempotency (redis)")).startsWith("DOWN: ");
    assertThat(checks.getString("comparator (postgres)")).startsWith("DOWN: ");
  }

  @Test
  @DisplayName("/metrics shows requests by route, backend and code, and their duration histogram")
  void metrics() {
    Tandem t = tandem(TandemHarness.TOKEN, "");
    for (int i = 0; i < 3; i++) {
      h.call(() -> h.client().request(HttpMethod.GET, t.port(), "127.0.0.1", "/x").compose(r -> r.send())
          .compose(r -> r.body()));
    }
    h.call(() -> h.client().request(HttpMethod.GET, t.port(), "127.0.0.1", "/y").compose(r -> r.send())
        .compose(r -> r.body()));
    String text = admin(t, "/metrics", null).body();
    assertThat(text).containsPattern(
        "tandem_requests_total\\{backend=\"legacy\",code=\"200\",grpc_status=\"\",route=\"default\"} 4.0");
    assertThat(text).containsPattern(
        "tandem_request_duration_seconds_bucket\\{backend=\"legacy\",route=\"default\",le=\"[^\"]+\"}");
    assertThat(text).containsPattern("tandem_request_duration_seconds_count\\{backend=\"legacy\",route=\"default\"} 4");
  }

  @Test
  @DisplayName("/admin/* needs the bearer token: missing or wrong gives 401, right gives the routes")
  void bearerToken() {
    Tandem t = tandem(TandemHarness.TOKEN, "");
    Answer missing = admin(t, "/admin/routes", null);
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.authenticate()).startsWith("Bearer");
    assertThat(admin(t, "/admin/routes", "Bearer wrong-token-value").status()).isEqualTo(401);
    assertThat(admin(t, "/admin/routes", "Bearer " + TandemHarness.TOKEN + "x").status()).isEqualTo(401);
    assertThat(admin(t, "/admin/routes", "Basic " + TandemHarness.TOKEN).status()).isEqualTo(401);

    Answer ok = admin(t, "/admin/routes", "Bearer " + TandemHarness.TOKEN);
    assertThat(ok.status()).isEqualTo(200);
    JsonObject route = ok.json().getJsonArray("routes").getJsonObject(0);
    assertThat(route.getString("name")).isEqualTo("default");
    assertThat(route.getString("primary")).isEqualTo("legacy");
    assertThat(route.getJsonObject("canary").getDouble("weight")).isEqualTo(0.0);
    assertThat(route.getJsonObject("mirror").getDouble("percent")).isEqualTo(25.5);
  }

  @Test
  @DisplayName("without a configured token every /admin/* call answers 503 and says why; health stays open")
  void noTokenConfigured() {
    Tandem t = tandem(null, "");
    Answer answer = admin(t, "/admin/routes", "Bearer anything-at-all");
    assertThat(answer.status()).isEqualTo(503);
    assertThat(answer.json().getString("message")).contains("no token is configured");
    assertThat(admin(t, "/admin/routes", null).status()).isEqualTo(503);
    assertThat(admin(t, "/health/live", null).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("an unknown admin endpoint is a JSON 404 behind the token")
  void unknownEndpoint() {
    Tandem t = tandem(TandemHarness.TOKEN, "");
    assertThat(admin(t, "/admin/nothing", null).status()).isEqualTo(401);
    Answer answer = admin(t, "/admin/nothing", "Bearer " + TandemHarness.TOKEN);
    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.json().getString("error")).isEqualTo("not_found");
  }
}
