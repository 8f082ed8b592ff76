package dev.tandem.proxy.canary;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.tandem.proxy.TandemHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

class CanaryRoutingTest {

  private final TandemHarness h = new TandemHarness();

  @AfterEach
  void close() {
    h.close();
  }

  /** Who answered, and the response's Set-Cookie and X-Tandem-Backend headers. */
  record Answer(String body, List<String> setCookies, String backendHeader) {
  }

  private Tandem tandem(double weight, String canaryExtra) {
    int legacy = h.backend(req -> req.response().end("legacy")).actualPort();
    int candidate = h.backend(req -> req.response().end("candidate")).actualPort();
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 2 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: default
            primary: legacy
            canary: { backend: candidate, weight: %s %s }
        """.formatted(TandemHarness.TOKEN, legacy, candidate, weight, canaryExtra));
  }

  private Answer get(Tandem t, String... headers) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(t.port())
        .setURI("/x");
    for (int i = 0; i < headers.length; i += 2) {
      o.addHeader(headers[i], headers[i + 1]);
    }
    return await(h.onContext(() -> h.client().request(o).compose(r -> r.send()).compose(r -> r.body()
        .map(b -> new Answer(b.toString(), r.cookies(), r.getHeader("X-Tandem-Backend"))))));
  }

  @Test
  @DisplayName("X-Canary: always/true sends to the canary and never to the primary, whatever the weight")
  void headerOptIn() {
    Tandem none = tandem(0, "");
    assertThat(get(none, "X-Canary", "always").body()).isEqualTo("candidate");
    assertThat(get(none, "X-Canary", "true").body()).isEqualTo("candidate");
    assertThat(get(none, "X-Canary", "maybe").body()).isEqualTo("legacy");
    Tandem all = tandem(100, "");
    assertThat(get(all).body()).isEqualTo("candidate");
    assertThat(get(all, "X-Canary", "never").body()).isEqualTo("legacy");
  }

  @Test
  @DisplayName("the cookie canary=always|never opts in and out; the header wins over the cookie")
  void cookieOptIn() {
    Tandem t = tandem(0, "");
    assertThat(get(t, "Cookie", "a=1; canary=always").body()).isEqualTo("candidate");
    assertThat(get(t, "Cookie", "canary=always", "X-Canary", "never").body()).isEqualTo("legacy");
    Tandem all = tandem(100, "");
    assertThat(get(all, "Cookie", "canary=never").body()).isEqualTo("legacy");
  }

  @Test
  @DisplayName("NGINX's canary-by-header-value and -pattern, and a regex on another header")
  void headerValueAndPatterns() {
    Tandem t = tandem(0, """
        , header: X-Region, headerValue: eu-west, headerPattern: "^test-", cookie: beta,
          matchHeaders: { X-User-Group: "^beta-" }""");
    assertThat(get(t, "X-Region", "eu-west").body()).isEqualTo("candidate");
    assertThat(get(t, "X-Region", "test-7").body()).isEqualTo("candidate");
    assertThat(get(t, "X-Region", "us-east").body()).isEqualTo("legacy");
    assertThat(get(t, "X-User-Group", "beta-testers").body()).isEqualTo("candidate");
    assertThat(get(t, "X-User-Group", "staff").body()).isEqualTo("legacy");
    assertThat(get(t, "Cookie", "beta=always").body()).isEqualTo("candidate");
    assertThat(get(t, "X-Canary", "always").body()).as("the default header is replaced").isEqualTo("legacy");
  }

  @Test
  @DisplayName("a first request gets the sticky cookie (Max-Age, HttpOnly, SameSite=Lax, Path=/); with it, the same side")
  void stickyCookie() {
    Tandem t = tandem(50, ", backendHeader: X-Tandem-Backend");
    Answer first = get(t);
    assertThat(first.setCookies()).hasSize(1);
    String cookie = first.setCookies().get(0);
    assertThat(cookie).startsWith("tandem_canary=").contains("Max-Age=2592000").contains("Path=/")
        .contains("SameSite=Lax");
    assertThat(cookie.toLowerCase(java.util.Locale.ROOT)).contains("; httponly");
    String pair = cookie.substring(0, cookie.indexOf(';'));
    String side = first.body();
    assertThat(first.backendHeader()).isEqualTo(side);
    for (int i = 0; i < 20; i++) {
      Answer again = get(t, "Cookie", pair);
      assertThat(again.body()).isEqualTo(side);
      assertThat(again.setCookies()).as("the cookie is set once").isEmpty();
    }
  }

  @Test
  @DisplayName("at weight 0 or 100 no sticky cookie is set: every user is on one side")
  void noCookieAtTheEnds() {
    assertThat(get(tandem(0, "")).setCookies()).isEmpty();
    assertThat(get(tandem(100, "")).setCookies()).isEmpty();
  }

  @Test
  @DisplayName("with a sticky header (a user id), the split over many users follows the weight, each user stays put")
  void stickyHeaderSplit() {
    Tandem t = tandem(30, ", sticky: { header: X-User-Id }");
    int canary = 0;
    for (int i = 0; i < 400; i++) {
      String user = "user-" + i;
      String side = get(t, "X-User-Id", user).body();
      assertThat(get(t, "X-User-Id", user).body()).isEqualTo(side);
      canary += side.equals("candidate") ? 1 : 0;
    }
    // 400 users at 30%: the exact count is fixed by the hash; 120 ± 30 would catch a wrong mapping.
    assertThat(canary).isBetween(90, 150);
    assertThat(get(t, "X-User-Id", "user-1").setCookies()).as("no cookie when the header identifies the user")
        .isEmpty();
  }

  @Test
  @DisplayName("requests are counted by the backend that answered")
  void metricsByBackend() {
    Tandem t = tandem(0, "");
    get(t, "X-Canary", "always");
    get(t);
    // Counted when the answer has been written, which may be just after the client read it.
    TandemHarness.eventually("both requests counted by backend", () -> h.registry.scrape()
        .contains("tandem_requests_total{backend=\"candidate\",code=\"200\",grpc_status=\"\",route=\"default\"} 1.0")
        && h.registry.scrape().contains("tandem_requests_total{backend=\"legacy\",code=\"200\",grpc_status=\"\",route=\"default\"} 1.0"));
    assertThat(h.registry.scrape()).contains("tandem_canary_weight{route=\"default\"} 0.0");
  }
}
