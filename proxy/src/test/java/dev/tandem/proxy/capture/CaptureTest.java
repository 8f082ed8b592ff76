package dev.tandem.proxy.capture;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.replay.CaptureFiles;
import dev.tandem.replay.CaptureRecord;
import dev.tandem.replay.CapturedExchange;
import dev.tandem.replay.TandemFormat;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

class CaptureTest {

  private final TandemHarness h = new TandemHarness();

  @TempDir
  Path dir;

  @AfterEach
  void close() {
    h.close();
  }

  private Tandem tandem(String capture) {
    int legacy = h.backend(req -> req.body().onSuccess(b -> req.response().putHeader("Content-Type",
        "application/octet-stream").end(b.length() == 0 ? Buffer.buffer("legacy") : b))).actualPort();
    int candidate = h.backend(req -> req.body().onSuccess(b -> req.response().setStatusCode(202).end("candidate")))
        .actualPort();
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, percent: 100 }
        capture: %s
        """.formatted(TandemHarness.TOKEN, legacy, candidate, capture));
  }

  private Buffer send(Tandem t, HttpMethod method, String uri, byte[] body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(t.port()).setURI(uri)
        .putHeader("Authorization", "Bearer user-secret");
    return await(h.onContext(() -> h.client().request(o).compose(r -> body == null ? r.send() : r.send(Buffer.buffer(body)))
        .compose(r -> r.body())));
  }

  private JsonObject admin(Tandem t, HttpMethod method, String uri, String body, int status) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(t.adminPort()).setURI(uri)
        .putHeader("Authorization", "Bearer " + TandemHarness.TOKEN);
    return await(h.onContext(() -> h.client().request(o).compose(r -> body == null ? r.send() : r.send(body))
        .compose(r -> {
          assertThat(r.statusCode()).as(method + " " + uri).isEqualTo(status);
          return r.body();
        }))).toJsonObject();
  }

  private List<Path> files(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> !p.toString().endsWith(".part")).sorted().toList();
    }
  }

  @Test
  @DisplayName("live exchanges are captured with the request, the primary's answer and the shadow's, bodies exact"
      + " (binary too), secrets hashed, and tandem replay reads the file")
  void capturesExchanges() throws Exception {
    Tandem t = tandem("{ enabled: true, dir: \"" + dir + "\", file: { gzip: true }, redact: { query: [token] } }");
    byte[] binary = new byte[300];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    assertThat(send(t, HttpMethod.POST, "/orders?token=abc", binary).getBytes()).isEqualTo(binary);
    assertThat(send(t, HttpMethod.GET, "/orders/1", null).toString()).isEqualTo("legacy");
    eventually("both written", () -> t.capturing().view().getLong("inOpenFile") == 2);
    await(t.close()); // completes the current file
    List<Path> written = files(dir);
    assertThat(written).singleElement().asString().endsWith(".jsonl.gz");

    List<CapturedExchange> read = CaptureFiles.read(written, 1 << 20, false, new ArrayList<>());
    assertThat(read).extracting(CapturedExchange::method).containsExactly("POST", "GET");
    CapturedExchange post = read.get(0);
    assertThat(post.body()).isEqualTo(binary);
    assertThat(post.uri()).startsWith("/orders?token=redacted:");
    assertThat(post.headers()).anySatisfy(e -> {
      assertThat(e.getKey()).isEqualToIgnoringCase("Authorization");
      assertThat(e.getValue()).startsWith("redacted:").doesNotContain("user-secret");
    });
    assertThat(post.response().status()).isEqualTo(200);
    assertThat(post.response().body()).isEqualTo(binary);

    String line;
    try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(written.get(0)))) {
      line = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().skip(2).findFirst().orElseThrow();
    }
    CaptureRecord get = TandemFormat.decode(line);
    assertThat(get.route()).isEqualTo("orders");
    assertThat(get.primary().backend()).isEqualTo("legacy");
    assertThat(get.shadow().backend()).isEqualTo("candidate");
    assertThat(get.shadow().status()).isEqualTo(202);
    assertThat(new String(get.shadow().body(), StandardCharsets.UTF_8)).isEqualTo("candidate");
  }

  @Test
  @DisplayName("PUT /admin/capture turns capture on and off at run time, audited; a bad body is a 400 naming why")
  void runTimeSwitch() throws Exception {
    Tandem t = tandem("{ enabled: false, dir: \"" + dir + "\", file: { gzip: false } }");
    send(t, HttpMethod.GET, "/orders/1", null);
    assertThat(admin(t, HttpMethod.GET, "/admin/capture", null, 200).getBoolean("enabled")).isFalse();
    JsonObject on = admin(t, HttpMethod.PUT, "/admin/capture", "{\"enabled\": true, \"reason\": \"rehearsal\"}", 200);
    assertThat(on.getBoolean("enabled")).isTrue();
    send(t, HttpMethod.GET, "/orders/2", null);
    eventually("one written", () -> t.capturing().view().getLong("inOpenFile") == 1);
    assertThat(admin(t, HttpMethod.PUT, "/admin/capture", "{\"percent\": 140}", 400).getString("message"))
        .contains("percent", "100");
    assertThat(admin(t, HttpMethod.PUT, "/admin/capture", "{\"enabled\": \"yes\"}", 400).getString("message"))
        .contains("enabled must be true or false");
    JsonObject off = admin(t, HttpMethod.PUT, "/admin/capture", "{\"enabled\": false}", 200);
    assertThat(off.getString("completedFile")).as("turning capture off completes the file, ready to replay")
        .endsWith(".jsonl");
    assertThat(Path.of(off.getString("completedFile"))).exists();
    send(t, HttpMethod.GET, "/orders/3", null);
    JsonObject audit = admin(t, HttpMethod.GET, "/admin/audit", null, 200);
    assertThat(audit.getJsonArray("entries").stream().map(JsonObject.class::cast)
        .filter(e -> "set-capture".equals(e.getString("action"))).toList()).hasSize(2)
        .anySatisfy(e -> assertThat(e.getString("reason")).isEqualTo("rehearsal"));
    assertThat(h.registry.scrape()).contains("tandem_capture_records_total{outcome=\"written\"} 1.0");
    await(t.close());
    assertThat(CaptureFiles.read(files(dir), 1 << 20, false, new ArrayList<>())).extracting(CapturedExchange::uri)
        .containsExactly("/orders/2");
  }

  @Test
  @DisplayName("a capture disk that fails never changes what clients get; the failures are counted")
  void failingDiskIsHarmless() throws Exception {
    Path blocker = Files.writeString(dir.resolve("not-a-dir"), "x");
    Tandem t = tandem("{ enabled: true, dir: \"" + blocker.resolve("captures") + "\" }");
    for (int i = 0; i < 20; i++) {
      assertThat(send(t, HttpMethod.POST, "/orders", ("order " + i).getBytes(StandardCharsets.UTF_8)).toString())
          .isEqualTo("order " + i);
    }
    eventually("failures counted", () -> t.capturing().view().getLong("failed") == 20);
    assertThat(h.registry.scrape()).contains("tandem_capture_records_total{outcome=\"failed\"} 20.0");
  }

  @Test
  @DisplayName("a write to a primary that is down is captured with Tandem's 502, the error, and the body the client"
      + " sent")
  void failedPrimaryCaptured() throws Exception {
    io.vertx.core.http.HttpServer gone = h.backend(req -> req.response().end());
    int port = gone.actualPort();
    await(gone.close());
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: orders, primary: legacy } ]
        capture: { enabled: true, dir: "%s", file: { gzip: false } }
        """.formatted(TandemHarness.TOKEN, port, dir));
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(t.port())
        .setURI("/orders");
    int status = await(h.onContext(() -> h.client().request(o).compose(r -> r.send("{\"qty\":1}"))
        .map(r -> r.statusCode())));
    assertThat(status).isEqualTo(502);
    eventually("captured", () -> t.capturing().view().getLong("inOpenFile") == 1);
    await(t.close());
    String line = Files.readAllLines(files(dir).get(0)).get(1);
    CaptureRecord r = TandemFormat.decode(line);
    assertThat(r.primary().status()).isEqualTo(502);
    assertThat(r.primary().error()).isNotBlank();
    assertThat(new String(r.request().body(), StandardCharsets.UTF_8)).isEqualTo("{\"qty\":1}");
  }
}
