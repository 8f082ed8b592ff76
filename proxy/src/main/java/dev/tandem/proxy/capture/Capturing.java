package dev.tandem.proxy.capture;

import dev.tandem.comparator.Redactor;
import dev.tandem.proxy.compare.KeptBody;
import dev.tandem.proxy.config.CaptureConfig;
import dev.tandem.proxy.config.Percent;
import dev.tandem.replay.CaptureWriter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Traffic capture for the whole proxy: decides which exchanges are captured (on or off, a sampled share, chosen
 * routes), and hands complete records to the {@link CaptureWriter}, whose bounded queue and thread keep the disk
 * away from the data plane. On/off and the share change at run time ({@code PUT /admin/capture}), per instance.
 * Counts {@code tandem_capture_records_total{outcome}}: written, dropped_queue_full, failed, skipped_sample,
 * abandoned.
 */
public final class Capturing {

  private final CaptureConfig config;
  private final CaptureWriter writer;
  private final String instance = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
  private final AtomicLong sequence = new AtomicLong();
  private final LongAdder skippedSample = new LongAdder();
  private final LongAdder abandoned = new LongAdder();
  private volatile boolean enabled;
  private volatile double percent;

  private final Vertx vertx;

  public Capturing(Vertx vertx, CaptureConfig config, MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.enabled = config.enabled();
    this.percent = config.percent();
    this.writer = new CaptureWriter(new CaptureWriter.Options(Path.of(config.dir()), "tandem", config.maxFileBytes(),
        config.maxFileAge(), config.maxFiles(), config.gzip(), config.queue(), config.queueBytes()),
        new Redactor(config.redactHeaders(), config.redactJson(), config.redactQuery()),
        "tandem proxy");
    counter(registry, "written", writer, CaptureWriter::written);
    counter(registry, "dropped_queue_full", writer, CaptureWriter::dropped);
    counter(registry, "failed", writer, CaptureWriter::failed);
    counter(registry, "skipped_sample", skippedSample, LongAdder::sum);
    counter(registry, "abandoned", abandoned, LongAdder::sum);
    Gauge.builder("tandem.capture.queue", writer, CaptureWriter::queued)
        .description("Captured exchanges waiting for the disk").register(registry);
    Gauge.builder("tandem.capture.open.file.records", writer, CaptureWriter::inOpenFile)
        .description("Captured exchanges in the file being written, not yet complete").register(registry);
    FunctionCounter.builder("tandem.capture.files", writer, CaptureWriter::filesOpened)
        .description("Capture files opened").register(registry);
    FunctionCounter.builder("tandem.capture.bytes", writer, CaptureWriter::bytesWritten)
        .description("Bytes in completed capture files").register(registry);
  }

  private static <T> void counter(MeterRegistry registry, String outcome, T source,
                                  java.util.function.ToDoubleFunction<T> f) {
    FunctionCounter.builder("tandem.capture.records", source, f).tag("outcome", outcome)
        .description("Exchanges considered for capture, by outcome").register(registry);
  }

  /** Starts capturing one exchange; null when it is not captured (off, another route, not sampled). */
  public PendingCapture begin(String route, HttpServerRequest request, String uri) {
    if (!covers(route)) {
      return null;
    }
    double p = percent;
    if (p < 100 && ThreadLocalRandom.current().nextDouble() * 100 >= p) {
      skippedSample.increment();
      return null;
    }
    return new PendingCapture(this, instance + "-" + sequence.incrementAndGet(), route, request.method().name(), uri,
        httpVersion(request), headers(request), config.maxBodyBytes());
  }

  /** Whether requests on {@code route} are captured now (or sampled for it). */
  public boolean covers(String route) {
    return enabled && (config.routes().isEmpty() || config.routes().contains(route));
  }

  /** The request's headers; an HTTP/2 request's :authority as its Host, which Vert.x takes out of them. */
  private static java.util.List<java.util.Map.Entry<String, String>> headers(HttpServerRequest request) {
    java.util.List<java.util.Map.Entry<String, String>> headers = KeptBody.headers(request.headers());
    String host = dev.tandem.proxy.http.HopByHop.host(request);
    if (host != null && !request.headers().contains("Host")) {
      headers.add(0, java.util.Map.entry("Host", host));
    }
    return headers;
  }

  private static String httpVersion(HttpServerRequest request) {
    return switch (request.version()) {
      case HTTP_1_0 -> "HTTP/1.0";
      case HTTP_2 -> "HTTP/2";
      default -> "HTTP/1.1";
    };
  }

  long maxBodyBytes() {
    return config.maxBodyBytes();
  }

  void write(dev.tandem.replay.CaptureRecord r) {
    writer.offer(r); // a full queue sheds and counts: the data plane never waits for the disk
  }

  void abandoned() {
    abandoned.increment();
  }

  /**
   * Completes the file being written, with every exchange captured so far, so that it can be replayed now; the
   * future holds its path, or null when no file was open.
   */
  public Future<Path> completeFile() {
    io.vertx.core.Context context = vertx.getOrCreateContext();
    return Future.fromCompletionStage(writer.completeFile(), context)
        .timeout(10, java.util.concurrent.TimeUnit.SECONDS); // a stalled disk answers, with a failure
  }

  /** Turns capture on or off and sets the share; null leaves a value as it is. Returns the new view. */
  public CaptureConfig config() {
    return config;
  }

  public synchronized JsonObject set(Boolean on, Double share) {
    if (share != null) {
      String problem = Percent.problem(share);
      if (problem != null) {
        throw new IllegalArgumentException("percent " + problem);
      }
      percent = share;
    }
    if (on != null) {
      enabled = on;
    }
    return view();
  }

  /** What is captured, where, and what became of it so far. */
  public JsonObject view() {
    return new JsonObject().put("enabled", enabled).put("percent", percent)
        .put("routes", new JsonArray(config.routes().stream().sorted().toList()))
        .put("dir", Path.of(config.dir()).toAbsolutePath().toString()).put("gzip", config.gzip())
        .put("written", writer.written()).put("inOpenFile", writer.inOpenFile())
        .put("droppedQueueFull", writer.dropped()).put("failed", writer.failed())
        .put("skippedSample", skippedSample.sum()).put("abandoned", abandoned.sum())
        .put("queued", writer.queued()).put("files", writer.filesOpened()).put("bytes", writer.bytesWritten());
  }

  /** Writes what is queued and completes the current file, on a worker thread. */
  public Future<Void> close() {
    return vertx.executeBlocking(() -> {
      writer.close();
      return null;
    }, false);
  }
}
