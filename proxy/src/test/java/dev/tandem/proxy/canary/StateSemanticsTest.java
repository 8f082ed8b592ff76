package dev.tandem.proxy.canary;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a restart does with what operators changed: only their changes are kept, each with the configured value it
 * overrode; the configuration wins when it changed since; nothing from an earlier run changes behaviour silently.
 */
class StateSemanticsTest {

  private final TandemHarness h = new TandemHarness();
  private final AtomicInteger shadowCopies = new AtomicInteger();
  private final int legacy = h.backend(req -> req.response().end("legacy")).actualPort();
  private final int candidate = h.backend(req -> {
    if ("true".equals(req.getHeader("X-Shadow-Request"))) {
      shadowCopies.incrementAndGet();
    }
    req.response().end("candidate");
  }).actualPort();
  private final Path state = h.stateDir().resolve("state.json");

  @AfterEach
  void close() {
    h.close();
  }

  private Tandem tandem(double weight, double mirror, String routeName) {
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: %s
            primary: legacy
            canary: { backend: candidate, weight: %s }
            mirror: { backend: candidate, percent: %s }
        state: { file: "%s" }
        """.formatted(TandemHarness.TOKEN, legacy, candidate, routeName, weight, mirror, state));
  }

  private static double weight(Tandem t, String route) {
    return t.routes().byName(route).orElseThrow().state().canaryWeight();
  }

  private static double mirror(Tandem t, String route) {
    return t.routes().byName(route).orElseThrow().state().mirrorPercent();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private List<String> actions(Tandem t) {
    JsonArray entries = h.admin(t, HttpMethod.GET, "/admin/audit", null).json().getJsonArray("entries");
    return entries.stream().map(o -> ((JsonObject) o).getString("action")).toList();
  }

  @Test
  @DisplayName("an operator's weight outlives a restart while the file's value is unchanged, and the start says so")
  void overrideStands() {
    Tandem a = tandem(0, 0, "orders");
    assertThat(h.admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 30, \"reason\": \"more\"}")
        .status()).isEqualTo(200);
    await(a.close());
    Tandem b = tandem(0, 0, "orders");
    assertThat(weight(b, "orders")).isEqualTo(30.0);
    assertThat(b.control().notices()).singleElement().asString()
        .startsWith("route orders: canary weight 30% (set by admin at ").endsWith("; the file says 0%)");
    JsonObject route = h.admin(b, HttpMethod.GET, "/admin/routes", null).json().getJsonArray("routes")
        .getJsonObject(0);
    assertThat(route.getJsonObject("overrides").getJsonObject("canaryWeight").getDouble("configured")).isZero();
    assertThat(route.getJsonObject("overrides").containsKey("mirrorPercent")).as("never changed: not kept").isFalse();
  }

  @Test
  @DisplayName("a value changed in the file since the override wins at the next start, audited as config_changed")
  void fileWinsWhenItChanged() throws Exception {
    Tandem a = tandem(0, 0, "orders");
    h.admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 30}");
    await(a.close());
    Tandem b = tandem(5, 0, "orders");
    assertThat(weight(b, "orders")).isEqualTo(5.0);
    assertThat(b.control().notices()).singleElement().asString().isEqualTo("route orders: canary weight 5% from"
        + " the configuration, which changed since admin set 30% (the override is dropped)");
    eventually("config_changed is audited", () -> actions(b).contains("config_changed"));
    eventually("the dropped override is saved", () -> read(state).contains("\"overrides\":{}"));
    await(b.close());
    Tandem c = tandem(5, 0, "orders");
    assertThat(weight(c, "orders")).isEqualTo(5.0);
    assertThat(c.control().notices()).isEmpty();
  }

  @Test
  @DisplayName("a state file from an earlier Tandem that says mirror 0% does not stop a configured mirror: reported,"
      + " not applied")
  void legacyStateNotApplied() throws Exception {
    Files.writeString(state, "{\"routes\":{\"orders\":{\"version\":3,\"canaryWeight\":0.0,\"mirrorPercent\":0.0}},"
        + "\"audit\":[]}");
    Tandem t = tandem(0, 100, "orders");
    assertThat(mirror(t, "orders")).isEqualTo(100.0);
    assertThat(t.control().notices()).singleElement().asString().contains("route orders:",
        "saved by an earlier Tandem (canary weight 0%, mirror 0%)", "not applied, the file's values stand");
    h.call(() -> h.client().request(io.vertx.core.http.HttpMethod.GET, t.port(), "127.0.0.1", "/orders/1")
        .compose(r -> r.send()).compose(r -> r.body()));
    eventually("the request is mirrored", () -> shadowCopies.get() == 1);
  }

  @Test
  @DisplayName("reset drops the overrides: the file's weight and percent again, here and after a restart")
  void reset() {
    Tandem a = tandem(0, 10, "orders");
    h.admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 30}");
    h.admin(a, HttpMethod.PUT, "/admin/routes/orders/mirror", "{\"percent\": 50}");
    TandemHarness.Admin r = h.admin(a, HttpMethod.POST, "/admin/routes/orders/reset", "{\"reason\": \"back\"}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getJsonObject("canary").getDouble("weight")).isZero();
    assertThat(r.json().getJsonObject("mirror").getDouble("percent")).isEqualTo(10.0);
    assertThat(r.json().containsKey("overrides")).isFalse();
    assertThat(actions(a)).contains("reset");
    assertThat(h.admin(a, HttpMethod.POST, "/admin/routes/nope/reset", null).status()).isEqualTo(404);
    await(a.close());
    Tandem b = tandem(0, 10, "orders");
    assertThat(weight(b, "orders")).isZero();
    assertThat(mirror(b, "orders")).isEqualTo(10.0);
    assertThat(b.control().notices()).isEmpty();
  }

  @Test
  @DisplayName("the state of a route that is no longer in the configuration is reported, not applied")
  void removedRoute() {
    Tandem a = tandem(0, 0, "orders");
    h.admin(a, HttpMethod.PUT, "/admin/routes/orders/canary", "{\"weight\": 30}");
    await(a.close());
    Tandem b = tandem(0, 0, "checkout");
    assertThat(weight(b, "checkout")).isZero();
    assertThat(b.control().notices()).containsExactly(
        "saved state of route 'orders', which is not in the configuration, is not applied");
  }
}
