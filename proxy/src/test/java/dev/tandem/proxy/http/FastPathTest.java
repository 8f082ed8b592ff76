package dev.tandem.proxy.http;

import dev.tandem.proxy.Bodies;
import dev.tandem.proxy.RawHttp;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.CRC32;

import static dev.tandem.proxy.TandemHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Netty path ({@link FastLane}): what it must do that the Vert.x path did, and the hand-over between them on
 * one connection. The behaviours both paths share are pinned by {@code DataPlaneTest} and the rest of the suite,
 * which run on the Netty path wherever it takes the request.
 */
class FastPathTest {

  private final TandemHarness h = new TandemHarness();

  @AfterEach
  void close() {
    h.close();
  }

  @Test
  @DisplayName("a 64 MB answer streams to a client through the Netty path, byte for byte")
  void largeAnswer() {
    long size = 64L * 1024 * 1024;
    CRC32 sent = new CRC32();
    HttpServer backend = h.backend(req -> {
      req.response().putHeader("Content-Length", Long.toString(size));
      Bodies.pump(req.response(), size, sent);
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    CRC32 got = new CRC32();
    long n = h.call(() -> h.client().request(new RequestOptions().setHost("127.0.0.1").setPort(t.port()).setURI("/big"))
        .compose(req -> req.send())
        .compose(resp -> Bodies.read(resp, got)));
    assertThat(n).isEqualTo(size);
    assertThat(got.getValue()).isEqualTo(sent.getValue());
  }

  @Test
  @DisplayName("pipelined requests are answered in order, each by its own backend request")
  void pipelined() throws Exception {
    HttpServer backend = h.backend(req -> {
      // The first answer is the slowest: order must come from Tandem, not from the backend's timing.
      long delay = req.path().equals("/1") ? 100 : 1;
      h.vertx.setTimer(delay, id -> req.response().end("answer " + req.path()));
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET /1 HTTP/1.1\nHost: x\n\nGET /2 HTTP/1.1\nHost: x\n\nGET /3 HTTP/1.1\nHost: x\n\n");
      for (int i = 1; i <= 3; i++) {
        RawHttp.Response r = raw.readResponse();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("answer /" + i);
      }
    }
  }

  @Test
  @DisplayName("a request the Netty path does not take hands the connection to Vert.x, in order")
  void handOver() throws Exception {
    HttpServer backend = h.backend(req -> req.body().onSuccess(b -> req.response().end(req.path() + ":" + b)));
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      // GET (Netty path), then a chunked POST (Vert.x's path), then a GET: one connection, answers in order.
      raw.send("GET /a HTTP/1.1\nHost: x\n\n"
          + "POST /b HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n3\nxyz\n0\n\n"
          + "GET /c HTTP/1.1\nHost: x\n\n");
      assertThat(raw.readResponse().body()).isEqualTo("/a:");
      assertThat(raw.readResponse().body()).isEqualTo("/b:xyz");
      assertThat(raw.readResponse().body()).isEqualTo("/c:");
    }
    assertThat(h.registry.scrape()).contains("tandem_dataplane_requests_total{path=\"netty\"} 1.0")
        .contains("tandem_dataplane_requests_total{path=\"vertx\"} 2.0");
  }

  @Test
  @DisplayName("client connections reuse the pooled backend connections of their event loop")
  void reuse() throws Exception {
    Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    HttpServer backend = h.backend(req -> {
      connections.add(req.connection());
      req.response().end("ok");
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    for (int c = 0; c < 5; c++) {
      try (RawHttp raw = new RawHttp(t.port())) {
        for (int i = 0; i < 4; i++) {
          raw.send("GET /" + i + " HTTP/1.1\nHost: x\n\n");
          assertThat(raw.readResponse().status()).isEqualTo(200);
        }
      }
    }
    assertThat(connections).hasSize(1);
  }

  @Test
  @DisplayName("mirroring and comparison ride the Netty path: the shadow gets the body, the answers are compared")
  void mirrorAndCompare() throws Exception {
    CopyOnWriteArrayList<String> shadowSaw = new CopyOnWriteArrayList<>();
    int legacy = h.backend(req -> req.body().onSuccess(b -> req.response()
        .putHeader("Content-Type", "application/json").end("{\"got\":\"" + b + "\",\"side\":\"legacy\"}")))
        .actualPort();
    int candidate = h.backend(req -> req.body().onSuccess(b -> {
      shadowSaw.add(req.method() + " " + req.uri() + " " + b + " shadow=" + req.getHeader("X-Shadow-Request"));
      req.response().putHeader("Content-Type", "application/json")
          .end("{\"got\":\"" + b + "\",\"side\":\"candidate\"}");
    })).actualPort();
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, percent: 100, compare: true }
        comparator: { store: memory }
        """.formatted(TandemHarness.TOKEN, legacy, candidate));
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("PUT /orders/7 HTTP/1.1\nHost: x\nContent-Length: 5\n\nhello");
      RawHttp.Response r = raw.readResponse();
      assertThat(r.body()).isEqualTo("{\"got\":\"hello\",\"side\":\"legacy\"}");
    }
    TandemHarness.eventually("the shadow's copy", () -> !shadowSaw.isEmpty());
    assertThat(shadowSaw).containsExactly("PUT /orders/7 hello shadow=true");
    TandemHarness.eventually("one comparison, a real difference", () -> h.registry.scrape()
        .contains("tandem_comparisons_total{result=\"differ\",route=\"orders\"} 1.0"));
    assertThat(h.registry.scrape()).contains("tandem_dataplane_requests_total{path=\"netty\"} 1.0")
        .contains("tandem_dataplane_requests_total{path=\"vertx\"} 0.0");
  }

  @Test
  @DisplayName("a backend answering before a large upload ends: the rest of the body is read and dropped, the"
      + " connection serves on")
  void earlyAnswer() throws Exception {
    HttpServer backend = h.backend(req -> {
      if (req.path().equals("/upload")) {
        req.response().setStatusCode(413).end("too big for me"); // without reading the body
      } else {
        req.response().end("next");
      }
    });
    Tandem t = h.proxyTo(backend.actualPort(), "");
    int size = 16 * 1024 * 1024;
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("POST /upload HTTP/1.1\nHost: x\nContent-Length: " + size + "\n\n");
      Thread writer = new Thread(() -> {
        try {
          byte[] chunk = new byte[64 * 1024];
          for (int sent = 0; sent < size; sent += chunk.length) {
            raw.socket().getOutputStream().write(chunk);
          }
          raw.send("GET /after HTTP/1.1\nHost: x\n\n");
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      writer.start();
      RawHttp.Response first = raw.readResponse();
      assertThat(first.status()).isEqualTo(413);
      assertThat(first.body()).isEqualTo("too big for me");
      RawHttp.Response next = raw.readResponse(); // only once the whole upload has been read past
      assertThat(next.body()).isEqualTo("next");
      writer.join(10_000);
    }
  }

  @Test
  @DisplayName("a kept-alive backend connection found closed is retried once on a new one, for idempotent methods")
  void staleConnection() throws Exception {
    // A backend that answers the first request on each connection, keeps it alive, and closes it on the next
    // request without a word: the race a pool loses when the backend's keep-alive timeout ends as it sends.
    java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    io.vertx.core.net.NetServer backend = await(h.vertx.createNetServer().connectHandler(socket -> {
      connections.incrementAndGet();
      int[] requests = {0};
      StringBuilder seen = new StringBuilder();
      socket.handler(b -> {
        seen.append(b.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
        while (seen.indexOf("\r\n\r\n") >= 0) {
          seen.delete(0, seen.indexOf("\r\n\r\n") + 4);
          if (requests[0]++ == 0) {
            socket.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
          } else {
            socket.close();
          }
        }
      });
    }).listen(0, "127.0.0.1"));
    Tandem t = h.proxyTo(backend.actualPort(), "");
    try (RawHttp raw = new RawHttp(t.port())) {
      for (int i = 0; i < 3; i++) {
        raw.send("GET /" + i + " HTTP/1.1\nHost: x\n\n");
        RawHttp.Response r = raw.readResponse();
        assertThat(r.status()).as("GET " + i).isEqualTo(200);
        assertThat(r.body()).isEqualTo("first");
      }
      assertThat(connections.get()).isEqualTo(3);
      // A POST is not sent twice: it may have been acted on.
      raw.send("POST /once HTTP/1.1\nHost: x\nContent-Length: 0\n\n");
      assertThat(raw.readResponse().status()).isEqualTo(502);
    }
  }

  @Test
  @DisplayName("the backend's timeout holds for each request of a kept-alive connection, not only its first")
  void timeoutPerRequest() throws Exception {
    HttpServer backend = h.backend(req -> {
      if (req.path().equals("/fast")) {
        req.response().end("quick");
      } // /slow: never answered
    });
    Tandem t = h.proxyTo(backend.actualPort(), "timeout: 300ms");
    try (RawHttp raw = new RawHttp(t.port())) {
      for (int i = 0; i < 3; i++) {
        raw.send("GET /fast HTTP/1.1\nHost: x\n\n");
        assertThat(raw.readResponse().body()).isEqualTo("quick");
      }
      raw.send("GET /slow HTTP/1.1\nHost: x\n\n");
      RawHttp.Response r = raw.readResponse();
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.body()).contains("\"gateway_timeout\"").contains("300ms");
      raw.send("GET /fast HTTP/1.1\nHost: x\n\n");
      assertThat(raw.readResponse().body()).as("the connection still serves").isEqualTo("quick");
    }
  }

  @Test
  @DisplayName("a drain waits for the Netty path's exchange in flight; its answer says Connection: close")
  void drainWaits() throws Exception {
    CopyOnWriteArrayList<HttpServerResponse> waiting = new CopyOnWriteArrayList<>();
    HttpServer backend = h.backend(req -> waiting.add(req.response()));
    Tandem t = drainable(backend.actualPort(), "10s");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET /slow HTTP/1.1\nHost: x\n\n");
      TandemHarness.eventually("the backend has the request", () -> !waiting.isEmpty());
      Future<Tandem.Drained> drained = t.drain();
      h.vertx.setTimer(200, id -> waiting.get(0).end("late but whole"));
      RawHttp.Response r = raw.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("late but whole");
      assertThat(r.header("Connection")).isEqualToIgnoringCase("close");
      assertThat(raw.closedByPeer()).isTrue();
      Tandem.Drained d = await(drained);
      assertThat(d.connectionsCut()).isZero();
      assertThat(d.clean()).as(d.toString()).isTrue();
    }
  }

  @Test
  @DisplayName("a drain cuts the Netty path's exchange at its deadline, and says so")
  void drainCuts() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean reached = new java.util.concurrent.atomic.AtomicBoolean();
    HttpServer backend = h.backend(req -> reached.set(true)); // never answers
    Tandem t = drainable(backend.actualPort(), "300ms");
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET /stuck HTTP/1.1\nHost: x\n\n");
      TandemHarness.eventually("the request is in flight", reached::get);
      Tandem.Drained d = await(t.drain());
      assertThat(d.connectionsCut()).isEqualTo(1);
      assertThat(raw.closedByPeer()).isTrue();
    }
  }

  /** A Tandem whose drain has {@code timeout} to answer what is in flight. */
  private Tandem drainable(int backendPort, String timeout) {
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, shutdown: { timeout: %s } }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, primary: legacy } ]
        """.formatted(timeout, TandemHarness.TOKEN, backendPort));
  }

  @Test
  @DisplayName("a backend named by host name is reached through Vert.x's asynchronous resolver, on the Netty path")
  void hostName() throws Exception {
    HttpServer backend = h.backend(req -> req.response().end("by name"));
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0 }
        backends: { legacy: "http://localhost:%d" }
        routes: [ { name: r, primary: legacy } ]
        """.formatted(backend.actualPort()));
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET / HTTP/1.1\nHost: x\n\n");
      assertThat(raw.readResponse().body()).isEqualTo("by name");
    }
    assertThat(h.registry.scrape()).contains("tandem_dataplane_requests_total{path=\"netty\"} 1.0");
  }

  @Test
  @DisplayName("server.dataPlane: vertx keeps every request on Vert.x's path")
  void vertxOnly() throws Exception {
    HttpServer backend = h.backend(req -> req.response().end("ok"));
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, dataPlane: vertx }
        admin: { host: 127.0.0.1, port: 0 }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, primary: legacy } ]
        """.formatted(backend.actualPort()));
    try (RawHttp raw = new RawHttp(t.port())) {
      raw.send("GET / HTTP/1.1\nHost: x\n\n");
      assertThat(raw.readResponse().body()).isEqualTo("ok");
    }
  }
}
