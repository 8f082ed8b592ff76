package dev.tandem.replay;

import dev.tandem.comparator.PathPattern;
import dev.tandem.comparator.Redactor;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class CaptureWriterTest {

  @TempDir
  Path dir;

  private CaptureWriter.Options options(long maxBytes, Duration maxAge, int maxFiles, boolean gzip, int queue) {
    return new CaptureWriter.Options(dir, "tandem", maxBytes, maxAge, maxFiles, gzip, queue, 64L * 1024 * 1024);
  }

  private static CaptureRecord record(int i, String body) {
    return TandemFormatTest.record("r" + i, Instant.parse("2026-12-01T10:00:00Z").plusMillis(i), "POST",
        "/orders/" + i + "?token=abc&page=2", body.getBytes(StandardCharsets.UTF_8));
  }

  private List<Path> complete() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.toString().endsWith(".part")).sorted().toList();
    }
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(10); // polling interval
    }
  }

  @Test
  @DisplayName("files rotate by size, gzip, each complete file is read back exactly by replay's reader, and only"
      + " maxFiles are kept")
  void rotatesAndRetains() throws Exception {
    try (CaptureWriter w = new CaptureWriter(options(4 * 1024, Duration.ofHours(1), 3, true, 1000),
        Redactor.defaults(), "test")) {
      for (int i = 0; i < 400; i++) {
        assertThat(w.offer(record(i, "{\"n\":" + i + ",\"pad\":\"" + java.util.UUID.randomUUID() + java.util.UUID.randomUUID()
            + java.util.UUID.randomUUID() + "x".repeat(i % 50)
            + "\"}"))).isTrue();
      }
      eventually("all written", () -> w.written() + w.inOpenFile() == 400);
      assertThat(w.filesOpened()).as("rotated by size").isGreaterThan(3);
    }
    List<Path> files = complete();
    assertThat(files).hasSize(3).allSatisfy(p -> assertThat(p.getFileName().toString()).matches(
        "tandem-\\d{8}T\\d{6}Z-\\d{4}\\.jsonl\\.gz"));
    List<CapturedExchange> read = CaptureFiles.read(files, 1 << 20, false, new ArrayList<>());
    assertThat(read).isNotEmpty();
    CapturedExchange last = read.get(read.size() - 1);
    assertThat(last.id()).isEqualTo("r399");
    assertThat(new String(last.body(), StandardCharsets.UTF_8)).startsWith("{\"n\":399,\"pad\":\"")
        .endsWith("x".repeat(49) + "\"}");
  }

  @Test
  @DisplayName("redaction runs before writing: headers, query parameters and JSON paths become stable hashes, the"
      + " rest keeps its shape")
  void redacts() throws Exception {
    CaptureRecord r = record(1, "{\"card\":{\"number\":\"4111\"},\"qty\":2}");
    CaptureRecord withAuth = new CaptureRecord(r.id(), r.time(), r.route(), new CaptureRecord.Request("POST",
        r.request().uri(), "HTTP/1.1", List.of(Map("Authorization", "Bearer s3cret"), Map("X-Trace", "t1")),
        r.request().body(), r.request().bodyLength()), r.primary(), null);
    Redactor redactor = new Redactor(Redactor.DEFAULT_HEADERS, List.of(PathPattern.of("/card/number")),
        java.util.Set.of("token"));
    try (CaptureWriter w = new CaptureWriter(options(1 << 20, Duration.ofHours(1), 0, false, 10), redactor, "t")) {
      w.offer(withAuth);
      w.offer(withAuth);
      eventually("written", () -> w.inOpenFile() == 2);
    }
    String text = Files.readString(complete().get(0));
    assertThat(text).doesNotContain("s3cret", "4111", "token=abc").contains("X-Trace", "page=2", "\\\"qty\\\":2");
    CapturedExchange e = CaptureFiles.read(complete(), 1 << 20, false, new ArrayList<>()).get(0);
    assertThat(e.uri()).matches("/orders/1\\?token=redacted:[0-9a-f]{12}&page=2");
    assertThat(e.headers().get(0).getValue()).startsWith("redacted:");
    List<CapturedExchange> both = CaptureFiles.read(complete(), 1 << 20, false, new ArrayList<>());
    assertThat(both.get(0).headers()).isEqualTo(both.get(1).headers()); // stable: the same secret, the same hash
  }

  @Test
  @DisplayName("a gRPC exchange goes through the writer whole: HTTP/2, framed bodies byte for byte even with JSON"
      + " paths redacted, trailers kept and redacted as headers are")
  void keepsGrpc() throws Exception {
    byte[] body = TandemFormatTest.grpcFrame("{\"card\":{\"number\":\"4111\"}}".getBytes(StandardCharsets.UTF_8));
    CaptureRecord g = TandemFormatTest.grpcRecord("g1", body, "0", "5");
    CaptureRecord.Answer p = g.primary();
    CaptureRecord withSecret = new CaptureRecord(g.id(), g.time(), g.route(), g.request(),
        new CaptureRecord.Answer(p.backend(), p.status(), p.headers(), p.body(), p.bodyLength(), p.latencyNanos(),
            null, List.of(Map("grpc-status", "0"), Map("x-api-key", "k3y"))), g.shadow());
    Redactor redactor = new Redactor(Redactor.DEFAULT_HEADERS, List.of(PathPattern.of("/card/number")));
    try (CaptureWriter w = new CaptureWriter(options(1 << 20, Duration.ofHours(1), 0, true, 10), redactor, "t")) {
      w.offer(withSecret);
      eventually("written", () -> w.inOpenFile() == 1);
    }
    CapturedExchange e = CaptureFiles.read(complete(), 1 << 20, false, new ArrayList<>()).get(0);
    assertThat(e.protocol()).isEqualTo(CaptureRecord.HTTP_2);
    assertThat(e.body()).as("a framed body is not JSON: never re-serialised").isEqualTo(body);
    assertThat(e.response().body()).isEqualTo(body);
    assertThat(e.response().trailers()).hasSize(2).first().isEqualTo(Map("grpc-status", "0"));
    assertThat(e.response().trailers().get(1).getValue()).startsWith("redacted:");
  }

  private static java.util.Map.Entry<String, String> Map(String k, String v) {
    return new java.util.AbstractMap.SimpleImmutableEntry<>(k, v);
  }

  @Test
  @DisplayName("a disk that stalls never blocks offer: the queue fills to its bound, the rest is shed and counted,"
      + " and what was queued is written once the disk comes back")
  void slowDiskSheds() throws Exception {
    CountDownLatch disk = new CountDownLatch(1);
    CountDownLatch stalled = new CountDownLatch(1);
    CaptureWriter.Opener stalling = file -> {
      OutputStream real = Files.newOutputStream(file);
      return new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          try {
            stalled.countDown();
            disk.await();
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          real.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          real.close();
        }
      };
    };
    CaptureWriter w = new CaptureWriter(options(1 << 20, Duration.ofHours(1), 0, false, 5), Redactor.defaults(), "t",
        Clock.systemUTC(), stalling);
    assertThat(w.offer(record(0, "{}"))).isTrue();
    assertThat(stalled.await(10, TimeUnit.SECONDS)).as("the writer is stuck on the disk").isTrue();
    int taken = 0;
    for (int i = 1; i <= 100; i++) {
      taken += w.offer(record(i, "{}")) ? 1 : 0;
    }
    assertThat(taken).as("the queue's bound").isEqualTo(5);
    assertThat(w.dropped()).isEqualTo(95);
    assertThat(w.queued()).isEqualTo(5);
    int accepted = taken + 1;
    disk.countDown();
    eventually("queued records written", () -> w.inOpenFile() == accepted);
    w.close();
    assertThat(w.written()).isEqualTo(accepted);
    assertThat(CaptureFiles.read(complete(), 1 << 20, false, new ArrayList<>())).hasSize(accepted);
  }

  @Test
  @DisplayName("a disk that fails is counted, and the writer goes on once it works again")
  void failingDiskCounted() throws Exception {
    boolean[] broken = {true};
    CaptureWriter.Opener flaky = file -> {
      if (broken[0]) {
        throw new IOException("No space left on device");
      }
      return Files.newOutputStream(file);
    };
    CaptureWriter.Options o = options(1 << 20, Duration.ofHours(1), 0, false, 100);
    CaptureWriter.Options noPause = new CaptureWriter.Options(o.dir(), o.prefix(), o.maxFileBytes(), o.maxFileAge(),
        o.maxFiles(), o.gzip(), o.queueRecords(), o.queueBytes(), Duration.ZERO);
    try (CaptureWriter w = new CaptureWriter(noPause, Redactor.defaults(), "t", Clock.systemUTC(), flaky)) {
      w.offer(record(1, "{}"));
      eventually("failure counted", () -> w.failed() == 1);
      broken[0] = false;
      w.offer(record(2, "{}"));
      eventually("written", () -> w.inOpenFile() == 1);
    }
    assertThat(CaptureFiles.read(complete(), 1 << 20, false, new ArrayList<>())).extracting(CapturedExchange::id)
        .containsExactly("r2");
  }

  @Test
  @DisplayName("after the disk failed, records are counted as failed without trying it for each, for the retry pause")
  void failingDiskPauses() throws Exception {
    java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
    CaptureWriter.Opener broken = file -> {
      opens.incrementAndGet();
      throw new IOException("No space left on device");
    };
    try (CaptureWriter w = new CaptureWriter(options(1 << 20, Duration.ofHours(1), 0, false, 1000),
        Redactor.defaults(), "t", Clock.systemUTC(), broken)) {
      for (int i = 0; i < 50; i++) {
        w.offer(record(i, "{}"));
      }
      eventually("all counted", () -> w.failed() == 50);
      assertThat(opens.get()).as("the disk tried once, not 50 times, within the pause").isEqualTo(1);
      assertThat(w.written()).isZero();
    }
  }

  @Test
  @DisplayName("JSON redaction that changes a whole body's length keeps it whole: the record is not taken for cut")
  void redactedBodyStaysWhole() throws Exception {
    Redactor redactor = new Redactor(Redactor.DEFAULT_HEADERS, List.of(PathPattern.of("/secret")), java.util.Set.of());
    try (CaptureWriter w = new CaptureWriter(options(1 << 20, Duration.ofHours(1), 0, false, 10), redactor, "t")) {
      // Spaces, as Python's json.dumps writes them: the re-serialised body is shorter than the original.
      w.offer(record(1, "{ \"qty\" : 2 ,   \"note\" :  \"a long note with spaces\" }"));
      eventually("written", () -> w.inOpenFile() == 1);
    }
    List<CapturedExchange> read = CaptureFiles.read(complete(), 1 << 20, false, new ArrayList<>());
    assertThat(read).singleElement().satisfies(e -> assertThat(new String(e.body(), StandardCharsets.UTF_8))
        .isEqualTo("{\"qty\":2,\"note\":\"a long note with spaces\"}"));
  }

  @Test
  @DisplayName("a file is completed when it reaches its age, even when no more traffic comes")
  void rotatesByAge() throws Exception {
    try (CaptureWriter w = new CaptureWriter(options(1 << 20, Duration.ofMillis(50), 0, true, 100),
        Redactor.defaults(), "t")) {
      w.offer(record(1, "{}"));
      eventually("the file completed by age", () -> {
        try {
          return complete().size() == 1;
        } catch (IOException e) {
          return false;
        }
      });
      assertThat(CaptureFiles.read(complete(), 1 << 20, false, new ArrayList<>())).hasSize(1);
    }
  }
}
