package dev.tandem.proxy.edge;

import dev.tandem.proxy.RawHttp;
import dev.tandem.proxy.RecordingBackend;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A route's {@code requestBuffering}: a body of undeclared length is read whole before a backend is asked, so one
 * over {@code maxBodyBytes} is refused with 413 while the backend, the mirror and the capture have heard nothing.
 */
class RequestBufferingTest {

  private static final String CRLF = "\r\n";

  private final TandemHarness h = new TandemHarness();
  private final RecordingBackend backend = new RecordingBackend(h.vertx);
  private final Queue<String> shadowGot = new ConcurrentLinkedQueue<>();

  @AfterEach
  void close() {
    h.close();
  }

  private Tandem tandem(String server) {
    return tandem(server, backend.port(), true);
  }

  private Tandem tandem(String server, int primaryPort, boolean buffering) {
    int shadow = h.backend(req -> req.body().onSuccess(b -> {
      shadowGot.add(req.method() + " " + req.uri() + " " + b);
      req.response().end("{}");
    })).actualPort();
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 %s }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: uploads
            primary: legacy
            maxBodyBytes: 1KB
            requestBuffering: %s
            mirror: { backend: candidate, percent: 100 }
        """.formatted(server, TandemHarness.TOKEN, primaryPort, shadow, buffering));
  }

  /** The head of a chunked POST; its chunks follow. */
  private static String chunkedHead(String path) {
    return "POST " + path + " HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Transfer-Encoding: chunked" + CRLF + CRLF;
  }

  private static String chunk(int n, char c) {
    return Integer.toHexString(n) + CRLF + String.valueOf(c).repeat(n) + CRLF;
  }

  private double rejected(String reason) {
    Counter c = h.registry.find("tandem.rejected.requests").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private double held() {
    Gauge g = h.registry.find("tandem.request.buffer").gauge();
    return g == null ? -1 : g.value();
  }

  @Test
  @DisplayName("a chunked body within maxBodyBytes reaches the backend whole, with its Content-Length and no chunked"
      + " framing, and the mirror gets the same bytes")
  void heldThenSent() throws IOException {
    Tandem t = tandem("");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw(chunkedHead("/up") + chunk(300, 'a'));
      // The first chunk is held: nothing reaches the backend until the body has ended.
      eventually("the gauge holds the first chunk", () -> held() == 300);
      assertThat(backend.received()).isEmpty();
      c.sendRaw(chunk(200, 'b') + "0" + CRLF + CRLF);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok POST /up " + "a".repeat(300) + "b".repeat(200));
    }
    assertThat(backend.requests()).containsExactly("POST /up");
    assertThat(backend.headers().get(0).get("Content-Length")).isEqualTo("500");
    assertThat(backend.headers().get(0).contains("Transfer-Encoding")).isFalse();
    eventually("the shadow got the copy", () -> shadowGot.contains("POST /up " + "a".repeat(300) + "b".repeat(200)));
    eventually("the budget is given back", () -> held() == 0);
  }

  @Test
  @DisplayName("a chunked body over maxBodyBytes gets 413 and the connection closed; the backend and the mirror"
      + " received nothing")
  void refusedBeforeTheBackend() throws IOException {
    Tandem t = tandem("");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw(chunkedHead("/up") + chunk(600, 'c') + chunk(600, 'c') + "0" + CRLF + CRLF);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(413);
      assertThat(new JsonObject(r.body()).getString("rule")).isEqualTo("body_too_large");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.received()).as("not a byte, not even the head").isEmpty();
    assertThat(rejected("body_too_large")).isEqualTo(1);
    assertThat(shadowGot).isEmpty();
    assertThat(held()).isZero();
  }

  @Test
  @DisplayName("Expect: 100-continue on a held body: Tandem answers 100 itself, and the backend gets no Expect")
  void expectAnsweredByTandem() throws IOException {
    Tandem t = tandem("");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("POST /up HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Expect: 100-continue" + CRLF
          + "Transfer-Encoding: chunked" + CRLF + CRLF);
      assertThat(c.readHead()).startsWith("HTTP/1.1 100");
      c.sendRaw(chunk(10, 'e') + "0" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
    assertThat(backend.headers().get(0).contains("Expect")).isFalse();
    assertThat(backend.headers().get(0).get("Content-Length")).isEqualTo("10");
    eventually("the shadow got the copy", () -> shadowGot.contains("POST /up " + "e".repeat(10)));
  }

  @Test
  @DisplayName("bodies held at once are bounded by server.requestBufferBytes: beyond it 503 request_buffers_full,"
      + " nothing forwarded, and the first upload still goes through")
  void budgetBound() throws IOException {
    Tandem t = tandem(", requestBufferBytes: 1KB");
    try (RawHttp first = new RawHttp(t.port()); RawHttp second = new RawHttp(t.port())) {
      first.sendRaw(chunkedHead("/first") + chunk(700, 'f'));
      eventually("the first body is held", () -> held() == 700);
      second.sendRaw(chunkedHead("/second") + chunk(700, 's') + "0" + CRLF + CRLF);
      RawHttp.Response refused = second.readResponse();
      assertThat(refused.status()).isEqualTo(503);
      assertThat(new JsonObject(refused.body()).getString("rule")).isEqualTo("request_buffers_full");
      assertThat(second.closedByPeer()).isTrue();
      assertThat(rejected("request_buffers_full")).isEqualTo(1);

      first.sendRaw("0" + CRLF + CRLF);
      assertThat(first.readResponse().status()).isEqualTo(200);
    }
    assertThat(backend.requests()).containsExactly("POST /first");
    eventually("the budget is given back", () -> held() == 0);
  }

  @Test
  @DisplayName("HTTP/2 without content-length: a GET goes out bodiless, a body within the limit with its length, one"
      + " over it is refused with 413 and the backend hears nothing")
  void http2() {
    Tandem t = tandem("");
    io.vertx.core.http.HttpClientAgent client = h.vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    java.util.function.BiFunction<io.vertx.core.http.HttpMethod, String, String> call = (method, body) ->
        h.call(() -> client.request(new io.vertx.core.http.RequestOptions().setHost("127.0.0.1").setPort(t.port())
                .setMethod(method).setURI("/up"))
            .compose(req -> {
              if (body == null) {
                return req.send();
              }
              req.setChunked(true); // no length: the body ends with the stream
              return req.send(io.vertx.core.buffer.Buffer.buffer(body));
            })
            .compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b)));
    assertThat(call.apply(io.vertx.core.http.HttpMethod.GET, null)).isEqualTo("200 ok GET /up ");
    assertThat(backend.headers().get(0).contains("Content-Length")).isFalse();
    assertThat(backend.headers().get(0).contains("Transfer-Encoding")).isFalse();
    assertThat(call.apply(io.vertx.core.http.HttpMethod.PUT, "p".repeat(500)))
        .isEqualTo("200 ok PUT /up " + "p".repeat(500));
    assertThat(backend.headers().get(1).get("Content-Length")).isEqualTo("500");
    String before = backend.received();
    assertThat(call.apply(io.vertx.core.http.HttpMethod.PUT, "q".repeat(2000))).startsWith("413 ");
    assertThat(backend.received()).as("nothing more reached the backend").isEqualTo(before);
    eventually("the budget is given back", () -> held() == 0);
  }

  @Test
  @DisplayName("one HTTP/2 connection holds at most a quarter of server.requestBufferBytes: a second stream beyond"
      + " it gets 503, the first goes through")
  void http2ConnectionShare() {
    Tandem t = tandem(", requestBufferBytes: 4KB"); // a connection may hold 1KB
    io.vertx.core.http.HttpClientAgent client = h.vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false),
        new io.vertx.core.http.PoolOptions().setHttp2MaxSize(1)); // both streams on one connection
    io.vertx.core.http.RequestOptions put = new io.vertx.core.http.RequestOptions().setHost("127.0.0.1")
        .setPort(t.port()).setMethod(io.vertx.core.http.HttpMethod.PUT).setURI("/up");
    io.vertx.core.http.HttpClientRequest first = h.call(() -> client.request(put));
    h.call(() -> first.setChunked(true).write("f".repeat(700)));
    eventually("the first stream's body is held", () -> held() == 700);
    String second = h.call(() -> client.request(put).compose(req -> req.setChunked(true)
        .send(io.vertx.core.buffer.Buffer.buffer("s".repeat(700)))).compose(r -> r.body()
        .map(b -> r.statusCode() + " " + new JsonObject(b).getString("rule"))));
    assertThat(second).isEqualTo("503 request_buffers_full");
    String done = h.call(() -> first.end().compose(v -> first.response()).compose(r -> r.body()
        .map(b -> r.statusCode() + " " + b)));
    assertThat(done).isEqualTo("200 ok PUT /up " + "f".repeat(700));
    eventually("the budget is given back", () -> held() == 0);
  }

  @Test
  @DisplayName("a held body that does not end within server.requestBufferTimeout gets 408 request_buffer_timeout;"
      + " the backend heard nothing and the budget is given back")
  void holdDeadline() throws IOException {
    Tandem t = tandem(", requestBufferTimeout: 300ms");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw(chunkedHead("/up") + chunk(100, 't'));
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(408);
      assertThat(new JsonObject(r.body()).getString("rule")).isEqualTo("request_buffer_timeout");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.received()).isEmpty();
    assertThat(rejected("request_buffer_timeout")).isEqualTo(1);
    eventually("the budget is given back", () -> held() == 0);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "requestBuffering: {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  @DisplayName("the primary unreachable: the client gets 502, and the body (held or streamed) still reaches the"
      + " mirror's copy, whose ledger settles")
  void primaryUnreachable(boolean buffering) throws IOException {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Tandem t = tandem("", closed, buffering);
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw(chunkedHead("/up") + chunk(50, 'u') + "0" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(502);
    }
    dev.tandem.proxy.mirror.MirrorLedger ledger = t.mirroring().ledgers().get("uploads");
    eventually("the copy reaches an outcome: " + ledger.snapshot().encode(), () ->
        ledger.get(dev.tandem.proxy.mirror.Outcome.ELIGIBLE) == 1 && ledger.inFlight() == 0
            && ledger.snapshot().getBoolean("balanced"));
    eventually("the budget is given back", () -> held() == 0);
  }

  @Test
  @DisplayName("a client that leaves while its body is held gives the budget back; nothing reaches the backend")
  void clientLeaves() throws IOException {
    Tandem t = tandem("");
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw(chunkedHead("/up") + chunk(400, 'x'));
      eventually("the body is held", () -> held() == 400);
    }
    eventually("the budget is given back", () -> held() == 0);
    assertThat(backend.received()).isEmpty();
  }
}
