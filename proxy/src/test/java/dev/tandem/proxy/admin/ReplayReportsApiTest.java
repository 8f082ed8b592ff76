package dev.tandem.proxy.admin;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ReplayReportsApiTest {

  private final TandemHarness h = new TandemHarness();

  @AfterEach
  void close() {
    h.close();
  }

  private static void report(Path dir, String name, String verdict, long ageSeconds) throws Exception {
    Path f = Files.writeString(dir.resolve(name), new JsonObject().put("verdict", verdict)
        .put("reasons", new JsonArray().add("difference rate 12.5% is above 5.0%"))
        .put("totals", new JsonObject().put("sent", 8).put("diffRate", 12.5))
        .put("endpoints", new JsonArray().add(new JsonObject().put("endpoint", "GET /orders/{id}"))).encode());
    Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(ageSeconds)));
  }

  @Test
  @DisplayName("admin.replayReports: the reports listed newest first with verdict and totals, one read whole; a file"
      + " that is not a report listed with why; other names refused; without the key, 404 saying which key")
  void reports(@TempDir Path dir) throws Exception {
    report(dir, "old.json", "PASS", 600);
    report(dir, "new.json", "FAIL", 10);
    Files.writeString(dir.resolve("broken.json"), "{\"verdict\":");
    Files.setLastModifiedTime(dir.resolve("broken.json"), FileTime.from(Instant.now().minusSeconds(300)));
    Files.writeString(dir.resolve("notes.txt"), "not listed");
    // A field of the wrong type is that file's problem, not the listing's; a link out of the directory is refused.
    Files.writeString(dir.resolve("odd.json"), "{\"verdict\":\"PASS\",\"totals\":{},\"reasons\":\"one\"}");
    Files.setLastModifiedTime(dir.resolve("odd.json"), FileTime.from(Instant.now().minusSeconds(400)));
    Path outside = Files.writeString(dir.resolveSibling(dir.getFileName() + "-secret.json"),
        "{\"verdict\":\"PASS\",\"totals\":{\"secret\":1}}");
    Files.createSymbolicLink(dir.resolve("link.json"), outside);
    Files.setLastModifiedTime(outside, FileTime.from(Instant.now().minusSeconds(500)));
    int backend = h.backend(req -> req.response().end("ok")).actualPort();
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s, replayReports: "%s" }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: r, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, dir, backend));

    TandemHarness.Admin list = h.admin(t, HttpMethod.GET, "/admin/replay/reports", null);
    assertThat(list.status()).isEqualTo(200);
    JsonArray reports = list.json().getJsonArray("reports");
    assertThat(reports.stream().map(o -> ((JsonObject) o).getString("name")))
        .containsExactly("new.json", "broken.json", "odd.json", "old.json");
    assertThat(reports.getJsonObject(0).getString("verdict")).isEqualTo("FAIL");
    assertThat(reports.getJsonObject(0).getJsonObject("totals").getInteger("sent")).isEqualTo(8);
    assertThat(reports.getJsonObject(1).getString("error")).startsWith("not JSON");
    assertThat(reports.getJsonObject(2).getString("error")).isNotBlank();
    assertThat(list.json().getInteger("total")).isEqualTo(4);
    assertThat(h.admin(t, HttpMethod.GET, "/admin/replay/reports/link.json", null).status()).isEqualTo(422);

    TandemHarness.Admin one = h.admin(t, HttpMethod.GET, "/admin/replay/reports/old.json", null);
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.json().getString("verdict")).isEqualTo("PASS");
    assertThat(one.json().getJsonArray("endpoints").getJsonObject(0).getString("endpoint"))
        .isEqualTo("GET /orders/{id}");
    assertThat(h.admin(t, HttpMethod.GET, "/admin/replay/reports/missing.json", null).status()).isEqualTo(404);
    assertThat(h.admin(t, HttpMethod.GET, "/admin/replay/reports/broken.json", null).status()).isEqualTo(422);
    TandemHarness.Admin bad = h.admin(t, HttpMethod.GET, "/admin/replay/reports/..%2Fsecrets.json", null);
    assertThat(bad.status()).isIn(400, 404);
    assertThat(h.admin(t, HttpMethod.GET, "/admin/replay/reports/notes.txt", null).status()).isEqualTo(400);

    Tandem plain = h.proxyTo(backend, "");
    TandemHarness.Admin none = h.admin(plain, HttpMethod.GET, "/admin/replay/reports", null);
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.json().getString("message")).contains("admin.replayReports");
  }
}
