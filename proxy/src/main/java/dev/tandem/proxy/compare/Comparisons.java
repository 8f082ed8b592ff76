package dev.tandem.proxy.compare;

import dev.tandem.comparator.ComparisonEngine;
import dev.tandem.comparator.EndpointGrouper;
import dev.tandem.comparator.MemoryResultStore;
import dev.tandem.comparator.PostgresResultStore;
import dev.tandem.comparator.ResultStore;
import dev.tandem.comparator.NoiseRule;
import dev.tandem.comparator.RecordedExchange;
import dev.tandem.comparator.Redactor;
import dev.tandem.proxy.config.CompareConfig;
import dev.tandem.proxy.config.TandemConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs comparisons off the event loops: a worker pool of {@code workers} threads with at most {@code queue}
 * exchanges, and {@link #MAX_QUEUED_BYTES} of their bodies, waiting; beyond that an exchange is shed and counted,
 * never queued without bound. A comparator failure
 * is counted as {@code error} and logged; nothing reaches the data plane. Counts
 * {@code tandem_comparisons_total{route,result}} and keeps per route the differing share since the last look, for
 * the rollout's diff-rate gate.
 */
public final class Comparisons {

  private static final Logger LOG = Logger.getLogger(Comparisons.class.getName());

  private final ComparisonEngine engine;
  private final ResultStore store;
  private final CompareConfig config;
  private final WorkerExecutor workers;
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicInteger secondaries = new AtomicInteger();
  /** Bytes of bodies held by exchanges waiting for a worker; past {@link #MAX_QUEUED_BYTES} they are shed. */
  private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();
  static final long MAX_QUEUED_BYTES = 64L * 1024 * 1024;
  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, LongAdder[]> window = new ConcurrentHashMap<>(); // route -> {compared, differing}
  /** Per route with database-effect probes; the pools read each side's database (verify.primary, .shadow). */
  private final Map<String, EffectProbes> probes = new ConcurrentHashMap<>();
  private final AtomicInteger probing = new AtomicInteger();
  private final LongAdder effectReads = new LongAdder();
  private io.vertx.sqlclient.Pool primaryDb;
  private io.vertx.sqlclient.Pool shadowDb;

  private Comparisons(Vertx vertx, TandemConfig config, MeterRegistry registry) {
    this.config = config.compare();
    this.registry = registry;
    this.store = dev.tandem.proxy.config.StoreConfig.POSTGRES.equals(config.comparator().kind())
        ? new PostgresResultStore(vertx, config.comparator().url(), this.config.maxAge(), this.config.maxSamples())
        : new MemoryResultStore(this.config.maxSamples());
    Map<String, String> urls = new LinkedHashMap<>();
    config.backends().forEach((name, b) -> urls.put(name, b.url().replaceAll("/+$", "")));
    List<String> templates = new ArrayList<>(this.config.endpointRules().keySet());
    this.engine = new ComparisonEngine(this.config.rules(), this.config.endpointRules(),
        new EndpointGrouper(templates, this.config.maxEndpoints()), this.config.noise(),
        new Redactor(this.config.redactHeaders(), this.config.redactJson()), store, urls, this.config.protos());
    this.workers = vertx.createSharedWorkerExecutor("tandem-compare", this.config.workers());
    Gauge.builder("tandem.comparisons.waiting", waiting, AtomicInteger::get)
        .description("Exchanges waiting for a comparison worker").register(registry);
    if (store instanceof MemoryResultStore memory) {
      Gauge.builder("tandem.comparisons.samples", memory, MemoryResultStore::count)
          .description("Differing exchanges kept as samples in memory").register(registry);
    }
    Gauge.builder("tandem.comparisons.store.failures", engine, ComparisonEngine::storeFailures)
        .description("Differing exchanges the result store could not keep").register(registry);
    if (config.verify() != null && config.routes().stream().anyMatch(r -> r.effects() != null)) {
      primaryDb = dev.tandem.comparator.db.DbVerifier.pool(vertx, config.verify().primary(), 4);
      shadowDb = dev.tandem.comparator.db.DbVerifier.pool(vertx, config.verify().shadow(), 4);
      for (var r : config.routes()) {
        if (r.effects() != null) {
          probes.put(r.name(), new EffectProbes(vertx, r.effects(), primaryDb, shadowDb, this.config.rules(), probing,
              effectReads));
        }
      }
      Gauge.builder("tandem.effects.probing", probing, AtomicInteger::get)
          .description("Compared exchanges whose database effects are being read").register(registry);
      io.micrometer.core.instrument.FunctionCounter.builder("tandem.effects.reads", effectReads, LongAdder::sum)
          .description("Reads of both databases by the effect probes, retries included").register(registry);
    }
  }

  /** The comparisons of {@code config}; null when no route compares. */
  public static Comparisons create(Vertx vertx, TandemConfig config, MeterRegistry registry) {
    boolean any = config.routes().stream().anyMatch(r -> r.mirror() != null && r.mirror().compare());
    return any ? new Comparisons(vertx, config, registry) : null;
  }

  /** Starts the comparison of one mirrored request; the caller hands it both answers. */
  public PendingComparison begin(String route, String candidate, HttpServerRequest request, String uri) {
    return begin(route, candidate, request.method().name(), request.headers(), uri);
  }

  /** A comparison of a request seen as its method and its headers as the client sent them (copied here). */
  public PendingComparison begin(String route, String candidate, String method, io.vertx.core.MultiMap headers,
                                 String uri) {
    return new PendingComparison(this, route, candidate, method, uri, KeptBody.headers(headers));
  }

  long maxBodyBytes() {
    return config.rules().maxBodyBytes();
  }

  /** The exchange's database effects are read first when its route has probes for it; then it is compared. */
  void submit(RecordedExchange e) {
    EffectProbes p = probes.get(e.route());
    if (p != null && p.applies(e)) {
      p.run(e).onComplete(effects -> {
        if (effects.succeeded()) {
          effects.result().forEach(x -> effectCounter(e.route(), x.error() != null ? "error"
              : x.differences().isEmpty() ? "match" : "differ").increment());
        }
        compare(effects.succeeded() ? e.withEffects(effects.result()) : e);
      });
      return;
    }
    compare(e);
  }

  private void compare(RecordedExchange e) {
    long bytes = size(e);
    if (waiting.incrementAndGet() > config.queue() || queuedBytes.addAndGet(bytes) > MAX_QUEUED_BYTES) {
      waiting.decrementAndGet();
      queuedBytes.addAndGet(-bytes);
      count(e.route(), ComparisonEngine.Result.SHED);
      return;
    }
    io.vertx.core.Future<ComparisonEngine.Outcome> done;
    try {
      done = workers.executeBlocking(() -> engine.compare(e), false);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // Vert.x closed without a drain: its workers stopped before this answer came; nothing left to count it in.
      waiting.decrementAndGet();
      queuedBytes.addAndGet(-bytes);
      return;
    }
    done.onComplete(ar -> {
      waiting.decrementAndGet();
      queuedBytes.addAndGet(-bytes);
      if (ar.failed()) {
        LOG.log(Level.WARNING, "comparing " + e.method() + " " + e.uri() + " failed", ar.cause());
        count(e.route(), ComparisonEngine.Result.ERROR);
      } else {
        ComparisonEngine.Result result = ar.result().result();
        count(e.route(), result);
        if (result != ComparisonEngine.Result.MATCH) {
          // Endpoints are bounded by comparator.maxEndpoints, and so is this series.
          endpointCounter(e.route(), ar.result().endpoint(), result.label()).increment();
        }
        LongAdder[] w = window.computeIfAbsent(e.route(), k -> new LongAdder[] {new LongAdder(), new LongAdder()});
        w[0].increment();
        if (result == ComparisonEngine.Result.DIFFER) {
          w[1].increment();
        }
      }
    });
  }

  private Counter effectCounter(String route, String result) {
    return counters.computeIfAbsent("effects\u0000" + route + '\u0000' + result, k -> Counter.builder("tandem.effects")
        .description("Database effects read for compared exchanges, by result").tags("route", route, "result", result)
        .register(registry));
  }

  private static long size(RecordedExchange e) {
    long n = e.body().length + e.primary().body().length + e.candidate().body().length;
    for (dev.tandem.comparator.DbEffect x : e.effects()) {
      n += x.primaryRows().encode().length() + x.shadowRows().encode().length();
    }
    return e.secondary() == null ? n : n + e.secondary().body().length;
  }

  void skipped(String route) {
    counter(route, "skipped").increment();
  }

  private void count(String route, ComparisonEngine.Result result) {
    counter(route, result.label()).increment();
  }

  private Counter endpointCounter(String route, String endpoint, String result) {
    return counters.computeIfAbsent(route + '\u0000' + endpoint + '\u0000' + result, k -> Counter
        .builder("tandem.differences").description("Compared exchanges that differed, by endpoint")
        .tags("route", route, "endpoint", endpoint, "result", result).register(registry));
  }

  private Counter counter(String route, String result) {
    return counters.computeIfAbsent(route + '\u0000' + result, k -> Counter.builder("tandem.comparisons")
        .description("Mirrored exchanges compared, by result").tags("route", route, "result", result)
        .register(registry));
  }

  /** Exchanges of {@code route} compared, and of those really differing, since the last call: {compared, differing}. */
  public long[] diffCountsSinceLastCall(String route) {
    LongAdder[] w = window.get(route);
    return w == null ? new long[2] : new long[] {w[0].sumThenReset(), w[1].sumThenReset()};
  }

  /**
   * What a drain waits for: exchanges whose database effects are being read, whose comparison waits or runs, and
   * copies in flight to a secondary (the noise reference, outside the mirror ledger).
   */
  public int pending() {
    return probing.get() + waiting.get() + secondaries.get();
  }

  public void secondaryStarted() {
    secondaries.incrementAndGet();
  }

  public void secondaryEnded() {
    secondaries.decrementAndGet();
  }

  public JsonObject summary() {
    return engine.summary();
  }

  public ResultStore store() {
    return store;
  }

  public io.vertx.core.Future<Void> close() {
    workers.close();
    List<io.vertx.core.Future<?>> closing = new ArrayList<>();
    closing.add(store.close());
    if (primaryDb != null) {
      closing.add(primaryDb.close());
      closing.add(shadowDb.close());
    }
    return io.vertx.core.Future.join(closing).mapEmpty();
  }
}
