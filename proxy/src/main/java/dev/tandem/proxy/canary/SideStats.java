package dev.tandem.proxy.canary;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.DataFormatException;

/**
 * One side (primary or canary) of one route, counted over rollout intervals: requests, errors (5xx, including
 * Tandem's own 502/504) and latency. Recording is wait-free from any event loop (HdrHistogram's {@code Recorder},
 * {@code LongAdder}s); {@link #drain()} hands over what was recorded since the previous call. Memory is fixed:
 * a histogram of 1 µs to 1 h at 2 significant digits.
 */
public final class SideStats implements dev.tandem.proxy.metrics.Recorder {

  static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);
  private static final int DIGITS = 2;

  private final Recorder latency = new Recorder(1, MAX_MICROS, DIGITS);
  private final LongAdder requests = new LongAdder();
  private final LongAdder errors = new LongAdder();

  /**
   * What one side did over one interval, as the gates judge it.
   *
   * @param p99Millis 99th percentile latency; 0 without requests
   */
  public record Interval(long requests, long errors, double p99Millis) {

    /** Errors in percent of requests; 0 without requests. */
    public double errorRate() {
      return requests == 0 ? 0 : errors * 100.0 / requests;
    }
  }

  /**
   * What one side did over some time, with its whole latency histogram, so that samples of several instances (or
   * several seconds) add up before a percentile is taken.
   */
  public record Sample(long requests, long errors, Histogram latency) {

    public static Sample empty() {
      return new Sample(0, 0, new Histogram(1, MAX_MICROS, DIGITS));
    }

    public Sample plus(Sample other) {
      Histogram h = latency.copy();
      h.add(other.latency);
      return new Sample(requests + other.requests, errors + other.errors, h);
    }

    public Interval interval() {
      double p99 = latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(99) / 1000.0;
      return new Interval(requests, errors, p99);
    }

    public JsonObject toJson() {
      ByteBuffer buffer = ByteBuffer.allocate(latency.getNeededByteBufferCapacity());
      int n = latency.encodeIntoCompressedByteBuffer(buffer);
      byte[] bytes = new byte[n];
      buffer.flip();
      buffer.get(bytes);
      return new JsonObject().put("requests", requests).put("errors", errors)
          .put("latency", Base64.getEncoder().encodeToString(bytes));
    }

    /** @throws IllegalArgumentException when {@code json} is not a sample */
    public static Sample fromJson(JsonObject json) {
      try {
        byte[] bytes = Base64.getDecoder().decode(json.getString("latency", ""));
        Histogram h = bytes.length == 0 ? new Histogram(1, MAX_MICROS, DIGITS)
            : Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 1);
        return new Sample(json.getLong("requests", 0L), json.getLong("errors", 0L), h);
      } catch (DataFormatException | RuntimeException e) {
        throw new IllegalArgumentException("not a latency sample: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void record(int statusCode, long nanos) {
    if (statusCode == 499) {
      return; // the client went away: neither side's doing
    }
    requests.increment();
    if (statusCode >= 500) {
      errors.increment();
    }
    latency.recordValue(Math.min(MAX_MICROS, Math.max(1, nanos / 1000)));
  }

  /** What was recorded since the last call; the next call starts from here. */
  public synchronized Sample drain() {
    Histogram h = latency.getIntervalHistogram();
    return new Sample(requests.sumThenReset(), errors.sumThenReset(), h);
  }

  /** {@link #drain()} as the gates judge it. */
  public Interval interval() {
    return drain().interval();
  }
}
