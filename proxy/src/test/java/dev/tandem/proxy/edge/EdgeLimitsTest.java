package dev.tandem.proxy.edge;

import dev.tandem.proxy.RawHttp;
import dev.tandem.proxy.RecordingBackend;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/** Slow and greedy clients: deadlines for the head and the body, connection and body-size limits. */
class EdgeLimitsTest {

  private static final String CRLF = "\r\n";

  private final TandemHarness h = new TandemHarness();
  private final RecordingBackend backend = new RecordingBackend(h.vertx);

  @AfterEach
  void close() {
    h.close();
  }

  private Tandem tandem(int backendPort, String server, String route) {
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, %s }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: "http://127.0.0.1:%d"
        routes:
          - { name: default, primary: legacy %s }
        """.formatted(server, TandemHarness.TOKEN, backendPort, route));
  }

  private double rejected(String reason) {
    Counter c = h.registry.find("tandem.rejected.requests").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private static String rule(String response) {
    return new JsonObject(response.substring(response.indexOf("\r\n\r\n") + 4)).getString("rule");
  }

  @Test
  @DisplayName("slowloris: a head that arrives a byte at a time is cut off at headerTimeout with 408")
  void slowHead() {
    Tandem t = tandem(backend.port(), "headerTimeout: 400ms", "");
    String head = "GET /x HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "X-Padding: " + "p".repeat(200) + CRLF + CRLF;
    String answer = await(new SlowClient(h.vertx, t.port(), "G", head.substring(1), 50).whenClosed());
    assertThat(answer).startsWith("HTTP/1.1 408");
    assertThat(rule(answer)).isEqualTo("header_timeout");
    assertThat(backend.received()).isEmpty();
    assertThat(rejected("header_timeout")).isEqualTo(1);
  }

  @Test
  @DisplayName("a connection that sends nothing is closed at headerTimeout, without an answer")
  void silentConnection() throws IOException {
    Tandem t = tandem(backend.port(), "headerTimeout: 300ms", "");
    try (RawHttp c = new RawHttp(t.port())) {
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(rejected("header_timeout")).isEqualTo(1);
  }

  @Test
  @DisplayName("a keep-alive connection between requests is not held to headerTimeout")
  void idleKeepAliveIsNotAHeadTimeout() throws IOException {
    Tandem t = tandem(backend.port(), "headerTimeout: 300ms", "");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("GET /1 HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(200);
      // Idle for three head timeouts (polling the counter, so the connection sits unused in between).
      long until = System.nanoTime() + 900_000_000L;
      eventually("900 ms pass", () -> System.nanoTime() > until && rejected("header_timeout") == 0);
      c.sendRaw("GET /2 HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("a body that stops is cut off at bodyTimeout with 408; the backend never gets a whole request")
  void stalledBody() throws IOException {
    Tandem t = tandem(backend.port(), "bodyTimeout: 300ms", "");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("POST /up HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Content-Length: 100" + CRLF + CRLF + "0123456789");
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(408);
      assertThat(new JsonObject(r.body()).getString("rule")).isEqualTo("body_timeout");
      assertThat(c.closedByPeer()).isTrue();
    }
    eventually("the backend's request is reset", () -> backend.aborted().contains("POST /up"));
    assertThat(backend.requests()).isEmpty();
    assertThat(rejected("body_timeout")).isEqualTo(1);
  }

  @Test
  @DisplayName("Expect: 100-continue does not shield a body that trickles in without waiting for the 100")
  void slowBodyBehindExpect() {
    Tandem t = tandem(backend.port(), "bodyTimeout: 300ms, minBodyRate: 1KB", "");
    String head = "POST /up HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Expect: 100-continue" + CRLF
        + "Content-Length: 1000" + CRLF + CRLF;
    String answer = await(new SlowClient(h.vertx, t.port(), head, "x".repeat(1000), 50).whenClosed());
    assertThat(answer).startsWith("HTTP/1.1 408");
    assertThat(rule(answer)).isEqualTo("body_too_slow");
  }

  @Test
  @DisplayName("a head left half-sent behind a pipelined request is held to headerTimeout")
  void partialPipelinedHead() throws IOException {
    Tandem t = tandem(backend.port(), "headerTimeout: 300ms", "");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("GET /a HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF + "GET /b HTTP/1.1" + CRLF + "Host: a");
      assertThat(c.readResponse().status()).isEqualTo(200);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(408);
      assertThat(new JsonObject(r.body()).getString("rule")).isEqualTo("header_timeout");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.requests()).containsExactly("GET /a");
  }

  @Test
  @DisplayName("slow POST: a body that trickles below minBodyRate is cut off with 408, though no gap is long")
  void slowBody() {
    Tandem t = tandem(backend.port(), "bodyTimeout: 300ms, minBodyRate: 1KB", "");
    String head = "POST /up HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Content-Length: 1000" + CRLF + CRLF;
    String answer = await(new SlowClient(h.vertx, t.port(), head, "x".repeat(1000), 50).whenClosed());
    assertThat(answer).startsWith("HTTP/1.1 408");
    assertThat(rule(answer)).isEqualTo("body_too_slow");
    assertThat(backend.requests()).isEmpty();
  }

  @Test
  @DisplayName("time the backend takes to read, or to say 100 Continue, is not held against the client")
  void backendSlownessIsNotTheClients() throws IOException {
    HttpServer slow = await(h.vertx.createHttpServer(new HttpServerOptions().setHandle100ContinueAutomatically(false))
        .requestHandler(req -> {
          req.pause();
          // Reads nothing for 1.2 s (four body timeouts): Tandem's buffers fill and it stops reading the client.
          h.vertx.setTimer(1200, id -> {
            if ("100-continue".equals(req.getHeader("Expect"))) {
              req.response().writeContinue();
            }
            req.resume();
            req.body().onSuccess(b -> req.response().end("read " + b.length()));
          });
        }).listen(0, "127.0.0.1"));
    Tandem t = tandem(slow.actualPort(), "bodyTimeout: 300ms, minBodyRate: 1MB", ", maxBodyBytes: 64MB");
    int size = 16 * 1024 * 1024;
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("POST /big HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Content-Length: " + size + CRLF + CRLF);
      c.sendRaw("b".repeat(size));
      RawHttp.Response r = c.readResponse();
      assertThat(r.body()).isEqualTo("read " + size);
      c.sendRaw("POST /expect HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Content-Length: 5" + CRLF
          + "Expect: 100-continue" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(100);
      c.sendRaw("hello");
      assertThat(c.readResponse().body()).isEqualTo("read 5");
    }
    assertThat(rejected("body_timeout") + rejected("body_too_slow")).isZero();
  }

  @Test
  @DisplayName("beyond maxConnections a connection is closed at once and counted; a freed slot takes the next")
  void maxConnections() throws IOException {
    Tandem t = tandem(backend.port(), "maxConnections: 2", "");
    List<RawHttp> open = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        RawHttp c = new RawHttp(t.port());
        open.add(c);
        c.sendRaw("GET /" + i + " HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF);
        assertThat(c.readResponse().status()).isEqualTo(200);
      }
      try (RawHttp third = new RawHttp(t.port())) {
        assertThat(third.closedByPeer()).isTrue();
      }
      assertThat(rejected("too_many_connections")).isEqualTo(1);
      open.remove(0).close();
      eventually("the slot is freed", () -> t.edge().openConnections() == 1);
      try (RawHttp next = new RawHttp(t.port())) {
        next.sendRaw("GET /next HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF);
        assertThat(next.readResponse().status()).isEqualTo(200);
      }
    } finally {
      for (RawHttp c : open) {
        c.close();
      }
    }
  }

  @Test
  @DisplayName("a Content-Length over the route's maxBodyBytes gets 413 before the backend is asked")
  void declaredBodyTooLarge() throws IOException {
    Tandem t = tandem(backend.port(), "instances: 1", ", maxBodyBytes: 1KB");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("POST /up HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Content-Length: 2000" + CRLF + CRLF
          + "z".repeat(2000));
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(413);
      assertThat(new JsonObject(r.body()).getString("rule")).isEqualTo("body_too_large");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.received()).isEmpty();
    assertThat(rejected("body_too_large")).isEqualTo(1);
  }

  @Test
  @DisplayName("a chunked body that grows over maxBodyBytes gets 413; the backend's request is reset, never whole")
  void chunkedBodyTooLarge() throws IOException {
    Tandem t = tandem(backend.port(), "instances: 1", ", maxBodyBytes: 1KB");
    String chunk = Integer.toHexString(600) + CRLF + "c".repeat(600) + CRLF;
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("POST /up HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Transfer-Encoding: chunked" + CRLF + CRLF
          + chunk);
      eventually("the first chunk reaches the backend", () -> backend.received().contains("c".repeat(600)));
      c.sendRaw(chunk + chunk + "0" + CRLF + CRLF);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(413);
      assertThat(new JsonObject(r.body()).getString("rule")).isEqualTo("body_too_large");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.requests()).isEmpty();
    assertThat(backend.received().length()).isLessThan(1300);
  }
}
