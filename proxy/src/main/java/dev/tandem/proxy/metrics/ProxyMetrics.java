package dev.tandem.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The data plane's request metrics: {@code tandem_requests_total{route,backend,code,grpc_status}} and
 * {@code tandem_request_duration_seconds{route,backend}}. Meters are looked up once per route and backend and once
 * per status code, so that recording a request does not search the registry. The number of series is bounded by
 * the configuration: routes × backends × (500 status codes + "other" + 17 gRPC statuses).
 */
public final class ProxyMetrics {

  /** The route label of requests that no route matched. */
  public static final String UNMATCHED = "_unmatched";
  /** The backend label of requests answered by Tandem itself. */
  public static final String NO_BACKEND = "_tandem";

  private static final String REQUESTS = "Requests answered, by route, backend, HTTP status code and, for gRPC"
      + " calls, gRPC status (empty for other requests)";

  private final MeterRegistry registry;
  private final ConcurrentMap<String, Series> series = new ConcurrentHashMap<>();

  public ProxyMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The meters of one route and backend pair; keep it for the life of the route. */
  public Series series(String route, String backend) {
    return series.computeIfAbsent(route + '\u0000' + backend, k -> new Series(route, backend));
  }

  /** Meters for one route and backend. */
  public final class Series implements Recorder {

    private static final int MIN_CODE = 100;
    private static final int MAX_CODE = 599;
    private static final int MAX_GRPC = 16;

    private final String route;
    private final String backend;
    private final Timer duration;
    private final AtomicReferenceArray<Counter> byCode = new AtomicReferenceArray<>(MAX_CODE - MIN_CODE + 2);
    // gRPC calls answered with HTTP 200 (as gRPC answers are, failed ones too), per gRPC status 0..16; a call answered
    // with another HTTP status (a broken server, an HTTP proxy in the way) is counted by that status alone.
    private final AtomicReferenceArray<Counter> byGrpc = new AtomicReferenceArray<>(MAX_GRPC + 1);

    private Series(String route, String backend) {
      this.route = route;
      this.backend = backend;
      this.duration = Timer.builder("tandem.request.duration")
          .description("Time from receiving a request to the end of its response")
          .tags("route", route, "backend", backend)
          .publishPercentileHistogram()
          .register(registry);
    }

    @Override
    public void record(int statusCode, long nanos) {
      duration.record(nanos, TimeUnit.NANOSECONDS);
      counter(statusCode).increment();
    }

    /** The HTTP status as it was, and the gRPC status in its own label. */
    @Override
    public void recordGrpc(int statusCode, int grpcStatus, long nanos) {
      if (grpcStatus < 0 || grpcStatus > MAX_GRPC || statusCode != 200) {
        record(statusCode, nanos);
        return;
      }
      duration.record(nanos, TimeUnit.NANOSECONDS);
      int slot = grpcStatus;
      Counter c = byGrpc.get(slot);
      if (c == null) {
        c = Counter.builder("tandem.requests")
            .description(REQUESTS)
            .tags("route", route, "backend", backend, "code", "200", "grpc_status", Integer.toString(grpcStatus))
            .register(registry);
        byGrpc.set(slot, c);
      }
      c.increment();
    }

    private Counter counter(int statusCode) {
      boolean known = statusCode >= MIN_CODE && statusCode <= MAX_CODE;
      int slot = known ? statusCode - MIN_CODE : byCode.length() - 1;
      Counter c = byCode.get(slot);
      if (c == null) {
        c = Counter.builder("tandem.requests")
            .description(REQUESTS)
            // Every series has the label (Prometheus's registry takes one set of label names per metric): empty,
            // which PromQL reads as absent, for requests that are not gRPC calls.
            .tags("route", route, "backend", backend, "code", known ? Integer.toString(statusCode) : "other",
                "grpc_status", "")
            .register(registry);
        byCode.set(slot, c);
      }
      return c;
    }
  }
}
