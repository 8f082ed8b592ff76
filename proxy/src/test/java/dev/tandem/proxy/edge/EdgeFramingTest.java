package dev.tandem.proxy.edge;

import dev.tandem.proxy.RawHttp;
import dev.tandem.proxy.RecordingBackend;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.TestCertificates;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 9112 framing at the edge, tried with raw bytes: each refused request gets its status and a JSON body naming
 * the rule, the connection is closed, and nothing of it reaches the backend, the mirror, the comparator or the
 * capture — which a probe request sent afterwards, and seen alone everywhere, proves.
 */
class EdgeFramingTest {

  private static final String CRLF = "\r\n";

  private final TandemHarness h = new TandemHarness();
  private RecordingBackend backend;
  private RecordingBackend shadow;
  private Tandem t;

  @BeforeEach
  void start() {
    backend = new RecordingBackend(h.vertx);
    shadow = new RecordingBackend(h.vertx);
    t = tandem("");
  }

  @AfterEach
  void close() {
    h.close();
  }

  /** Opens a client connection: plain, or over TLS. */
  private interface Client {
    RawHttp open() throws IOException;
  }

  /** A Tandem mirroring, comparing and capturing every request; each with a capture directory of its own. */
  private Tandem tandem(String serverExtra) {
    Path captures;
    try {
      captures = Files.createTempDirectory(h.stateDir(), "captures");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 %s }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: "http://127.0.0.1:%d"
          shadow: "http://127.0.0.1:%d"
        routes:
          - name: default
            primary: legacy
            mirror: { backend: shadow, percent: 100, compare: true }
        capture: { enabled: true, percent: 100, dir: "%s", file: { gzip: false } }
        """.formatted(serverExtra, TandemHarness.TOKEN, backend.port(), shadow.port(), captures));
  }

  private static final String POST = "POST /x HTTP/1.1" + CRLF + "Host: shop.test" + CRLF;
  private static final String SMUGGLE = POST + "Content-Length: 4" + CRLF + "Transfer-Encoding: chunked" + CRLF
      + CRLF + "0" + CRLF + CRLF + "GET /smuggled HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + CRLF;
  private static final Arguments SMUGGLED = Arguments.of(
      "Content-Length with chunked, a request smuggled after the chunks", SMUGGLE, 400,
      "content_length_with_transfer_encoding");
  private static final Arguments CHUNK_SIZE_NOT_HEX = Arguments.of("a chunk size that is not hex",
      POST + "Transfer-Encoding: chunked" + CRLF + CRLF + "zz" + CRLF + "hello" + CRLF + "0" + CRLF + CRLF,
      400, "invalid_chunk");

  static Stream<Arguments> refused() {
    return Stream.of(
        SMUGGLED,
        Arguments.of("an unknown transfer coding (xchunked) beside a length",
            POST + "Transfer-Encoding: xchunked" + CRLF + "Content-Length: 5" + CRLF + CRLF + "hello",
            400, "content_length_with_transfer_encoding"),
        Arguments.of("an unknown transfer coding (xchunked)",
            POST + "Transfer-Encoding: xchunked" + CRLF + CRLF + "5" + CRLF + "hello" + CRLF + "0" + CRLF + CRLF,
            501, "transfer_encoding_unsupported"),
        Arguments.of("chunked, identity",
            POST + "Transfer-Encoding: chunked, identity" + CRLF + CRLF + "0" + CRLF + CRLF,
            501, "transfer_encoding_unsupported"),
        Arguments.of("gzip before chunked (a coding Tandem does not undo)",
            POST + "Transfer-Encoding: gzip, chunked" + CRLF + CRLF + "0" + CRLF + CRLF,
            501, "transfer_encoding_unsupported"),
        Arguments.of("chunked not the final coding",
            POST + "Transfer-Encoding: chunked, gzip" + CRLF + CRLF + "0" + CRLF + CRLF,
            400, "chunked_not_final"),
        Arguments.of("chunked applied twice",
            POST + "Transfer-Encoding: chunked, chunked" + CRLF + CRLF + "0" + CRLF + CRLF,
            400, "chunked_not_final"),
        Arguments.of("two Transfer-Encoding lines",
            POST + "Transfer-Encoding: chunked" + CRLF + "Transfer-Encoding: chunked" + CRLF + CRLF + "0" + CRLF + CRLF,
            400, "transfer_encoding_repeated"),
        Arguments.of("Transfer-Encoding in HTTP/1.0",
            "POST /x HTTP/1.0" + CRLF + "Host: shop.test" + CRLF + "Transfer-Encoding: chunked" + CRLF + CRLF
                + "0" + CRLF + CRLF,
            400, "transfer_encoding_in_http10"),
        Arguments.of("two differing Content-Length lines",
            POST + "Content-Length: 5" + CRLF + "Content-Length: 6" + CRLF + CRLF + "hello!",
            400, "content_length_repeated"),
        Arguments.of("two Content-Length lines in HTTP/1.0 (which Netty alone would fold into the first)",
            "POST /x HTTP/1.0" + CRLF + "Host: shop.test" + CRLF + "Content-Length: 5" + CRLF + "Content-Length: 11"
                + CRLF + CRLF + "hello world",
            400, "content_length_repeated"),
        Arguments.of("two differing lengths on one Content-Length line",
            POST + "Content-Length: 5, 6" + CRLF + CRLF + "hello!", 400, "content_length_repeated"),
        Arguments.of("a signed Content-Length",
            POST + "Content-Length: +5" + CRLF + CRLF + "hello", 400, "content_length_invalid"),
        CHUNK_SIZE_NOT_HEX,
        Arguments.of("a chunk size that overflows 64 bits",
            POST + "Transfer-Encoding: chunked" + CRLF + CRLF + "fffffffffffffffff" + CRLF + "hello" + CRLF + "0"
                + CRLF + CRLF,
            400, "invalid_chunk"),
        Arguments.of("a chunk extension with a control character",
            POST + "Transfer-Encoding: chunked" + CRLF + CRLF + "5;a\u0001b" + CRLF + "hello" + CRLF + "0" + CRLF
                + CRLF,
            400, "invalid_chunk"),
        Arguments.of("a chunk not ended by CRLF",
            POST + "Transfer-Encoding: chunked" + CRLF + CRLF + "5" + CRLF + "helloXX0" + CRLF + CRLF,
            400, "invalid_chunk"),
        Arguments.of("HTTP/1.1 without Host",
            "GET /x HTTP/1.1" + CRLF + CRLF, 400, "host_missing"),
        Arguments.of("two Host lines",
            "GET /x HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Host: b.test" + CRLF + CRLF, 400, "host_repeated"),
        Arguments.of("a Host that is no host",
            "GET /x HTTP/1.1" + CRLF + "Host: a.test/evil" + CRLF + CRLF, 400, "host_invalid"),
        Arguments.of("userinfo in an absolute-form target",
            "GET http://user@a.test/x HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF, 400, "host_invalid"),
        Arguments.of("Connection naming Content-Length",
            POST + "Connection: close, Content-Length" + CRLF + "Content-Length: 5" + CRLF + CRLF + "hello",
            400, "connection_names_framing_header"),
        Arguments.of("Connection naming Transfer-Encoding",
            POST + "Connection: Transfer-Encoding" + CRLF + "Transfer-Encoding: chunked" + CRLF + CRLF + "5" + CRLF
                + "hello" + CRLF + "0" + CRLF + CRLF,
            400, "connection_names_framing_header"),
        Arguments.of("Connection naming Host",
            "GET /x HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + "Connection: keep-alive, Host" + CRLF + CRLF,
            400, "connection_names_framing_header"),
        Arguments.of("whitespace between a field name and its colon",
            POST + "Transfer-Encoding : chunked" + CRLF + "Content-Length: 5" + CRLF + CRLF + "hello",
            400, "malformed_request"),
        Arguments.of("a folded line hiding Transfer-Encoding from Tandem (obs-fold)",
            POST + "X-A: b" + CRLF + " Transfer-Encoding: chunked" + CRLF + "Content-Length: 5" + CRLF + CRLF + "hello",
            400, "obs_fold"),
        Arguments.of("a folded Transfer-Encoding value (obs-fold)",
            POST + "Transfer-Encoding:" + CRLF + "\tchunked" + CRLF + CRLF + "0" + CRLF + CRLF, 400, "obs_fold"),
        Arguments.of("a field without a name",
            "GET /x HTTP/1.1" + CRLF + "Host: a.test" + CRLF + ": nameless" + CRLF + CRLF, 400, "malformed_request"),
        Arguments.of("a control character in the request target",
            "GET /a\u0001b HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF, 400, "malformed_request"),
        Arguments.of("a version in lower case (which would skip the HTTP/1.1 rules)",
            "GET /x http/1.1" + CRLF + CRLF, 400, "malformed_request"),
        Arguments.of("a version that is not x.y",
            "GET /x HTTP/1.01" + CRLF + CRLF, 400, "malformed_request"),
        Arguments.of("a WebSocket upgrade with a body the tunnel would take for frames",
            "GET /ws HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "Upgrade: websocket" + CRLF + "Connection: Upgrade"
                + CRLF + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" + CRLF + "Sec-WebSocket-Version: 13" + CRLF
                + "Content-Length: 5" + CRLF + CRLF + "hello",
            400, "upgrade_with_body"),
        Arguments.of("HTTP/1.2",
            "GET /x HTTP/1.2" + CRLF + "Host: a.test" + CRLF + CRLF, 505, "http_version_unsupported"),
        Arguments.of("a request target over maxUriLength",
            "GET /" + "a".repeat(9000) + " HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF, 414, "uri_too_long"),
        Arguments.of("more header fields than maxHeaderCount",
            "GET /x HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "X-N: 1\r\n".repeat(120) + CRLF,
            431, "too_many_headers"),
        Arguments.of("header fields over maxHeaderBytes",
            "GET /x HTTP/1.1" + CRLF + "Host: a.test" + CRLF + "X-Big: " + "b".repeat(40_000) + CRLF + CRLF,
            431, "headers_too_large"));
  }

  @ParameterizedTest(name = "{0}: {2} {3}")
  @MethodSource
  @DisplayName("a request the RFC says to refuse is answered with its rule, closed, and forwarded nowhere")
  void refused(String what, String raw, int status, String rule) throws IOException {
    Client plain = () -> new RawHttp(t.port());
    refusedAndClosed(plain, what, raw, status, rule);
    onlyTheProbeGotThrough(t, plain);
  }

  /** A framing refused before the head reaches Vert.x, and one refused in the body once the exchange began. */
  static Stream<Arguments> framing() {
    return Stream.of(SMUGGLED, CHUNK_SIZE_NOT_HEX);
  }

  @ParameterizedTest(name = "{0}: {2} {3}")
  @MethodSource("framing")
  @DisplayName("server.dataPlane: vertx refuses the same framings, and forwards them nowhere")
  void refusedOnVertxDataPlane(String what, String raw, int status, String rule) throws IOException {
    Tandem vertx = tandem(", dataPlane: vertx");
    Client plain = () -> new RawHttp(vertx.port());
    refusedAndClosed(plain, what, raw, status, rule);
    onlyTheProbeGotThrough(vertx, plain);
  }

  @ParameterizedTest(name = "{0}: {2} {3}")
  @MethodSource("framing")
  @DisplayName("the TLS listener refuses the same framings, and forwards them nowhere")
  void refusedOverTls(String what, String raw, int status, String rule) throws IOException {
    TestCertificates ca = TestCertificates.authority("Edge Test CA");
    Path dir = Files.createTempDirectory(h.stateDir(), "tls");
    TestCertificates.Issued cert = ca.issue(dir, "edge", "shop.test", BigInteger.ONE, "IP:127.0.0.1");
    Tandem tls = tandem(", tls: { cert: \"%s\", key: \"%s\" }".formatted(cert.cert(), cert.key()));
    Client secure = () -> {
      SSLSocket socket = (SSLSocket) ca.clientContext(null).getSocketFactory().createSocket("127.0.0.1", tls.port());
      socket.startHandshake();
      return new RawHttp(socket);
    };
    refusedAndClosed(secure, what, raw, status, rule);
    onlyTheProbeGotThrough(tls, secure);
    assertThat(backend.headers().get(0).get("X-Forwarded-Proto")).isEqualTo("https");
  }

  @Test
  @DisplayName("a smuggle is refused in front of the Netty data plane, which forwards the next request itself")
  void refusedBeforeTheNettyPath() throws IOException {
    // No capture and no comparison: what the Netty path forwards itself (the fixture above sends all to Vert.x's).
    Tandem fast = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: default, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, backend.port()));
    Client plain = () -> new RawHttp(fast.port());
    refusedAndClosed(plain, "a smuggle", SMUGGLE, 400, "content_length_with_transfer_encoding");
    try (RawHttp c = plain.open()) {
      c.sendRaw("GET /probe HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
    assertThat(backend.requests()).containsExactly("GET /probe");
    assertThat(backend.received()).startsWith("GET /probe HTTP/1.1").doesNotContain("smuggled");
    assertThat(h.registry.scrape()).contains("tandem_dataplane_requests_total{path=\"netty\"} 1.0");
  }

  /** {@code raw} is answered with its status and a JSON body naming its rule, the connection closed, counted. */
  private void refusedAndClosed(Client client, String what, String raw, int status, String rule) throws IOException {
    try (RawHttp c = client.open()) {
      c.sendRaw(raw);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).as(what).isEqualTo(status);
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      JsonObject body = new JsonObject(r.body());
      assertThat(body.getString("error")).isEqualTo("rejected");
      assertThat(body.getString("rule")).isEqualTo(rule);
      assertThat(c.closedByPeer()).as("connection closed after " + what).isTrue();
    }
    assertThat(rejected(rule)).isEqualTo(1.0);
  }

  @Test
  @DisplayName("an invalid chunk after the head went out resets the backend's request: it never completes one")
  void invalidChunkMidBody() throws IOException {
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("POST /upload HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + "Transfer-Encoding: chunked" + CRLF
          + CRLF + "5" + CRLF + "hello" + CRLF);
      eventually("the first chunk reaches the backend", () -> backend.received().contains("hello"));
      c.sendRaw("5x" + CRLF + "world" + CRLF + "0" + CRLF + CRLF);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("rule")).isEqualTo("invalid_chunk");
      assertThat(c.closedByPeer()).isTrue();
    }
    eventually("the backend's request is reset", () -> backend.aborted().contains("POST /upload"));
    eventually("the mirror copy is dropped", () -> t.mirroring().ledgers().get("default")
        .get(dev.tandem.proxy.mirror.Outcome.SKIPPED_ABORTED) == 1);
    assertThat(backend.requests()).isEmpty();
    assertThat(shadow.requests()).isEmpty();
    assertThat(backend.received()).doesNotContain("world");
  }

  @Test
  @DisplayName("headers a client must not set are dropped: X-Forwarded-Client-Cert, names with an underscore")
  void spoofedHeaders() throws IOException {
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("GET /who HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + "X-Forwarded-Client-Cert: Subject=\"CN=admin\""
          + CRLF + "X_Forwarded_For: 10.0.0.1" + CRLF + "X-Kept: yes" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
    io.vertx.core.MultiMap seen = backend.headers().get(0);
    assertThat(seen.contains("X-Forwarded-Client-Cert")).isFalse();
    assertThat(seen.names()).noneMatch(n -> n.contains("_"));
    assertThat(seen.get("X-Kept")).isEqualTo("yes");
    assertThat(seen.get("X-Forwarded-For")).isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("headersWithUnderscores: keep passes them on")
  void underscoresKept() throws IOException {
    Tandem lenient = tandem(", headersWithUnderscores: keep");
    try (RawHttp c = new RawHttp(lenient.port())) {
      c.sendRaw("GET /u HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + "X_Legacy_Token: abc" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
    assertThat(backend.headers().get(0).get("X_Legacy_Token")).isEqualTo("abc");
  }

  @Test
  @DisplayName("a backend that answers 101 to a plain request is a 502; the connection stays guarded")
  void strayUpgrade() throws IOException {
    io.vertx.core.net.NetServer liar = await(h.vertx.createNetServer().connectHandler(so -> so.handler(b ->
        so.write("HTTP/1.1 101 Switching Protocols" + CRLF + "Upgrade: anything" + CRLF + "Connection: upgrade"
            + CRLF + CRLF))).listen(0, "127.0.0.1"));
    Tandem lied = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { liar: "http://127.0.0.1:%d" }
        routes: [ { name: default, primary: liar } ]
        """.formatted(TandemHarness.TOKEN, liar.actualPort()));
    try (RawHttp c = new RawHttp(lied.port())) {
      c.sendRaw("GET /status/101 HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + CRLF);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(502);
      assertThat(new JsonObject(r.body()).getString("message")).contains("did not ask to switch protocols");
      c.sendRaw("POST /x HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + "Content-Length: 4" + CRLF
          + "Transfer-Encoding: chunked" + CRLF + CRLF + "0" + CRLF + CRLF);
      assertThat(new JsonObject(c.readResponse().body()).getString("rule"))
          .isEqualTo("content_length_with_transfer_encoding");
    }
  }

