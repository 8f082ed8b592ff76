package dev.tandem.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The recent traffic per route and backend, for the dashboard: every {@code interval}, the requests, 5xx answers and
 * p50/p99 latency since the sample before, read from the meters {@link ProxyMetrics} records
 * ({@code tandem_requests_total}, {@code tandem_request_duration_seconds}). The newest {@code capacity} points are
 * kept in a ring, so memory is fixed: points × route/backend pairs (bounded by the configuration), a few numbers each.
 * Sampling runs on a Vert.x timer; reading may happen on any thread.
 */
public final class TrafficHistory {

  private final MeterRegistry registry;
  private final Duration interval;
  private final int capacity;
  private final ArrayDeque<JsonObject> points; // guarded by this, oldest first
  private long samples; // guarded by this
  // Touched only by sample(), which one timer calls.
  private Map<String, Totals> previous;
  private long previousNanos;
  private volatile Vertx vertx;
  private volatile long timer = -1;

  public TrafficHistory(MeterRegistry registry, Duration interval, int capacity) {
    this.registry = registry;
    this.interval = interval;
    this.capacity = capacity;
    this.points = new ArrayDeque<>(capacity);
  }

  /** Takes the first totals now and a point every interval after, on the caller's context. */
  public void start(Vertx vertx) {
    this.vertx = vertx;
    sample();
    timer = vertx.setPeriodic(interval.toMillis(), id -> sample());
  }

  public void stop() {
    if (vertx != null && timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /**
   * The points newer than {@code since} (epoch milliseconds; 0 for all), oldest first, with the interval and the
   * ring's size.
   */
  public synchronized JsonObject view(long since) {
    JsonArray list = new JsonArray();
    for (JsonObject p : points) {
      if (p.getLong("time") > since) {
        list.add(p);
      }
    }
    return new JsonObject().put("intervalMs", interval.toMillis()).put("capacity", capacity)
        .put("samples", samples).put("points", list);
  }

  /** One point: what each route and backend answered since the last sample. The first call only takes totals. */
  void sample() {
    long nanos = System.nanoTime();
    Map<String, Totals> now = totals();
    if (previous != null) {
      double seconds = Math.max(1e-9, (nanos - previousNanos) / 1e9);
      JsonArray series = new JsonArray();
      now.forEach((key, t) -> {
        Totals before = previous.getOrDefault(key, Totals.ZERO);
        JsonObject s = t.since(before, seconds);
        if (s != null) {
          series.add(s);
        }
      });
      add(new JsonObject().put("time", System.currentTimeMillis()).put("series", series));
    }
    previous = now;
    previousNanos = nanos;
  }

  private synchronized void add(JsonObject point) {
    if (points.size() == capacity) {
      points.removeFirst();
    }
    points.addLast(point);
    samples++;
  }

  /** The cumulative figures of every route and backend, keyed so that the series come out sorted. */
  private Map<String, Totals> totals() {
    Map<String, Totals> by = new TreeMap<>();
    for (Counter c : registry.find("tandem.requests").counters()) {
      String route = c.getId().getTag("route");
      String backend = c.getId().getTag("backend");
      Totals t = by.computeIfAbsent(route + '\u0000' + backend, k -> new Totals(route, backend));
      double n = c.count();
      t.requests += n;
      String code = c.getId().getTag("code");
      if (code != null && code.startsWith("5")) {
        t.errors += n;
      }
    }
    for (Timer timer : registry.find("tandem.request.duration").timers()) {
      String route = timer.getId().getTag("route");
      String backend = timer.getId().getTag("backend");
      HistogramSnapshot snapshot = timer.takeSnapshot();
      CountAtBucket[] buckets = snapshot.histogramCounts();
      Totals t = by.computeIfAbsent(route + '\u0000' + backend, k -> new Totals(route, backend));
      t.bounds = new double[buckets.length];
      t.cumulative = new double[buckets.length + 1];
      for (int i = 0; i < buckets.length; i++) {
        t.bounds[i] = buckets[i].bucket(TimeUnit.SECONDS);
        t.cumulative[i] = buckets[i].count();
      }
      t.cumulative[buckets.length] = snapshot.count(); // +Inf
    }
    return by;
  }

  /**
   * The q-quantile (0..1) of the observations counted by {@code counts} (cumulative per bucket, the last one +Inf),
   * interpolated within its bucket as PromQL's histogram_quantile does; null when nothing was observed.
   */
  static Double quantile(double q, double[] bounds, double[] counts) {
    double total = counts[counts.length - 1];
    if (!(total > 0)) {
      return null;
    }
    double rank = q * total;
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] >= rank) {
        double lower = i == 0 ? 0 : bounds[i - 1];
        if (i == bounds.length) {
          return lower; // in +Inf: the highest finite bound, as histogram_quantile answers
        }
        double below = i == 0 ? 0 : counts[i - 1];
        double inBucket = counts[i] - below;
        return inBucket > 0 ? lower + (bounds[i] - lower) * ((rank - below) / inBucket) : bounds[i];
      }
    }
    return bounds.length == 0 ? null : bounds[bounds.length - 1];
  }

  /** One route and backend's figures since Tandem started. */
  private static final class Totals {

    static final Totals ZERO = new Totals(null, null);

    final String route;
    final String backend;
    double requests;
    double errors;
    double[] bounds = new double[0];
    double[] cumulative = {0};

    Totals(String route, String backend) {
      this.route = route;
      this.backend = backend;
    }

    /** The figures between {@code before} and these; null when the meters went backwards (re-registered). */
    JsonObject since(Totals before, double seconds) {
      long requests = Math.round(this.requests - before.requests);
      long errors = Math.round(this.errors - before.errors);
      if (requests < 0 || errors < 0) {
        return null;
      }
      Double p50 = null;
      Double p99 = null;
      if (requests > 0) {
        double[] delta = new double[cumulative.length];
        boolean sameBuckets = before.cumulative.length == cumulative.length;
        for (int i = 0; i < delta.length; i++) {
          delta[i] = Math.max(0, cumulative[i] - (sameBuckets ? before.cumulative[i] : 0));
        }
        p50 = millis(quantile(0.5, bounds, delta));
        p99 = millis(quantile(0.99, bounds, delta));
      }
      return new JsonObject().put("route", route).put("backend", backend).put("requests", requests)
          .put("errors", errors).put("rps", requests / seconds)
          .put("errorPercent", requests > 0 ? 100.0 * errors / requests : null)
          .put("p50Ms", p50).put("p99Ms", p99);
    }

    private static Double millis(Double seconds) {
      return seconds == null ? null : seconds * 1000;
    }
  }
}
