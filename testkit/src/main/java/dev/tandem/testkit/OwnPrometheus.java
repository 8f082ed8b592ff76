package dev.tandem.testkit;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Prometheus server of the test's own (Debian's {@code prometheus} package) on a free loopback port, scraping the
 * given targets' {@code /metrics} every second, its storage in a temporary directory removed on close.
 */
public final class OwnPrometheus implements AutoCloseable {

  private final int port;
  private final Path dir;
  private final Process process;

  private OwnPrometheus(int port, Path dir, Process process) {
    this.port = port;
    this.dir = dir;
    this.process = process;
  }

  /** @param targets {@code host:port} of each instance to scrape */
  public static OwnPrometheus start(List<String> targets) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return startOn(port, targets);
  }

  /** On {@code port}, for a test that must name Prometheus's URL before it can name the targets. */
  public static OwnPrometheus startOn(int port, List<String> targets) throws IOException {
    String binary = TestServices.binary("prometheus", "apt-get install prometheus");
    Path dir = Files.createTempDirectory("tandem-test-prometheus");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global: { scrape_interval: 1s, evaluation_interval: 1s }
        scrape_configs:
          - job_name: tandem
            metrics_path: /metrics
            static_configs:
              - targets: [%s]
        """.formatted(targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "))));
    Process p = new ProcessBuilder(binary, "--config.file=" + config, "--web.listen-address=127.0.0.1:" + port,
        "--storage.tsdb.path=" + dir.resolve("data"), "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    OwnPrometheus prometheus = new OwnPrometheus(port, dir, p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!prometheus.ready()) {
      if (System.nanoTime() > deadline || !p.isAlive()) {
        String log = Files.exists(dir.resolve("prometheus.log")) ? Files.readString(dir.resolve("prometheus.log")) : "";
        prometheus.close();
        throw new IllegalStateException("prometheus did not start on port " + port + ": " + log);
      }
      Thread.onSpinWait();
    }
    return prometheus;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  private boolean ready() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/-/ready").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(500);
      return c.getResponseCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /** The answer of an instant query, as JSON text (for a test to wait until the scrapes are in). */
  public String query(String promql) throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/api/v1/query?query="
        + java.net.URLEncoder.encode(promql, StandardCharsets.UTF_8)).toURL().openConnection();
    try (var in = c.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory; the OS cleans up what is left
    }
  }
}
