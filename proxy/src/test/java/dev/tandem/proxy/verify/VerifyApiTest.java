package dev.tandem.proxy.verify;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.OwnDatabases;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

class VerifyApiTest {

  private final TandemHarness h = new TandemHarness();
  private final OwnDatabases databases = new OwnDatabases();

  @TempDir
  Path dir;

  @AfterEach
  void close() throws Exception {
    h.close();
    databases.close();
  }

  private JsonObject admin(Tandem t, HttpMethod method, String uri, int status) {
    return admin(t, method, uri, null, status);
  }

  private JsonObject admin(Tandem t, HttpMethod method, String uri, String body, int status) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(t.adminPort()).setURI(uri)
        .putHeader("Authorization", "Bearer " + TandemHarness.TOKEN);
    return await(h.onContext(() -> h.client().request(o).compose(r -> body == null ? r.send() : r.send(body))
        .compose(r -> r.body().map(b -> {
      assertThat(r.statusCode()).as(method + " " + uri + ": " + b).isEqualTo(status);
      return b;
    })))).toJsonObject();
  }

  @Test
  @DisplayName("the proxy verifies on a schedule and on POST /admin/verify; GET /admin/verify shows the verdict with"
      + " its evidence and the recent verdicts; without a verify section the endpoints say so (404)")
  void adminVerify() throws Exception {
    String legacy = databases.create("api_legacy");
    String shadow = databases.create("api_shadow");
    for (String url : new String[] {legacy, shadow}) {
      var p = PgBuilder.pool().connectingTo(url).using(h.vertx).build();
      p.query("CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT i, i FROM"
          + " generate_series(1, 100) i").execute().await(30, TimeUnit.SECONDS);
      p.close();
    }
    int backend = h.backend(req -> req.response().end("ok")).actualPort();
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, primary: legacy } ]
        verify:
          primary: %s
          shadow: %s
          history: "%s"
          schedule: 1h
          readiness: { cleanRuns: 2 }
          tables: [ { name: orders, key: [id] } ]
        """.formatted(TandemHarness.TOKEN, backend, legacy, shadow, dir.resolve("h.jsonl")));
    assertThat(admin(t, HttpMethod.GET, "/admin/verify", 200).getValue("latest")).isNull();
    assertThat(admin(t, HttpMethod.POST, "/admin/verify", 202).getBoolean("started")).isTrue();
    eventually("a verdict", () -> admin(t, HttpMethod.GET, "/admin/verify", 200).getJsonObject("latest") != null);
    JsonObject first = admin(t, HttpMethod.GET, "/admin/verify", 200);
    assertThat(first.getJsonObject("latest").getString("verdict")).isEqualTo("MONITORING_REQUIRED");
    assertThat(first.getJsonObject("latest").getJsonArray("reasons").encode()).contains("1 of 2 consecutive clean runs");
    assertThat(first.getString("schedule")).isEqualTo("1h");
    admin(t, HttpMethod.POST, "/admin/verify", "{\"reason\": \"before the release\"}", 202);
    JsonObject audited = admin(t, HttpMethod.GET, "/admin/audit", 200).getJsonArray("entries").getJsonObject(0);
    assertThat(audited.getString("action")).isEqualTo("verify_now");
    assertThat(audited.getString("route")).isEqualTo("@verify");
    assertThat(audited.getString("caller")).isEqualTo("admin");
    assertThat(audited.getString("reason")).isEqualTo("before the release");
    eventually("a second verdict", () -> admin(t, HttpMethod.GET, "/admin/verify", 200).getJsonObject("history")
        .getJsonArray("recent").size() == 2);
    JsonObject second = admin(t, HttpMethod.GET, "/admin/verify", 200).getJsonObject("latest");
    assertThat(second.getString("verdict")).isEqualTo("READY_FOR_CUTOVER");
    assertThat(second.getJsonObject("evidence").getJsonArray("tables").getJsonObject(0).getLong("primaryRows"))
        .isEqualTo(100);

    Tandem scheduled = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, primary: legacy } ]
        verify: { primary: %s, shadow: %s, history: "%s", schedule: 1s, tables: [ { name: orders, key: [id] } ] }
        """.formatted(TandemHarness.TOKEN, backend, legacy, shadow, dir.resolve("scheduled.jsonl")));
    eventually("a scheduled verdict, without asking", () -> admin(scheduled, HttpMethod.GET, "/admin/verify", 200)
        .getJsonObject("latest") != null);

    assertThat(admin(t, HttpMethod.POST, "/admin/verify", "{\"why\": \"x\"}", 400).getString("message"))
        .contains("only give a reason");

    Tandem plain = h.proxyTo(backend, "");
    assertThat(admin(plain, HttpMethod.GET, "/admin/verify", 404).getString("message")).contains("no verify:");
  }
}
