package dev.tandem.replay;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GrpcReplayTest {

  private static final byte[] REQUEST = TandemFormatTest.grpcFrame((byte) 0x0a, (byte) 0x02, (byte) 0xff,
      (byte) 0x00, (byte) '\n', (byte) 0x80);
  private static final byte[] ANSWER = TandemFormatTest.grpcFrame((byte) 0x08, (byte) 0x96, (byte) 0x01);

  private final Vertx vertx = Vertx.vertx();

  @TempDir
  Path dir;

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** What a target saw of one request. */
  private record Seen(HttpVersion version, io.vertx.core.MultiMap headers, byte[] body) {
  }

  /** A gRPC service on loopback (h2c and HTTP/1.1): a framed answer, then {@code grpc-status} as a trailer. */
  private HttpServer grpcServer(String status, Map<String, Seen> seen) throws Exception {
    return vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true)).requestHandler(req -> req
        .body().onSuccess(b -> {
          seen.put(req.path(), new Seen(req.version(), req.headers(), b.getBytes()));
          req.response().setChunked(req.version() != HttpVersion.HTTP_2) // HTTP/1.1 carries trailers in chunks
              .putHeader("content-type", "application/grpc")
              .putTrailer("grpc-status", status).putTrailer("grpc-message", status.equals("0") ? "" : "not found")
              .end(Buffer.buffer(ANSWER));
        })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  private static URI uri(HttpServer s) {
    return URI.create("http://127.0.0.1:" + s.actualPort());
  }

  private static Map.Entry<String, String> h(String name, String value) {
    return new AbstractMap.SimpleImmutableEntry<>(name, value);
  }

  /** A unary gRPC call as a capture holds it, with the connection headers an HTTP/1.1 hop might have added. */
  private static CapturedExchange call(String id, String protocol, CapturedExchange.Response recorded) {
    return new CapturedExchange("grpc.jsonl:" + id, id, 0, "POST", "/shop.Orders/" + id, List.of(
        h("Host", "shop"), h("Content-Type", "application/grpc"), h("TE", "trailers"), h("grpc-timeout", "5S"),
        h("Connection", "keep-alive"), h("Keep-Alive", "timeout=5"), h("Proxy-Connection", "keep-alive"),
        h("Transfer-Encoding", "chunked"), h("Upgrade", "h2c")), REQUEST, recorded, protocol);
  }

  /** A request that is not gRPC: a GET with its content type and no body. */
  private static CapturedExchange plain(String id, String protocol, String contentType) {
    return new CapturedExchange("a.jsonl:" + id, id, 0, "GET", "/shop.Orders/" + id,
        List.of(h("Content-Type", contentType)), new byte[0], null, protocol);
  }

  private Replayer.Result replay(Replayer.Options options, CapturedExchange... exchanges) throws Exception {
    Replayer r = new Replayer(vertx, options);
    try {
      return r.run(List.of(exchanges)).await(30, TimeUnit.SECONDS);
    } finally {
      r.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a gRPC call recorded over HTTP/2 goes to each target over h2c with prior knowledge: TE: trailers"
      + " kept, connection headers dropped, the framed body intact")
  void sentOverHttp2() throws Exception {
    Map<String, Seen> a = new ConcurrentHashMap<>();
    Map<String, Seen> b = new ConcurrentHashMap<>();
    HttpServer target = grpcServer("0", a);
    HttpServer baseline = grpcServer("0", b);
    Replayer.Result result = replay(Replayer.Options.of(uri(target), uri(baseline), 2),
        call("Get", CaptureRecord.HTTP_2, null));
    for (Map<String, Seen> seen : List.of(a, b)) {
      Seen s = seen.get("/shop.Orders/Get");
      assertThat(s.version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(s.headers().get("te")).isEqualTo("trailers");
      assertThat(s.headers().get("content-type")).isEqualTo("application/grpc");
      assertThat(s.headers().get("grpc-timeout")).isEqualTo("5S");
      for (String hopByHop : List.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
          "host")) {
        assertThat(s.headers().contains(hopByHop)).as(hopByHop).isFalse();
      }
      assertThat(s.body()).isEqualTo(REQUEST);
    }
    assertThat(result.errors()).isZero();
    assertThat(result.compared()).isEqualTo(1);
    assertThat(result.differing()).as("same bytes, same trailers").isZero();
  }

  @Test
  @DisplayName("trailers reach the comparison after the headers: grpc-status 0 against 5 is a difference")
  void trailersCompared() throws Exception {
    HttpServer target = grpcServer("5", new ConcurrentHashMap<>());
    HttpServer baseline = grpcServer("0", new ConcurrentHashMap<>());
    Replayer.Result result = replay(Replayer.Options.of(uri(target), uri(baseline), 2),
        call("Get", CaptureRecord.HTTP_2, null));
    assertThat(result.differing()).isEqualTo(1);
    JsonObject sample = result.samples().get(0);
    assertThat(sample.getJsonArray("differences").stream().map(d -> ((JsonObject) d).getString("path")))
        .contains("grpc-status", "grpc-message");
    JsonArray headers = sample.getJsonObject("sides").getJsonObject(uri(target).toString()).getJsonArray("headers");
    assertThat(headers.getJsonArray(0).getString(0)).isEqualTo("content-type");
    assertThat(headers.getJsonArray(headers.size() - 2)).isEqualTo(new JsonArray().add("grpc-status").add("5"));
    assertThat(headers.getJsonArray(headers.size() - 1)).isEqualTo(new JsonArray().add("grpc-message")
        .add("not found"));
  }

  @Test
  @DisplayName("against the recorded answer, the recorded trailers are compared: a target answering grpc-status 5"
      + " where 0 was recorded differs, one answering 0 matches")
  void recordedTrailersCompared() throws Exception {
    CapturedExchange.Response ok = new CapturedExchange.Response(200, List.of(h("content-type", "application/grpc")),
        ANSWER, 1_000, List.of(h("grpc-status", "0"), h("grpc-message", "")));
    HttpServer failing = grpcServer("5", new ConcurrentHashMap<>());
    HttpServer fine = grpcServer("0", new ConcurrentHashMap<>());
    Replayer.Result differs = replay(Replayer.Options.of(uri(failing), null, 1), call("Get", "HTTP/2", ok));
    assertThat(differs.compared()).isEqualTo(1);
    assertThat(differs.differing()).isEqualTo(1);
    assertThat(differs.samples().get(0).getJsonArray("differences").stream()
        .map(d -> ((JsonObject) d).getString("path"))).contains("grpc-status");
    Replayer.Result matches = replay(Replayer.Options.of(uri(fine), null, 1), call("Get", "HTTP/2", ok));
    assertThat(matches.compared()).isEqualTo(1);
    assertThat(matches.differing()).isZero();
  }

  @Test
  @DisplayName("on auto, a gRPC call goes over HTTP/2 (h2c to an http:// target), also one recorded over HTTP/1.1;"
      + " other records and gRPC-Web stay on HTTP/1.1 to an http:// target")
  void autoChoosesPerRecord() throws Exception {
    Map<String, Seen> seen = new ConcurrentHashMap<>();
    HttpServer target = grpcServer("0", seen);
    replay(Replayer.Options.of(uri(target), null, 4), plain("Plain", "HTTP/1.1", "application/json"),
        plain("H2Plain", CaptureRecord.HTTP_2, "application/json"), call("Grpc11", "HTTP/1.1", null),
        plain("Web", "HTTP/1.1", "application/grpc-web+proto"));
    assertThat(seen.get("/shop.Orders/Plain").version()).isEqualTo(HttpVersion.HTTP_1_1);
    assertThat(seen.get("/shop.Orders/H2Plain").version())
        .as("an HTTP/2 record that is not gRPC goes to an http:// target over HTTP/1.1 (h2c could meet an HTTP/1.1-only"
            + " service)").isEqualTo(HttpVersion.HTTP_1_1);
    assertThat(seen.get("/shop.Orders/Grpc11").version()).isEqualTo(HttpVersion.HTTP_2);
    assertThat(seen.get("/shop.Orders/Grpc11").body()).isEqualTo(REQUEST);
    assertThat(seen.get("/shop.Orders/Web").version()).as("gRPC-Web is made for HTTP/1.1")
        .isEqualTo(HttpVersion.HTTP_1_1);
  }

  @Test
  @DisplayName("the protocol option forces it: http1 sends a gRPC/HTTP-2 record over HTTP/1.1 (no TE), h2 sends an"
      + " HTTP/1.1 record over HTTP/2")
  void protocolForced() throws Exception {
    Map<String, Seen> seen = new ConcurrentHashMap<>();
    HttpServer target = grpcServer("0", seen);
    replay(Replayer.Options.of(uri(target), null, 1).withProtocol(Replayer.Protocol.HTTP1),
        call("Forced1", CaptureRecord.HTTP_2, null));
    assertThat(seen.get("/shop.Orders/Forced1").version()).isEqualTo(HttpVersion.HTTP_1_1);
    assertThat(seen.get("/shop.Orders/Forced1").headers().contains("te")).isFalse();
    assertThat(seen.get("/shop.Orders/Forced1").body()).isEqualTo(REQUEST);
    replay(Replayer.Options.of(uri(target), null, 1).withProtocol(Replayer.Protocol.H2),
        plain("Forced2", "HTTP/1.1", "application/json"));
    assertThat(seen.get("/shop.Orders/Forced2").version()).isEqualTo(HttpVersion.HTTP_2);

    assertThat(Replayer.Protocol.of("http1")).isEqualTo(Replayer.Protocol.HTTP1);
    assertThat(Replayer.Protocol.of("H2")).isEqualTo(Replayer.Protocol.H2);
    assertThat(Replayer.Options.of(uri(target), null, 1).protocol()).isEqualTo(Replayer.Protocol.AUTO);
    assertThatThrownBy(() -> Replayer.Protocol.of("h3")).hasMessage("'h3' is not a protocol: auto, http1 or h2");
  }

  @Test
  @DisplayName("--record keeps the request's protocol and each target's trailers apart from its headers")
  void recordKeepsTrailers() throws Exception {
    HttpServer target = grpcServer("5", new ConcurrentHashMap<>());
    HttpServer baseline = grpcServer("0", new ConcurrentHashMap<>());
    try (CaptureWriter w = new CaptureWriter(new CaptureWriter.Options(dir, "replay", Long.MAX_VALUE,
        Duration.ofDays(1), 0, false, 10, 1 << 20), dev.tandem.comparator.Redactor.defaults(), "test")) {
      replay(Replayer.Options.of(uri(target), uri(baseline), 1).withRecord(w), call("Get", CaptureRecord.HTTP_2,
          null));
    }
    List<String> lines;
    try (var files = Files.list(dir)) {
      lines = Files.readAllLines(files.findFirst().orElseThrow());
    }
    CaptureRecord r = TandemFormat.decode(lines.get(1));
    assertThat(r.request().version()).isEqualTo(CaptureRecord.HTTP_2);
    assertThat(r.request().body()).isEqualTo(REQUEST);
    List<CaptureRecord.Answer> answers = new ArrayList<>(r.replayed());
    assertThat(answers).hasSize(2);
    assertThat(answers.get(0).trailers()).containsExactly(h("grpc-status", "5"), h("grpc-message", "not found"));
    assertThat(answers.get(0).headers()).extracting(Map.Entry::getKey).doesNotContain("grpc-status");
    assertThat(answers.get(0).body()).isEqualTo(ANSWER);
    assertThat(answers.get(1).trailers()).containsExactly(h("grpc-status", "0"), h("grpc-message", ""));
  }
}
