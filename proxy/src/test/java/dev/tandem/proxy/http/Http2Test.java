package dev.tandem.proxy.http;

import dev.tandem.proxy.RawHttp;
import dev.tandem.proxy.RecordingBackend;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.TestCertificates;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.tandem.proxy.TandemHarness.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * HTTP/2 on both sides of Tandem: clients by prior knowledge, by upgrade and by ALPN, on the port HTTP/1.1 clients
 * use; backends in HTTP/1.1 or HTTP/2; the translation between the two; the listener's HTTP/2 limits.
 */
class Http2Test {

  private final TandemHarness h = new TandemHarness();
  // Held: Vert.x closes a client that is no longer referenced.
  private final List<HttpClientAgent> clients = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    h.close();
  }

  /** A client that speaks HTTP/2 in cleartext from its first byte (prior knowledge). */
  private HttpClientAgent h2c() {
    HttpClientAgent c = h.vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
    clients.add(c);
    return c;
  }

  private record Answer(HttpVersion version, int status, String body, io.vertx.core.MultiMap headers,
                        io.vertx.core.MultiMap trailers) {
  }

  private Answer call(HttpClientAgent client, int port, HttpMethod method, String uri, String body,
                      String... headers) {
    return h.call(() -> client.request(new RequestOptions().setHost("127.0.0.1").setPort(port).setMethod(method)
            .setURI(uri))
        .compose(req -> {
          for (int i = 0; i < headers.length; i += 2) {
            req.putHeader(headers[i], headers[i + 1]);
          }
          if (body == null) {
            return req.send();
          }
          req.setChunked(true); // no length: the body's end is the stream's
          return req.send(Buffer.buffer(body));
        })
        .compose(resp -> resp.body().map(b -> new Answer(resp.version(), resp.statusCode(), b.toString(),
            resp.headers(), resp.trailers()))));
  }

  private Tandem tandem(int backendPort, String backendExtra, String server) {
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 %s }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: { url: "http://127.0.0.1:%d" %s }
        routes:
          - { name: default, primary: legacy }
        """.formatted(server, TandemHarness.TOKEN, backendPort, backendExtra));
  }

  @Test
  @DisplayName("an HTTP/2 client's request reaches an HTTP/1.1 backend with a Host, its body chunked, and back")
  void http2ToHttp1() {
    RecordingBackend backend = new RecordingBackend(h.vertx);
    Tandem t = tandem(backend.port(), "", "");
    Answer a = call(h2c(), t.port(), HttpMethod.POST, "/orders?x=1", "hello", "cookie", "a=1", "x-trace", "t1");
    assertThat(a.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body()).isEqualTo("ok POST /orders?x=1 hello");
    String wire = backend.received();
    assertThat(wire).startsWith("POST /orders?x=1 HTTP/1.1\r\n");
    assertThat(wire).containsIgnoringCase("host: 127.0.0.1:" + t.port() + "\r\n");
    assertThat(wire).containsIgnoringCase("transfer-encoding: chunked\r\n");
    assertThat(wire).containsIgnoringCase("x-trace: t1\r\n").doesNotContain(":method").doesNotContain(":path");
    // A bodiless HTTP/2 request reaches the HTTP/1.1 backend without a body, not as an empty chunked one.
    Answer get = call(h2c(), t.port(), HttpMethod.GET, "/orders/2", null);
    assertThat(get.body()).isEqualTo("ok GET /orders/2 ");
    String getWire = backend.received().substring(backend.received().indexOf("GET /orders/2 HTTP/1.1"));
    assertThat(getWire.substring(0, getWire.indexOf("\r\n\r\n"))).doesNotContainIgnoringCase("transfer-encoding")
        .doesNotContainIgnoringCase("content-length");
    // A body of many DATA frames (and more than the stream's window) streams through whole, in order.
    String big = "0123456789abcdef".repeat(64 * 1024);
    assertThat(call(h2c(), t.port(), HttpMethod.PUT, "/big", big).body()).isEqualTo("ok PUT /big " + big);
    // The answer over HTTP/2 carries no connection-specific header (RFC 9113 §8.2.2).
    assertThat(a.headers().names()).noneMatch(n -> n.equalsIgnoreCase("connection")
        || n.equalsIgnoreCase("keep-alive") || n.equalsIgnoreCase("transfer-encoding"));
  }

  @Test
  @DisplayName("an HTTP/1.1 client's request reaches an h2c backend as HTTP/2, and its trailers come back in the last chunk")
  void http1ToHttp2() {
    List<io.vertx.core.http.HttpServerRequest> seen = new CopyOnWriteArrayList<>();
    List<String> bodies = new CopyOnWriteArrayList<>();
    HttpServer backend = await(h.vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
        .requestHandler(req -> req.body().onSuccess(b -> {
          seen.add(req);
          bodies.add(b.toString());
          req.response().setChunked(true).putHeader("content-type", "text/plain").write("part");
          req.response().putTrailer("x-checksum", "abc").end();
        })).listen(0, "127.0.0.1"));
    Tandem t = tandem(backend.actualPort(), ", protocol: h2c", "");
    Answer a = call(h.client(), t.port(), HttpMethod.PUT, "/items/1", "body-1", "te", "trailers",
        "keep-alive", "timeout=5", "proxy-connection", "keep-alive");
    assertThat(a.version()).isEqualTo(HttpVersion.HTTP_1_1);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body()).isEqualTo("part");
    assertThat(a.trailers().get("x-checksum")).isEqualTo("abc");
    var req = seen.get(0);
    assertThat(req.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(req.authority().toString()).isEqualTo("127.0.0.1:" + t.port());
    assertThat(req.headers().get("te")).isEqualTo("trailers");
    assertThat(req.headers().names()).noneMatch(n -> n.equalsIgnoreCase("connection")
        || n.equalsIgnoreCase("keep-alive") || n.equalsIgnoreCase("proxy-connection") || n.equalsIgnoreCase("host")
        || n.equalsIgnoreCase("transfer-encoding"));
    assertThat(bodies).containsExactly("body-1");
  }

  @Test
  @DisplayName("HTTP/1.1 clients on the HTTP/2-enabled port meet the edge's rules from their first request")
  void edgeGuardsFirstRequest() throws Exception {
    RecordingBackend backend = new RecordingBackend(h.vertx);
    Tandem t = tandem(backend.port(), "", "");
    try (RawHttp c = new RawHttp(t.port())) {
      c.send("""
          POST / HTTP/1.1
          Host: a
          Content-Length: 3
          Transfer-Encoding: chunked

          0

          GET /smuggled HTTP/1.1
          Host: a

          """);
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).contains("content_length_with_transfer_encoding");
    }
    assertThat(backend.received()).isEmpty();
    // And HTTP/2 by prior knowledge works on the same port.
    assertThat(call(h2c(), t.port(), HttpMethod.GET, "/", null).version()).isEqualTo(HttpVersion.HTTP_2);
  }

  @Test
  @DisplayName("cleartext.priorKnowledge: false refuses the HTTP/2 preface; HTTP/1.1 goes on")
  void priorKnowledgeOff() {
    RecordingBackend backend = new RecordingBackend(h.vertx);
    Tandem t = tandem(backend.port(), "", ", http2: { cleartext: { priorKnowledge: false } }");
    assertThatThrownBy(() -> call(h2c(), t.port(), HttpMethod.GET, "/", null)).isNotNull();
    assertThat(call(h.client(), t.port(), HttpMethod.GET, "/", null).status()).isEqualTo(200);
    assertThat(backend.requests()).containsExactly("GET /");
  }

  @Test
  @DisplayName("Upgrade: h2c is ignored by default (served as HTTP/1.1), taken when cleartext.upgrade is on")
  void upgrade() throws Exception {
    RecordingBackend backend = new RecordingBackend(h.vertx);
    String ask = """
        GET /up HTTP/1.1
        Host: a
        Connection: Upgrade, HTTP2-Settings
        Upgrade: h2c
        HTTP2-Settings: AAMAAABkAAQAAP__

        """;
    Tandem off = tandem(backend.port(), "", "");
    try (RawHttp c = new RawHttp(off.port())) {
      RawHttp.Response r = c.send(ask).readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok GET /up ");
    }
    assertThat(backend.received()).doesNotContainIgnoringCase("upgrade").doesNotContainIgnoringCase("http2-settings");
    Tandem on = tandem(backend.port(), "", ", http2: { cleartext: { upgrade: true } }");
    try (RawHttp c = new RawHttp(on.port())) {
      String head = c.send(ask).readHead();
      assertThat(head).startsWith("HTTP/1.1 101").containsIgnoringCase("upgrade: h2c");
    }
    // An upgrade with a body is one whose framing the edge must judge: it is served as HTTP/1.1.
    try (RawHttp c = new RawHttp(on.port())) {
      RawHttp.Response r = c.send(ask.replace("Host: a\n", "Host: a\nContent-Length: 2\n") + "hi").readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok GET /up hi");
    }
  }

  @Test
  @DisplayName("the listener's HTTP/2 limits are what it announces: concurrent streams, header list, window")
  void limits() {
    RecordingBackend backend = new RecordingBackend(h.vertx);
    Tandem t = tandem(backend.port(), "", ", http2: { maxConcurrentStreams: 7, maxHeaderListSize: 2KB,"
        + " initialWindowSize: 32KB }");
    HttpClientAgent c = h2c();
    io.vertx.core.http.Http2Settings settings = h.call(() -> c.request(new RequestOptions().setHost("127.0.0.1")
            .setPort(t.port()).setURI("/"))
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> req.connection().remoteSettings()))));
    assertThat(settings.getMaxConcurrentStreams()).isEqualTo(7);
    assertThat(settings.getMaxHeaderListSize()).isEqualTo(2048);
    assertThat(settings.getInitialWindowSize()).isEqualTo(32 * 1024);
    int before = backend.requests().size();
    boolean refused;
    try {
      refused = call(c, t.port(), HttpMethod.GET, "/big", null, "x-big", "v".repeat(4096)).status() == 431;
    } catch (Exception | AssertionError e) {
      refused = true; // a client that heeds the announced limit refuses to send it (Netty's does)
    }
    assertThat(refused).isTrue();
    assertThat(backend.requests()).hasSize(before);
  }

  @Test
  @DisplayName("on HTTP/2 the edge's target length and header count hold, names with an underscore are dropped, and"
      + " a body over maxBodyBytes is refused on its stream only")
  void edgeRulesOnHttp2() {
    RecordingBackend backend = new RecordingBackend(h.vertx);
    Tandem t = tandem(backend.port(), "", ", maxUriLength: 300, maxHeaderCount: 20, maxBodyBytes: 1KB");
    HttpClientAgent c = h2c();
    assertThat(call(c, t.port(), HttpMethod.GET, "/" + "a".repeat(400), null).status()).isEqualTo(414);
    String[] many = new String[2 * 30];
    for (int i = 0; i < 30; i++) {
      many[2 * i] = "x-h" + i;
      many[2 * i + 1] = "v";
    }
    assertThat(call(c, t.port(), HttpMethod.GET, "/many", null, many).status()).isEqualTo(431);
    assertThat(call(c, t.port(), HttpMethod.GET, "/u", null, "x_forwarded_for", "6.6.6.6", "x-ok", "1").status())
        .isEqualTo(200);
    assertThat(backend.headers().get(0).names()).noneMatch(n -> n.contains("_")).anyMatch(n -> n.equals("x-ok"));
    assertThat(call(c, t.port(), HttpMethod.POST, "/big", "b".repeat(4096)).status()).isEqualTo(413);
    // The same connection serves on: the refusal reset one stream, not the connection.
    assertThat(call(c, t.port(), HttpMethod.GET, "/after", null).status()).isEqualTo(200);
    assertThat(backend.requests()).containsExactly("GET /u", "GET /after");
    assertThat(h.registry.scrape()).contains("reason=\"uri_too_long\"} 1.0", "reason=\"too_many_headers\"} 1.0");
  }

  @Test
  @DisplayName("HTTP/2 over TLS by ALPN, and HTTP/1.1 over the same TLS port")
  void alpn() throws Exception {
    Path dir = Files.createTempDirectory(h.stateDir(), "h2tls");
    TestCertificates ca = TestCertificates.authority("Tandem Test CA");
    Path caFile = ca.writeCa(dir.resolve("ca.crt"));
    TestCertificates.Issued cert = ca.issue(dir, "tls", "tandem.test", BigInteger.TEN, "IP:127.0.0.1");
    RecordingBackend backend = new RecordingBackend(h.vertx);
    Tandem t = tandem(backend.port(), "", ", tls: { cert: \"%s\", key: \"%s\" }".formatted(cert.cert(), cert.key()));
    HttpClientOptions tls = new HttpClientOptions().setSsl(true).setTrustOptions(new PemTrustOptions()
        .addCertPath(caFile.toString()));
    HttpClientAgent h2 = h.vertx.createHttpClient(new HttpClientOptions(tls).setUseAlpn(true)
        .setProtocolVersion(HttpVersion.HTTP_2));
    HttpClientAgent h1 = h.vertx.createHttpClient(new HttpClientOptions(tls));
    clients.add(h2);
    clients.add(h1);
    Answer a = call(h2, t.port(), HttpMethod.GET, "/secure", null);
    assertThat(a.version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(a.body()).isEqualTo("ok GET /secure ");
    assertThat(backend.received()).containsIgnoringCase("x-forwarded-proto: https");
    assertThat(call(h1, t.port(), HttpMethod.GET, "/plain", null).version()).isEqualTo(HttpVersion.HTTP_1_1);
  }

  @Test
  @DisplayName("http2.enabled: false: no h2 by ALPN nor in cleartext")
  void disabled() {
    RecordingBackend backend = new RecordingBackend(h.vertx);
    Tandem t = tandem(backend.port(), "", ", http2: { enabled: false }");
    assertThatThrownBy(() -> call(h2c(), t.port(), HttpMethod.GET, "/", null)).isNotNull();
    assertThat(call(h.client(), t.port(), HttpMethod.GET, "/", null).status()).isEqualTo(200);
  }

}