  @Test
  @DisplayName("an absolute-form target's authority replaces Host")
  void absoluteFormAuthorityWins() throws IOException {
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("GET http://orders.test:8443/o/1?x=1 HTTP/1.1" + CRLF + "Host: wrong.test" + CRLF + CRLF);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok GET /o/1?x=1 ");
    }
    assertThat(backend.headers().get(0).get("Host")).isEqualTo("orders.test:8443");
    assertThat(backend.headers().get(0).get("X-Forwarded-Host")).isEqualTo("orders.test:8443");
  }

  @Test
  @DisplayName("a pipelined bad request is answered after the good one before it, then the connection closes")
  void pipelined() throws IOException {
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("GET /first HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF
          + "GET /second HTTP/1.1" + CRLF + CRLF
          + "GET /third HTTP/1.1" + CRLF + "Host: a.test" + CRLF + CRLF);
      RawHttp.Response first = c.readResponse();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo("ok GET /first ");
      RawHttp.Response second = c.readResponse();
      assertThat(second.status()).isEqualTo(400);
      assertThat(new JsonObject(second.body()).getString("rule")).isEqualTo("host_missing");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.requests()).containsExactly("GET /first");
  }

  @Test
  @DisplayName("contentLengthWithChunked: chunked forwards one request framed by its chunks, then closes")
  void chunkedWins() throws IOException {
    Tandem lenient = tandem(", contentLengthWithChunked: chunked");
    try (RawHttp c = new RawHttp(lenient.port())) {
      c.sendRaw("POST /x HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + "Content-Length: 4" + CRLF
          + "Transfer-Encoding: chunked" + CRLF + CRLF + "5" + CRLF + "hello" + CRLF + "0" + CRLF + CRLF
          + "GET /smuggled HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + CRLF);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok POST /x hello");
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.requests()).containsExactly("POST /x");
    assertThat(backend.headers().get(0).contains("Content-Length")).isFalse();
    assertThat(backend.received()).doesNotContain("smuggled");
  }

  private double rejected(String reason) {
    Counter c = h.registry.find("tandem.rejected.requests").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  /** Sends a good request; it, and nothing before it, must have reached the backend, the shadow and the capture. */
  private void onlyTheProbeGotThrough(Tandem t, Client client) throws IOException {
    try (RawHttp c = client.open()) {
      c.sendRaw("GET /probe HTTP/1.1" + CRLF + "Host: shop.test" + CRLF + CRLF);
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
    eventually("the shadow gets the probe's copy", () -> shadow.requests().size() == 1);
    assertThat(backend.requests()).containsExactly("GET /probe");
    assertThat(shadow.requests()).containsExactly("GET /probe");
    assertThat(backend.received()).startsWith("GET /probe HTTP/1.1");
    eventually("the probe is captured", () -> t.capturing().view().getLong("inOpenFile") == 1);
    Path file = await(t.capturing().completeFile());
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2); // the header, and one exchange
    assertThat(lines.get(1)).contains("\"/probe\"");
    eventually("the probe is compared", () -> compared() == 1);
  }

  /** Exchanges compared (not those skipped: a request refused mid-body had begun its comparison, then dropped it). */
  private double compared() {
    return h.registry.find("tandem.comparisons").counters().stream()
        .filter(c -> List.of("match", "differ", "noise").contains(c.getId().getTag("result")))
        .mapToDouble(Counter::count).sum();
  }
}
