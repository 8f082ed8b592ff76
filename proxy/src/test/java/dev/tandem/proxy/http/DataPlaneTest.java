package dev.tandem.proxy.http;

import dev.tandem.proxy.RawHttp;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.tandem.proxy.TandemHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

class DataPlaneTest {

  private final TandemHarness h = new TandemHarness();
  private final AtomicReference<HttpServerRequest> seen = new AtomicReference<>();
  private final AtomicReference<MultiMap> seenHeaders = new AtomicReference<>();

  @AfterEach
  void close() {
    h.close();
  }

  /** A backend that records the request it got and answers with its body echoed. */
  private HttpServer echoBackend() {
    return h.backend(req -> {
      seen.set(req);
      seenHeaders.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
      req.body().onSuccess(body -> req.response()
          .putHeader("X-Backend", "legacy")
          .putHeader("Content-Type", "text/plain")
          .setStatusCode(req.method() == HttpMethod.POST ? 201 : 200)
          .end(req.method() + " " + req.uri() + " " + body));
    });
  }

  private HttpClientResponse call(Tandem t, RequestOptions options, Buffer body) {
    options.setHost("127.0.0.1").setPort(t.port());
    return h.call(() -> h.client().request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> {
          resp.request().connection(); // keep the response usable after its body was read
          return resp;
        })));
  }

  private String bodyOf(Tandem t, RequestOptions options, Buffer body) {
    options.setHost("127.0.0.1").setPort(t.port());
    return h.call(() -> h.client().request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b)));
  }

  @Test
  @DisplayName("a request reaches the primary and its answer comes back unchanged")
  void forwards() {
    Tandem t = h.proxyTo(echoBackend().actualPort(), "");
    String answer = bodyOf(t, new RequestOptions().setMethod(HttpMethod.POST).setURI("/orders?x=1"),
        Buffer.buffer("{\"a\":1}"));
    assertThat(answer).isEqualTo("201 POST /orders?x=1 {\"a\":1}");
    HttpClientResponse resp = call(t, new RequestOptions().setURI("/"), null);
    assertThat(resp.getHeader("X-Backend")).isEqualTo("legacy");
    assertThat(resp.getHeader("Content-Type")).isEqualTo("text/plain");
  }

  @Test
  @DisplayName("hop-by-hop headers, and those Connection names, are removed in both directions")
  void hopByHop() throws Exception {
    HttpServer backend = h.backend(req -> {
      seenHeaders.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
      req.response()
          .putHeader("Connection", "X-Resp-Hop")
          .putHeader("X-Resp-Hop", "1")
          .putHeader("Keep-Alive", "timeout=5")
          .putHeader("Proxy-Authenticate", "Basic realm=x")
          .putHeader("Proxy-Foo", "bar")
          .putHeader("Trailer", "X-Checksum")
          .putHeader("Upgrade", "foo/2")
          .putHeader("X-Kept", "yes")
          .end("ok");
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("""
          GET /hop HTTP/1.1
          Host: shop.example.com
          Connection: keep-alive, X-Secret-Hop
          X-Secret-Hop: 1
          Keep-Alive: timeout=5
          TE: trailers
          Trailer: X-Checksum
          Proxy-Authorization: Basic abc
          Proxy-Connection: keep-alive
          Upgrade: foo/1
          X-End-To-End: kept

          """);
      String head = raw.readHead();
      assertThat(head).startsWith("HTTP/1.1 200");
      for (String gone : new String[] {"X-Resp-Hop", "Keep-Alive", "Proxy-Authenticate", "Proxy-Foo", "Trailer",
          "Upgrade"}) {
        assertThat(RawHttp.header(head, gone)).as(gone).isNull();
      }
      assertThat(RawHttp.header(head, "X-Kept")).isEqualTo("yes");
      assertThat(raw.readBytes(2)).isEqualTo("ok");
    }
    MultiMap got = seenHeaders.get();
    for (String gone : new String[] {"X-Secret-Hop", "Keep-Alive", "TE", "Trailer", "Proxy-Authorization",
        "Proxy-Connection", "Upgrade", "Transfer-Encoding"}) {
      assertThat(got.contains(gone)).as(gone).isFalse();
    }
    assertThat(got.get("Connection")).isNull();
    assertThat(got.get("X-End-To-End")).isEqualTo("kept");
  }

  @Test
  @DisplayName("X-Forwarded-For, -Proto and -Host are appended to what earlier proxies wrote")
  void forwardedHeaders() {
    Tandem t = h.proxyTo(echoBackend().actualPort(), "");
    call(t, new RequestOptions().setURI("/").putHeader("Host", "shop.example.com"), null);
    assertThat(seenHeaders.get().get("X-Forwarded-For")).isEqualTo("127.0.0.1");
    assertThat(seenHeaders.get().get("X-Forwarded-Proto")).isEqualTo("http");
    assertThat(seenHeaders.get().get("X-Forwarded-Host")).isEqualTo("shop.example.com");

    call(t, new RequestOptions().setURI("/").putHeader("Host", "shop.example.com")
        .putHeader("X-Forwarded-For", "203.0.113.7").addHeader("X-Forwarded-For", "10.1.1.1")
        .putHeader("X-Forwarded-Proto", "https").putHeader("X-Forwarded-Host", "www.example.com"), null);
    assertThat(seenHeaders.get().get("X-Forwarded-For")).isEqualTo("203.0.113.7, 10.1.1.1, 127.0.0.1");
    assertThat(seenHeaders.get().get("X-Forwarded-Proto")).isEqualTo("https, http");
    assertThat(seenHeaders.get().get("X-Forwarded-Host")).isEqualTo("www.example.com, shop.example.com");
  }

  @Test
  @DisplayName("Host is preserved by default, rewritten to the backend, or set to a fixed value")
  void hostHeader() {
    int port = echoBackend().actualPort();
    Tandem preserve = h.proxyTo(port, "");
    call(preserve, new RequestOptions().setURI("/").putHeader("Host", "shop.example.com:8443"), null);
    assertThat(seenHeaders.get().get("Host")).isEqualTo("shop.example.com:8443");

    Tandem rewrite = h.proxyTo(port, "hostHeader: rewrite");
    call(rewrite, new RequestOptions().setURI("/").putHeader("Host", "shop.example.com"), null);
    assertThat(seenHeaders.get().get("Host")).isEqualTo("127.0.0.1:" + port);

    Tandem fixed = h.proxyTo(port, "hostHeader: legacy.internal");
    call(fixed, new RequestOptions().setURI("/").putHeader("Host", "shop.example.com"), null);
    assertThat(seenHeaders.get().get("Host")).isEqualTo("legacy.internal");
  }

  @Test
  @DisplayName("percent-encoded paths and query strings reach the backend byte for byte")
  void encodedPaths() throws Exception {
    Tandem t = h.proxyTo(echoBackend().actualPort(), "");
    String target = "/files/a%2Fb/%7Euser//caf%C3%A9%20x;v=1?q=a%20b&r=%2F&s=1+2&t=%zz&u=%E2%9C%93";
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET " + target + " HTTP/1.1\nHost: x\nConnection: close\n\n");
      assertThat(raw.readToEnd()).startsWith("HTTP/1.1 200").endsWith("GET " + target + " ");
    }
    assertThat(seen.get().uri()).isEqualTo(target);
  }

  @Test
  @DisplayName("an absolute-form request target is forwarded in origin form")
  void absoluteForm() throws Exception {
    Tandem t = h.proxyTo(echoBackend().actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET http://shop.example.com/a/b?c=d HTTP/1.1\nHost: shop.example.com\nConnection: close\n\n");
      assertThat(raw.readToEnd()).endsWith("GET /a/b?c=d ");
    }
  }

  @Test
  @DisplayName("HEAD keeps the backend's Content-Length and sends no body")
  void head() throws Exception {
    HttpServer backend = h.backend(req -> req.response().putHeader("Content-Length", "1234").end());
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("HEAD /big HTTP/1.1\nHost: x\n\n");
      String head = raw.readHead();
      assertThat(head).startsWith("HTTP/1.1 200");
      assertThat(RawHttp.header(head, "Content-Length")).isEqualTo("1234");
      // The connection stays usable: the next response starts right after the head, with no body in between.
      raw.send("HEAD /again HTTP/1.1\nHost: x\nConnection: close\n\n");
      assertThat(raw.readToEnd()).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  @DisplayName("Expect: 100-continue is answered by the backend's 100, and the body follows it")
  void expectContinue() throws Exception {
    HttpServer backend = h.backend(req -> {
      assertThat(req.getHeader("Expect")).isEqualToIgnoringCase("100-continue");
      req.response().writeContinue();
      req.body().onSuccess(b -> req.response().end("got " + b));
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("POST /upload HTTP/1.1\nHost: x\nContent-Length: 5\nExpect: 100-continue\nConnection: close\n\n");
      assertThat(raw.readHead()).startsWith("HTTP/1.1 100 Continue");
      raw.send("hello");
      assertThat(raw.readToEnd()).startsWith("HTTP/1.1 200").endsWith("got hello");
    }
  }

  @Test
  @DisplayName("a backend that refuses Expect: 100-continue answers without the body ever being sent")
  void expectRefused() throws Exception {
    HttpServer backend = h.backend(req -> req.response().setStatusCode(413).end("too big"));
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("POST /upload HTTP/1.1\nHost: x\nContent-Length: 999999\nExpect: 100-continue\n\n");
      String head = raw.readHead();
      assertThat(head).startsWith("HTTP/1.1 413");
      assertThat(raw.readBytes(7)).isEqualTo("too big");
    }
  }

  @Test
  @DisplayName("chunked and Content-Length request bodies arrive whole, framed as the client framed them")
  void requestBodies() {
    Tandem t = h.proxyTo(echoBackend().actualPort(), "");
    String chunked = h.call(() -> h.client().request(new RequestOptions().setMethod(HttpMethod.PUT)
            .setHost("127.0.0.1").setPort(t.port()).setURI("/c"))
        .compose(req -> {
          req.setChunked(true);
          req.write("part one, ");
          req.write("part two");
          return req.end().compose(v -> req.response()).compose(HttpClientResponse::body);
        })).toString();
    assertThat(chunked).isEqualTo("PUT /c part one, part two");
    assertThat(seenHeaders.get().get("Transfer-Encoding")).isEqualToIgnoringCase("chunked");

    String sized = bodyOf(t, new RequestOptions().setMethod(HttpMethod.PUT).setURI("/l"), Buffer.buffer("12345"));
    assertThat(sized).isEqualTo("200 PUT /l 12345");
    assertThat(seenHeaders.get().get("Content-Length")).isEqualTo("5");
  }

  /** A backend answering "first,second" in two chunks, with no Content-Length. */
  private HttpServer twoChunkBackend() {
    return h.backend(req -> {
      req.response().setChunked(true).write("first,");
      req.response().end("second");
    });
  }

  @Test
  @DisplayName("a chunked response is streamed back chunked")
  void chunkedResponse() throws Exception {
    HttpServer backend = twoChunkBackend();
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET / HTTP/1.1\nHost: x\nConnection: close\n\n");
      String all = raw.readToEnd();
      assertThat(RawHttp.header(all, "Transfer-Encoding")).isEqualToIgnoringCase("chunked");
      assertThat(all).contains("first,").contains("second").endsWith("0\r\n\r\n");
    }
  }

  @Test
  @DisplayName("no matching route: 404 from the proxy itself, as JSON")
  void noRoute() {
    int port = echoBackend().actualPort();
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0 }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes:
          - { name: api, primary: legacy, match: { pathPrefix: /api, methods: [GET] } }
        """.formatted(port));
    assertThat(bodyOf(t, new RequestOptions().setURI("/api/x"), null)).startsWith("200");
    HttpClientResponse resp = call(t, new RequestOptions().setURI("/other?x=1"), null);
    assertThat(resp.statusCode()).isEqualTo(404);
    String body = bodyOf(t, new RequestOptions().setMethod(HttpMethod.DELETE).setURI("/api/x"), null);
    assertThat(body).startsWith("404 ");
    JsonObject json = new JsonObject(body.substring(4));
    assertThat(json.getString("error")).isEqualTo("no_route");
    assertThat(json.getString("message")).isEqualTo("no route matches DELETE /api/x");
  }

  @Test
  @DisplayName("a backend refusing connections gives 502 naming the backend")
  void refused() {
    HttpServer doomed = h.backend(req -> req.response().end());
    int port = doomed.actualPort();
    await(doomed.close());
    Tandem t = h.proxyTo(port, "");
    String body = bodyOf(t, new RequestOptions().setURI("/"), null);
    assertThat(body).startsWith("502 ");
    JsonObject json = new JsonObject(body.substring(4));
    assertThat(json.getString("error")).isEqualTo("bad_gateway");
    assertThat(json.getString("backend")).isEqualTo("legacy");
  }

  @Test
  @DisplayName("a backend slower than its timeout gives 504 naming the backend")
  void timeout() {
    HttpServer silent = h.backend(req -> { });
    Tandem t = h.proxyTo(silent.actualPort(), "timeout: 300ms");
    String body = bodyOf(t, new RequestOptions().setURI("/slow"), null);
    assertThat(body).startsWith("504 ");
    JsonObject json = new JsonObject(body.substring(4));
    assertThat(json.getString("error")).isEqualTo("gateway_timeout");
    assertThat(json.getString("backend")).isEqualTo("legacy");
  }

  @Test
  @DisplayName("a client that disconnects mid-response cancels the backend's request")
  void clientDisconnectMidResponse() throws Exception {
    Promise<Void> backendSawClose = Promise.promise();
    HttpServer backend = h.backend(req -> {
      req.response().closeHandler(v -> backendSawClose.tryComplete());
      req.response().setChunked(true).write("x".repeat(1000));
      // Keeps the response open, writing slowly, until the connection goes away.
      long timer = h.vertx.setPeriodic(20, id -> {
        if (!req.response().closed()) {
          req.response().write("more");
        }
      });
      backendSawClose.future().onComplete(v -> h.vertx.cancelTimer(timer));
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET /stream HTTP/1.1\nHost: x\n\n");
      assertThat(raw.readHead()).startsWith("HTTP/1.1 200");
      raw.readBytes(100);
    }
    await(backendSawClose.future());
  }

  @Test
  @DisplayName("a client that disconnects before the answer cancels the backend's request")
  void clientDisconnectBeforeResponse() throws Exception {
    Promise<Void> backendSawClose = Promise.promise();
    Promise<Void> backendGotRequest = Promise.promise();
    HttpServer backend = h.backend(req -> {
      req.connection().closeHandler(v -> backendSawClose.tryComplete());
      backendGotRequest.tryComplete();
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET /never HTTP/1.1\nHost: x\n\n");
      await(backendGotRequest.future());
    }
    await(backendSawClose.future());
  }

  @Test
  @DisplayName("keep-alive on both sides: sequential requests share one backend connection")
  void keepAlive() {
    Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    HttpServer backend = h.backend(req -> {
      connections.add(req.connection());
      req.response().end("ok");
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    for (int i = 0; i < 20; i++) {
      assertThat(bodyOf(t, new RequestOptions().setURI("/" + i), null)).isEqualTo("200 ok");
    }
    assertThat(connections).hasSize(1);
  }

  @Test
  @DisplayName("the backend pool size bounds the connections Tandem opens")
  void poolSize() {
    Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    AtomicInteger waiting = new AtomicInteger();
    java.util.List<HttpServerRequest> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    Promise<Void> twoHeld = Promise.promise();
    HttpServer backend = h.backend(req -> {
      connections.add(req.connection());
      held.add(req);
      if (held.size() == 2) {
        twoHeld.tryComplete();
      }
    });
    Tandem t = h.proxyTo(backend.actualPort(), "maxConnections: 2");
    var client = h.vertx.createHttpClient(new io.vertx.core.http.PoolOptions().setHttp1MaxSize(10));
    java.util.List<io.vertx.core.Future<Integer>> answers = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      waiting.incrementAndGet();
      answers.add(client.request(HttpMethod.GET, t.port(), "127.0.0.1", "/" + i)
          .compose(req -> req.send()).compose(resp -> resp.body().map(b -> resp.statusCode())));
    }
    await(twoHeld.future());
    // Release requests one at a time; the pool hands each freed connection to a waiting request.
    long timer = h.vertx.setPeriodic(5, id -> held.forEach(r -> {
      if (!r.response().ended()) {
        r.response().end("ok");
      }
    }));
    await(io.vertx.core.Future.all(answers));
    h.vertx.cancelTimer(timer);
    assertThat(answers).allSatisfy(f -> assertThat(f.result()).isEqualTo(200));
    assertThat(connections).hasSize(2);
  }

  @Test
  @DisplayName("a WebSocket upgrade is passed through and frames flow both ways")
  void webSocket() {
    HttpServer backend = await(h.vertx.createHttpServer()
        .webSocketHandler(ws -> ws.handler(buf -> ws.writeTextMessage("echo: " + buf)))
        .listen(0, "127.0.0.1"));
    Tandem t = h.proxyTo(backend.actualPort(), "");
    // Held in a variable and closed at the end: Vert.x closes a client nothing references any more, which a GC
    // during the handshake turned into "Connection closed while handshake in process".
    WebSocketClient client = h.vertx.createWebSocketClient();
    Promise<String> reply = Promise.promise();
    var ws = h.call(() -> client.connect(t.port(), "127.0.0.1", "/chat").onSuccess(socket -> {
      socket.textMessageHandler(reply::tryComplete);
      socket.writeTextMessage("hello");
    }));
    assertThat(await(reply.future())).isEqualTo("echo: hello");
    h.call(ws::close);
    h.call(client::close);
  }

  @Test
  @DisplayName("a backend that refuses the WebSocket upgrade has its answer passed back")
  void webSocketRefused() throws Exception {
    HttpServer backend = h.backend(req -> req.response().setStatusCode(403).end("no sockets here"));
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("""
          GET /chat HTTP/1.1
          Host: x
          Upgrade: websocket
          Connection: Upgrade
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
          Sec-WebSocket-Version: 13

          """);
      String head = raw.readHead();
      assertThat(head).startsWith("HTTP/1.1 403");
      assertThat(raw.readBytes(15)).isEqualTo("no sockets here");
    }
  }

  @Test
  @DisplayName("several event loops share one port, each with its own backend pool")
  void instancesSharePort() throws Exception {
    Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    HttpServer backend = h.backend(req -> {
      connections.add(req.connection());
      req.response().end("ok");
    });
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 2 }
        admin: { host: 127.0.0.1, port: 0 }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: default, primary: legacy } ]
        """.formatted(backend.actualPort()));
    for (int i = 0; i < 8; i++) {
      try (RawHttp raw = new RawHttp(t.port())) {
        raw.send("GET /" + i + " HTTP/1.1\nHost: x\nConnection: close\n\n");
        assertThat(raw.readToEnd()).startsWith("HTTP/1.1 200");
      }
    }
    // New client connections are spread over both instances; each reuses its own pooled backend connection.
    assertThat(connections).hasSize(2);
  }

  @Test
  @DisplayName("an HTTP/1.0 client gets a response of unknown length unchunked, ended by closing the connection")
  void http10Client() throws Exception {
    HttpServer backend = twoChunkBackend();
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET /old HTTP/1.0\nHost: x\n\n");
      String all = raw.readToEnd();
      assertThat(all).startsWith("HTTP/1.0 200");
      assertThat(RawHttp.header(all, "Transfer-Encoding")).isNull();
      assertThat(all).endsWith("\r\n\r\nfirst,second");
    }
  }
}
