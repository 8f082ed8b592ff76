package dev.tandem.proxy.canary;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One side (primary or canary) of one route, counted over rollout intervals: requests, errors (5xx, including
 * Tandem's own 502/504) and latency. Recording is wait-free from any event loop (HdrHistogram's {@code Recorder},
 * {@code LongAdder}s); {@link #interval()} hands over what was recorded since the previous call. Memory is fixed:
 * a histogram of 1 µs to 1 h at 2 significant digits.
 */
public final class SideStats implements dev.tandem.proxy.metrics.Recorder {

  private static final long MAX_MICROS = TimeUnit.HOURS.toMicros(1);

  private final Recorder latency = new Recorder(1, MAX_MICROS, 2);
  private final LongAdder requests = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private Histogram recycled;

  /**
   * What one side did over one interval.
   *
   * @param p99Millis 99th percentile latency; 0 without requests
   */
  public record Interval(long requests, long errors, double p99Millis) {

    /** Errors in percent of requests; 0 without requests. */
    public double errorRate() {
      return requests == 0 ? 0 : errors * 100.0 / requests;
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

  /** What was recorded since the last call, and starts a new interval. */
  public synchronized Interval interval() {
    Histogram h = latency.getIntervalHistogram(recycled);
    recycled = h;
    long n = requests.sumThenReset();
    long e = errors.sumThenReset();
    double p99 = h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0;
    return new Interval(n, e, p99);
  }
}
