package dev.tandem.proxy.http;

import dev.tandem.proxy.Bodies;
import dev.tandem.proxy.TandemHarness;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 200 MB through a Tandem whose heap is capped far below that: if any part of the primary path buffered a body,
 * the proxy process would run out of memory. Tandem runs in its own JVM, started by the real CLI.
 */
class LargeBodyTest {

  private static final long SIZE = 200L * 1024 * 1024;
    private static final Pattern LISTENING = Pattern.compile("proxy on http://127\\.0\\.0\\.1:(\\d+)");

  private final TandemHarness h = new TandemHarness();
  private Process proxy;

  @AfterEach
  void stop() throws InterruptedException {
    if (proxy != null) {
      proxy.destroy();
      proxy.waitFor(10, TimeUnit.SECONDS);
    }
    h.close();
  }

  @Test
  @DisplayName("200 MB uploads (sized and chunked) and a 200 MB download stream through a proxy with a 48 MB heap")
  void largeBodiesStream(@TempDir Path dir) throws Exception {
    HttpServer backend = h.backend(req -> {
      if (req.method() == HttpMethod.POST) {
        CRC32 crc = new CRC32();
        long[] count = {0};
        req.handler(chunk -> {
          count[0] += chunk.length();
          crc.update(chunk.getBytes());
        });
        req.endHandler(v -> req.response().end(count[0] + " " + crc.getValue()));
      } else {
        req.response().putHeader("Content-Length", Long.toString(SIZE));
        Bodies.pump(req.response(), SIZE, new CRC32());
      }
    });
    Path config = dir.resolve("tandem.yaml");
    Files.writeString(config, """
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0 }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: default, primary: legacy, maxBodyBytes: 1GB } ]
        """.formatted(backend.actualPort()));
    int port = startProxy(config, dir.resolve("proxy.log"));
    // A sized upload first: the Netty path.
    assertThat(upload(port, false)).isEqualTo(SIZE + " " + uploadCrc.getValue());

    CRC32 expected = new CRC32();
    byte[] chunk = Bodies.pattern();
    for (long n = 0; n < SIZE; n += Bodies.CHUNK) {
      expected.update(chunk, 0, (int) Math.min(Bodies.CHUNK, SIZE - n));
    }
    CRC32 gotCrc = new CRC32();
    long got = h.call(() -> h.client().request(new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/download"))
        .compose(req -> req.send())
        .compose(resp -> Bodies.read(resp, gotCrc)));
    assertThat(got).isEqualTo(SIZE);
    assertThat(gotCrc.getValue()).isEqualTo(expected.getValue());
    // A chunked upload: the Vert.x path (the download above and the sized upload went by the Netty path).
    assertThat(upload(port, true)).isEqualTo(SIZE + " " + uploadCrc.getValue());
    assertThat(proxy.isAlive()).as("proxy still running").isTrue();
    assertThat(Files.readString(dir.resolve("proxy.log"))).doesNotContain("OutOfMemoryError");
  }

  private final CRC32 uploadCrc = new CRC32();

  /** Uploads {@code SIZE} bytes, chunked or with a Content-Length; what the backend counted and its CRC. */
  private String upload(int port, boolean chunked) {
    uploadCrc.reset();
    return h.call(() -> h.client().request(new RequestOptions().setMethod(HttpMethod.POST)
            .setHost("127.0.0.1").setPort(port).setURI("/upload"))
        .compose(req -> {
          if (chunked) {
            req.setChunked(true);
          } else {
            req.putHeader("Content-Length", Long.toString(SIZE));
          }
          return Bodies.pump(req, SIZE, uploadCrc).compose(v -> req.response());
        })
        .compose(resp -> resp.body().map(Buffer::toString)));
  }

  private int startProxy(Path config, Path log) throws IOException {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    proxy = new ProcessBuilder(javaBin, "-Xmx48m", "-XX:MaxDirectMemorySize=64m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), "dev.tandem.proxy.Main", "proxy", "--config", config.toString())
        .redirectErrorStream(true)
        .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      seen.append(line).append('\n');
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        // Keep draining its output into a file so the process never blocks on a full pipe.
        Thread drain = new Thread(() -> {
          try {
            Files.writeString(log, seen);
            String l;
            while ((l = out.readLine()) != null) {
              Files.writeString(log, l + "\n", StandardOpenOption.APPEND);
            }
          } catch (IOException ignored) {
            // the process ended
          }
        });
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("the proxy did not start:\n" + seen);
  }
}
