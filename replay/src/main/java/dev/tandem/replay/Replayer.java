package dev.tandem.replay;

import dev.tandem.comparator.ComparisonEngine;
import dev.tandem.comparator.EndpointGrouper;
import dev.tandem.comparator.MemoryResultStore;
import dev.tandem.comparator.NoiseRule;
import dev.tandem.comparator.RecordedExchange;
import dev.tandem.comparator.Redactor;
import dev.tandem.comparator.Rules;
import dev.tandem.comparator.Side;
import dev.tandem.idempotency.IdempotencyStore;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import org.HdrHistogram.Histogram;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Sends captured requests to a target, and to a second one when comparing, and compares each answer with the
 * second target's or with the response recorded in the file. At most {@code concurrency} requests are in flight and
 * the file is read a bounded distance ahead of sending ({@link ReadAhead}), so memory stays bounded however slow
 * the target is. Unsafe requests carry an {@code Idempotency-Key} derived from the capture (file and record id),
 * so replaying the same file twice writes once on a service that honours it; with an {@link IdempotencyStore}
 * Tandem itself skips what was already delivered. Comparisons run on worker threads, off the event loop; with a
 * secondary (a second instance of the baseline) the fields on which the two baseline instances disagree are noise.
 *
 * <p>A request the client sent over HTTP/2, or a gRPC call, goes out over HTTP/2 ({@link Protocol#AUTO}): h2c with
 * prior knowledge to an {@code http://} target, ALPN h2 to an {@code https://} one; the rest over HTTP/1.1, on a
 * client of its own. An answer's trailers (gRPC's {@code grpc-status}, {@code grpc-message}) are compared as
 * headers: each side's headers list holds them after its headers, the recorded side's too.
 */
public final class Replayer {

  private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");
  /** Framing and hop-by-hop headers, never replayed; HTTP/2 forbids them all but {@code TE: trailers}. */
  private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "keep-alive",
      "transfer-encoding", "te", "upgrade", "proxy-connection");
  /** HTTP/2 streams a connection is assumed to carry at once (the common SETTINGS_MAX_CONCURRENT_STREAMS). */
  private static final int STREAMS_PER_CONNECTION = 100;
  /** The error of a write the idempotency store says was delivered before: skipped, not sent. */
  static final String ALREADY_DELIVERED = "already delivered";
  /** Name of the recorded answers when they are the baseline. */
  public static final String RECORDED = "recorded";

  /**
   * When each request goes out. {@code speed > 0}: at the original times scaled by the speed; {@code rate > 0}: a
   * fixed rate; neither: as fast as the concurrency limit allows. Due times are computed against an absolute clock
   * (start + offset), never by sleeping between records, so lateness does not add up.
   */
  public record Pacing(double speed, double rate) {
    public static final Pacing ASAP = new Pacing(0, 0);

    boolean paced() {
      return speed > 0 || rate > 0;
    }
  }

  /** Which HTTP version requests go out in; the CLI's {@code --protocol auto|http1|h2}. */
  public enum Protocol {
    /** HTTP/2 for a request the client sent over HTTP/2 and for a gRPC call, HTTP/1.1 for the rest. */
    AUTO,
    /** HTTP/1.1 for every request. */
    HTTP1,
    /** HTTP/2 for every request: h2c with prior knowledge for {@code http://}, ALPN h2 for {@code https://}. */
    H2;

    /** {@code auto}, {@code http1} or {@code h2}, any case; an IllegalArgumentException that lists them otherwise. */
    public static Protocol of(String name) {
      for (Protocol p : values()) {
        if (p.name().equalsIgnoreCase(name.trim())) {
          return p;
        }
      }
      throw new IllegalArgumentException("'" + name + "' is not a protocol: auto, http1 or h2");
    }
  }

  /**
   * How to replay, made with {@link #of} and changed with the {@code with…} methods, each a new copy:
   * {@code compareWith} the second target, whose answers are the baseline (null: the recorded answers are);
   * {@code idempotency} where delivered writes are remembered across runs, for {@code idempotencyTtl} (null: only
   * the header is sent); {@code timeout} per request, to its last byte; {@code record} where each request is written
   * with the targets' answers (null: nowhere); {@code secondary} a second instance of the baseline service, sent
   * the reads too, whose disagreements with the baseline are noise (Diffy's rule); {@code protocol} the HTTP version
   * requests go out in ({@link Protocol#AUTO} unless told).
   */
  public static final class Options {
    private URI target;
    private URI compareWith;
    private int concurrency;
    private boolean safeOnly;
    private Pacing pacing = Pacing.ASAP;
    private TargetRewrite targetRewrite = TargetRewrite.NONE;
    private TargetRewrite compareRewrite = TargetRewrite.NONE;
    private Rules rules = Rules.DEFAULT;
    private Map<String, Rules> endpointRules = Map.of();
    private IdempotencyStore idempotency;
    private Duration idempotencyTtl = Duration.ofHours(24);
    private Duration timeout = Duration.ofSeconds(30);
    private CaptureWriter record;
    private URI secondary;
    private Protocol protocol = Protocol.AUTO;
    private dev.tandem.comparator.grpc.ProtoSchema protos = dev.tandem.comparator.grpc.ProtoSchema.NONE;

    private Options() {
    }

    /** Defaults: as fast as allowed, no rewrites, default rules, no store, 30 s timeout. */
    public static Options of(URI target, URI compareWith, int concurrency) {
      Options o = new Options();
      o.target = target;
      o.compareWith = compareWith;
      o.concurrency = concurrency;
      return o;
    }

    /** A copy changed by {@code change}: an Options never changes once made. */
    private Options with(java.util.function.Consumer<Options> change) {
      Options o = new Options();
      o.target = target;
      o.compareWith = compareWith;
      o.concurrency = concurrency;
      o.safeOnly = safeOnly;
      o.pacing = pacing;
      o.targetRewrite = targetRewrite;
      o.compareRewrite = compareRewrite;
      o.rules = rules;
      o.endpointRules = endpointRules;
      o.idempotency = idempotency;
      o.idempotencyTtl = idempotencyTtl;
      o.timeout = timeout;
      o.record = record;
      o.secondary = secondary;
      o.protocol = protocol;
      o.protos = protos;
      change.accept(o);
      return o;
    }

    public Options withPacing(Pacing p) {
      return with(o -> o.pacing = p);
    }

    public Options withSafeOnly(boolean s) {
      return with(o -> o.safeOnly = s);
    }

    public Options withRewrites(TargetRewrite t, TargetRewrite c) {
      return with(o -> {
        o.targetRewrite = t;
        o.compareRewrite = c;
      });
    }

    public Options withRules(Rules r, Map<String, Rules> perEndpoint) {
      return with(o -> {
        o.rules = r;
        o.endpointRules = Map.copyOf(perEndpoint);
      });
    }

    public Options withRecord(CaptureWriter w) {
      return with(o -> o.record = w);
    }

    public Options withSecondary(URI u) {
      return with(o -> o.secondary = u);
    }

    public Options withProtocol(Protocol p) {
      return with(o -> o.protocol = p);
    }

    /** The gRPC descriptor set: gRPC answers compared by field name for the methods it has. */
    public Options withProtos(dev.tandem.comparator.grpc.ProtoSchema p) {
      return with(o -> o.protos = p);
    }

    public dev.tandem.comparator.grpc.ProtoSchema protos() {
      return protos;
    }

    public Options withTimeout(Duration t) {
      return with(o -> o.timeout = t);
    }

    public Options withIdempotency(IdempotencyStore store, Duration ttl) {
      return with(o -> {
        o.idempotency = store;
        o.idempotencyTtl = ttl;
      });
    }

    public URI target() {
      return target;
    }

    public URI compareWith() {
      return compareWith;
    }

    public int concurrency() {
      return concurrency;
    }

    public boolean safeOnly() {
      return safeOnly;
    }

    public Pacing pacing() {
      return pacing;
    }

    public TargetRewrite targetRewrite() {
      return targetRewrite;
    }

    public TargetRewrite compareRewrite() {
      return compareRewrite;
    }

    public Rules rules() {
      return rules;
    }

    public Map<String, Rules> endpointRules() {
      return endpointRules;
    }

    public IdempotencyStore idempotency() {
      return idempotency;
    }

    public Duration idempotencyTtl() {
      return idempotencyTtl;
    }

    public Duration timeout() {
      return timeout;
    }

    public CaptureWriter record() {
      return record;
    }

    public URI secondary() {
      return secondary;
    }

    public Protocol protocol() {
      return protocol;
    }
  }

  /**
   * What a run did. {@code lag}: how late requests left against their schedule (empty when not paced).
   *
   * @param readFailure why reading stopped before the end of the capture; null when it did not
   */
  public record Result(long sent, long errors, long compared, long differing, long noise, long skippedUnsafe,
                       long duplicates,
                       double seconds, JsonObject summary, JsonObject endpoints, JsonObject latency,
                       JsonObject lag, List<JsonObject> samples, String readFailure) {

    public double diffRate() {
      return compared == 0 ? 0 : differing * 100.0 / compared;
    }

    public double errorRate() {
      return sent == 0 ? 0 : errors * 100.0 / sent;
    }
  }

  /** Counters a progress line reads from another thread while the run goes on. */
  public static final class Progress {
    final LongAdder done = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder differing = new LongAdder();

    public Progress() {
    }

    public long done() {
      return done.sum();
    }

    public long errors() {
      return errors.sum();
    }

    public long differing() {
      return differing.sum();
    }
  }

  private final Vertx vertx;
  private final Options options;
  private final String targetName;
  private final String baselineName;
  // Held for the replayer's life: Vert.x closes a client nothing refers to.
  private final HttpClientAgent http1;
  private final HttpClientAgent http2;
  private final EndpointGrouper grouper = new EndpointGrouper(List.of(), 200);
  private final ComparisonEngine engine;
  private final MemoryResultStore samples = new MemoryResultStore(50);
  private final Progress progress = new Progress();
  private final java.util.Set<ReadAhead> reading = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public Replayer(Vertx vertx, Options options) {
    this.vertx = vertx;
    this.options = options;
    this.targetName = options.target().toString();
    this.baselineName = options.compareWith() == null ? RECORDED : options.compareWith().toString();
    int connections = options.concurrency() * (1 + (options.compareWith() == null ? 0 : 1)
        + (options.secondary() == null ? 0 : 1));
    this.http1 = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
            .setName("tandem-replay"), new PoolOptions().setHttp1MaxSize(connections));
    this.http2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false).setUseAlpn(true).setKeepAlive(true).setTcpNoDelay(true)
            .setName("tandem-replay-h2"),
        new PoolOptions().setHttp2MaxSize(Math.max(1, (connections + STREAMS_PER_CONNECTION - 1)
            / STREAMS_PER_CONNECTION)));
    List<String> templates = new ArrayList<>(options.endpointRules().keySet());
    this.engine = new ComparisonEngine(options.rules(), options.endpointRules(), new EndpointGrouper(templates, 200),
        NoiseRule.DEFAULT, Redactor.defaults(), samples, Map.of(), options.protos());
  }

  public Progress progress() {
    return progress;
  }

  /** The target's name in reports and samples (its URL). */
  public String targetName() {
    return targetName;
  }

  /** The baseline's name: the second target's URL, or {@link #RECORDED}. */
  public String baselineName() {
    return baselineName;
  }

  /** Replays every exchange in memory. */
  public Future<Result> run(List<CapturedExchange> exchanges) {
    return run(new CaptureFiles.ListSource(exchanges), e -> true);
  }

  /**
   * Replays the exchanges of {@code source} that pass {@code filter}; the future completes when the last answer
   * is in. The source is read on a thread of its own and closed at the end.
   */
  public Future<Result> run(ExchangeSource source, Predicate<CapturedExchange> filter) {
    return new Run(vertx.getOrCreateContext(), source, filter).start();
  }

  /** One run's state; everything but the read-ahead lives on one event loop. */
  private final class Run {
    private final Context context;
    private final ReadAhead ahead;
    private final Promise<Result> done = Promise.promise();
    private final ReplayStats stats = new ReplayStats();
    private final Histogram lag = new Histogram(ReplayStats.MAX_MICROS, 2);
    private int inFlight;
    private long index;
    private long firstTime;
    private long startNanos;
    private boolean started;
    private boolean timerSet;
    private long sent;
    private long errors;
    private long compared;
    private long differing;
    private long noise;
    private long skippedUnsafe;
    private long duplicates;

    Run(Context context, ExchangeSource source, Predicate<CapturedExchange> filter) {
      this.context = context;
      this.ahead = new ReadAhead(source, filter, 4096, 64L * 1024 * 1024, () -> context.runOnContext(v -> pump()));
    }

    Future<Result> start() {
      reading.add(ahead);
      done.future().onComplete(ar -> reading.remove(ahead));
      ahead.start();
      // On original timing or a fixed rate, a cold JVM would make the first seconds late (class loading, the JIT):
      // the sending path is first run against a sink of our own, never the target, and the clock starts after.
      Future<Void> warm = options.pacing().paced() ? warmUp(WARM_UP_REQUESTS) : Future.succeededFuture();
      warm.onComplete(ar -> context.runOnContext(v -> pump()));
      return done.future();
    }

    private void pump() {
      try {
        pumpOnce();
      } catch (RuntimeException e) {
        ahead.close();
        done.tryFail(e); // a bug, said, rather than a run that never ends
      }
    }

    private void pumpOnce() {
      while (inFlight < options.concurrency()) {
        CapturedExchange e = ahead.peek();
        if (e == null) {
          break; // the reader wakes us when more is there
        }
        long now = System.nanoTime();
        if (!started) {
          started = true;
          startNanos = now;
          firstTime = e.timeNanos();
        }
        long due = due(options.pacing(), startNanos, firstTime, index, e);
        if (due > now) {
          if (!timerSet) {
            timerSet = true;
            vertx.setTimer(Math.max(1, (due - now) / 1_000_000), id -> {
              timerSet = false;
              pump();
            });
          }
          return;
        }
        ahead.take();
        if (options.safeOnly() && !SAFE.contains(e.method())) {
          skippedUnsafe++;
          continue;
        }
        index++; // a fixed rate spaces the requests sent, not the writes skipped
        if (options.pacing().paced()) {
          lag.recordValue(Math.max(0, Math.min(ReplayStats.MAX_MICROS, (now - due) / 1000)));
        }
        inFlight++;
        replay(e).onComplete(ar -> {
          inFlight--;
          progress.done.increment();
          pump();
        });
      }
      if (inFlight == 0 && ahead.exhausted() && !done.future().isComplete()) {
        finish();
      }
    }

    private void finish() {
      ahead.close();
      double seconds = started ? (System.nanoTime() - startNanos) / 1e9 : 0;
      JsonObject endpoints = new JsonObject();
      stats.endpoints().forEach((name, ep) -> {
        JsonObject sides = new JsonObject();
        ep.sides.forEach((side, s) -> sides.put(side, s.toJson()));
        endpoints.put(name, new JsonObject().put("sent", ep.sent).put("sides", sides)
            .put("p99Ratio", ReplayStats.p99Ratio(ep.sides.get(targetName), ep.sides.get(baselineName))));
      });
      JsonObject latency = new JsonObject();
      stats.overall().forEach((side, s) -> latency.put(side, ReplayStats.latency(s.latency)));
      latency.put("p99Ratio", ReplayStats.p99Ratio(stats.overall().get(targetName),
          stats.overall().get(baselineName)));
      JsonObject lagJson = options.pacing().paced() ? ReplayStats.latency(lag).put("samples", lag.getTotalCount())
          : new JsonObject();
      CaptureException failure = ahead.failure();
      samples.samples(null, null, null, 20).onComplete(s -> done.tryComplete(new Result(sent, errors, compared,
          differing, noise, skippedUnsafe, duplicates, seconds, engine.summary(), endpoints, latency, lagJson,
          s.succeeded() ? s.result() : List.of(), failure == null ? null : failure.getMessage())));
    }

    private Future<Void> replay(CapturedExchange e) {
      String endpoint = grouper.endpoint(e.method(), path(e.uri()));
      Future<Reply> first = send(options.target(), targetName, options.targetRewrite(), e);
      Future<Reply> second = options.compareWith() == null ? null
          : send(options.compareWith(), baselineName, options.compareRewrite(), e);
      Future<Reply> third = options.secondary() == null || second == null || !SAFE.contains(e.method()) ? null
          : send(options.secondary(), options.secondary().toString(), options.compareRewrite(), e);
      Future<?> both = second == null ? first : third == null ? Future.join(first, second)
          : Future.join(first, second, third);
      return both.transform(ignored -> {
        Side a = first.result().side();
        Side baseline = second != null ? second.result().side() : recorded(e);
        if (ALREADY_DELIVERED.equals(a.error())) {
          duplicates++;
          return Future.succeededFuture();
        }
        sent++;
        stats.sent(endpoint);
        stats.answer(endpoint, targetName, a.status(), a.error(), a.nanos());
        if (a.error() != null) {
          errors++;
          progress.errors.increment();
        }
        if (baseline != null && !ALREADY_DELIVERED.equals(baseline.error())) {
          stats.answer(endpoint, baselineName, baseline.status(), baseline.error(), baseline.nanos());
        }
        if (options.record() != null) {
          options.record().offer(record(e, first.result(), second == null ? null : second.result()));
        }
        if (baseline == null || a.error() != null || baseline.error() != null) {
          return Future.succeededFuture();
        }
        // The baseline plays the primary: the recorded or second target's answer is the reference.
        Side noiseBaseline = third == null || third.result().side().error() != null ? null : third.result().side();
        RecordedExchange x = new RecordedExchange(e.id(), Instant.now(), "replay", e.method(), e.uri(), e.headers(),
            e.body(), baseline, a, noiseBaseline);
        // Off the event loop, on the shared worker pool; at most `concurrency` at once, since each holds a slot.
        return vertx.executeBlocking(() -> engine.compare(x), false).transform(o -> {
          compared++;
          ComparisonEngine.Result result = o.succeeded() ? o.result().result() : ComparisonEngine.Result.DIFFER;
          if (result == ComparisonEngine.Result.NOISE) {
            noise++;
          } else if (result != ComparisonEngine.Result.MATCH) {
            differing++;
            progress.differing.increment();
          }
          return Future.succeededFuture();
        });
      });
    }
  }

  /** Requests sent to the in-process sink before a paced run starts its clock. */
  static final int WARM_UP_REQUESTS = Integer.getInteger("tandem.replay.warmup", 3_000);

  /** Sends {@code n} requests through this replayer's client to a server of its own on loopback, then closes it. */
  private Future<Void> warmUp(int n) {
    io.vertx.core.http.HttpServer sink = vertx.createHttpServer().requestHandler(req -> req.body()
        .onComplete(b -> req.response().putHeader("Content-Type", "application/json").end("{\"warm\":true}")));
    return sink.listen(0, "127.0.0.1").compose(server -> {
      URI base = URI.create("http://127.0.0.1:" + server.actualPort());
      CapturedExchange probe = new CapturedExchange("warm-up", "warm-up", 0, "GET", "/warm-up?x=1",
          List.of(new AbstractMap.SimpleImmutableEntry<>("Accept", "application/json")), new byte[0], null);
      Promise<Void> done = Promise.promise();
      AtomicInteger left = new AtomicInteger(n);
      int lanes = Math.min(options.concurrency(), 16);
      AtomicInteger open = new AtomicInteger(lanes);
      for (int i = 0; i < lanes; i++) {
        warmLane(base, probe, left, open, done);
      }
      return done.future().eventually(() -> sink.close());
    }).recover(t -> Future.succeededFuture()); // a warm-up that cannot run only leaves the JVM cold
  }

  private void warmLane(URI base, CapturedExchange probe, AtomicInteger left, AtomicInteger open, Promise<Void> done) {
    if (left.getAndDecrement() <= 0) {
      if (open.decrementAndGet() == 0) {
        done.tryComplete();
      }
      return;
    }
    request(base, "warm-up", TargetRewrite.NONE, probe, null).onComplete(ar -> warmLane(base, probe, left, open, done));
  }

  /** When exchange {@code index} is due, on the monotonic clock. */
  static long due(Pacing pacing, long startNanos, long firstTime, long index, CapturedExchange e) {
    if (pacing.speed() > 0) {
      return startNanos + (long) ((e.timeNanos() - firstTime) / pacing.speed());
    }
    if (pacing.rate() > 0) {
      return startNanos + (long) (index * 1e9 / pacing.rate());
    }
    return startNanos;
  }

  /**
   * Whether the exchange belongs to shard {@code shard} of {@code shards} (1-based): decided by a hash of its file
   * name and record id, so that n workers given the same files split them with every record replayed exactly once.
   */
  public static boolean inShard(CapturedExchange e, int shard, int shards) {
    String key = idempotencyKey(e);
    return Math.floorMod(key.hashCode(), shards) == shard - 1;
  }

  /** The request with the answer recorded in the file and those of the targets, each named by its URL. */
  private static CaptureRecord record(CapturedExchange e, Reply target, Reply compared) {
    CapturedExchange.Response r = e.response();
    CaptureRecord.Answer original = r == null ? null : new CaptureRecord.Answer(RECORDED, r.status(), r.headers(),
        r.body(), r.body().length, r.latencyNanos(), null, r.trailers());
    List<CaptureRecord.Answer> replayed = new ArrayList<>();
    for (Reply reply : new Reply[] {target, compared}) {
      if (reply != null) {
        Side s = reply.side();
        replayed.add(new CaptureRecord.Answer(s.name(), s.status(), reply.headers(), s.body(), s.body().length,
            s.nanos(), s.error(), reply.trailers()));
      }
    }
    return new CaptureRecord(e.id(), Instant.ofEpochSecond(0, e.timeNanos()), "replay", new CaptureRecord.Request(
        e.method(), e.uri(), e.protocol(), e.headers(), e.body(), e.body().length), original, null, replayed);
  }

  private static Side recorded(CapturedExchange e) {
    CapturedExchange.Response r = e.response();
    return r == null ? null : new Side(RECORDED, r.status(), concat(r.headers(), r.trailers()), r.body(), false,
        null, r.latencyNanos());
  }

  private static List<Map.Entry<String, String>> concat(List<Map.Entry<String, String>> headers,
                                                        List<Map.Entry<String, String>> trailers) {
    if (trailers.isEmpty()) {
      return headers;
    }
    List<Map.Entry<String, String>> all = new ArrayList<>(headers);
    all.addAll(trailers);
    return all;
  }

  /**
   * A target's answer: the side compared, whose headers end with the answer's trailers (the convention the
   * comparator reads {@code grpc-status} by), and those trailers alone, so that {@code --record} keeps them apart.
   */
  private record Reply(Side side, List<Map.Entry<String, String>> trailers) {
    /** The headers without the trailers. */
    List<Map.Entry<String, String>> headers() {
      return side.headers().subList(0, side.headers().size() - trailers.size());
    }
  }

  /** One request to one target; never fails: a failure is a side with an error. */
  private Future<Reply> send(URI base, String name, TargetRewrite rewrite, CapturedExchange e) {
    boolean unsafe = !SAFE.contains(e.method());
    String key = unsafe ? e.headers().stream().filter(h -> h.getKey().equalsIgnoreCase("Idempotency-Key"))
        .map(Map.Entry::getValue).findFirst().orElse(idempotencyKey(e)) : null;
    IdempotencyStore store = options.idempotency();
    if (key == null || store == null) {
      return request(base, name, rewrite, e, key);
    }
    // One key per target: the same write replayed to two targets lands once on each.
    String storeKey = "replay:" + base.getRawAuthority() + ":" + key;
    return store.reserve(storeKey, options.idempotencyTtl())
        .compose(r -> r.first()
            // As the mirror does: a 5xx or no answer may not have written, so the key is freed for a later run.
            ? request(base, name, rewrite, e, key).compose(reply -> (reply.side().error() == null
                && reply.side().status() < 500
                ? store.complete(storeKey, "delivered:" + reply.side().status(), options.idempotencyTtl())
                : store.release(storeKey)).transform(ignored -> Future.succeededFuture(reply)))
            : Future.succeededFuture(failed(name, ALREADY_DELIVERED, 0)))
        .recover(t -> Future.succeededFuture(failed(name, "idempotency store: " + t.getMessage()
            + " (not sent, so that it cannot land twice)", 0)));
  }

  private Future<Reply> request(URI base, String name, TargetRewrite rewrite, CapturedExchange e, String key) {
    long start = System.nanoTime();
    boolean h2 = overHttp2(e, "https".equals(base.getScheme()));
    int port = base.getPort() > 0 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
    String prefix = base.getRawPath() == null || base.getRawPath().isEmpty() || base.getRawPath().equals("/") ? ""
        : base.getRawPath().replaceAll("/+$", "");
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.valueOf(e.method())).setHost(base.getHost())
        .setPort(port).setSsl("https".equals(base.getScheme())).setURI(prefix + rewrite.uri(e.uri()))
        .setConnectTimeout(options.timeout().toMillis()).setIdleTimeout(options.timeout().toMillis());
    String host = null;
    boolean hasKey = false;
    for (Map.Entry<String, String> h : rewrite.headers(e.headers())) {
      String lower = h.getKey().toLowerCase(Locale.ROOT);
      if (lower.equals("host") && rewrite.host() != null) {
        host = h.getValue(); // on HTTP/2 it becomes :authority
      } else if (!lower.startsWith(":") && (!NOT_FORWARDED.contains(lower)
          || h2 && lower.equals("te") && h.getValue().trim().equalsIgnoreCase("trailers"))) {
        o.addHeader(h.getKey(), h.getValue());
        hasKey |= lower.equals("idempotency-key");
      }
    }
    if (key != null && !hasKey) {
      o.addHeader("Idempotency-Key", key);
    }
    String authority = host;
    return (h2 ? http2 : http1).request(o)
        .compose(req -> {
          if (authority != null) {
            req.authority(HostAndPort.parseAuthority(authority, port));
          }
          return req.send(Buffer.buffer(e.body()));
        })
        .compose(resp -> resp.body().map(body -> {
          // Trailers are there once the body has ended.
          List<Map.Entry<String, String>> trailers = pairs(resp.trailers());
          Side side = new Side(name, resp.statusCode(), concat(pairs(resp.headers()), trailers), body.getBytes(),
              false, null, System.nanoTime() - start);
          return new Reply(side, trailers);
        }))
        .timeout(options.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(t -> Future.succeededFuture(failed(name, t instanceof java.util.concurrent.TimeoutException
            ? "timeout after " + options.timeout().toMillis() + " ms" : String.valueOf(t.getMessage()),
            System.nanoTime() - start)));
  }

  private static Reply failed(String name, String error, long nanos) {
    return new Reply(new Side(name, 0, List.of(), new byte[0], false, error, nanos), List.of());
  }

  private static List<Map.Entry<String, String>> pairs(io.vertx.core.MultiMap m) {
    List<Map.Entry<String, String>> out = new ArrayList<>(m.size());
    m.forEach(h -> out.add(new AbstractMap.SimpleImmutableEntry<>(h.getKey(), h.getValue())));
    return out;
  }

  /** Whether {@code e} goes out over HTTP/2: by the option, or, on auto, as the client sent it or as gRPC is. */
  /**
   * On {@code AUTO}: a gRPC call always (it needs HTTP/2); another HTTP/2 record only to an https:// target, where
   * ALPN falls back to HTTP/1.1 when the target has no h2 (cleartext prior knowledge would fail against an
   * HTTP/1.1-only service).
   */
  private boolean overHttp2(CapturedExchange e, boolean tls) {
    return switch (options.protocol()) {
      case HTTP1 -> false;
      case H2 -> true;
      case AUTO -> grpc(e) || (e.http2() && tls);
    };
  }

  /**
   * A gRPC call: content-type {@code application/grpc}, {@code application/grpc+proto}, … but not gRPC-Web
   * ({@code application/grpc-web…}), which is made for HTTP/1.1 and carries its trailers in the body.
   */
  static boolean grpc(CapturedExchange e) {
    return e.headers().stream().filter(h -> h.getKey().equalsIgnoreCase("content-type"))
        .map(h -> h.getValue().trim().toLowerCase(Locale.ROOT))
        .anyMatch(t -> t.startsWith("application/grpc") && !t.startsWith("application/grpc-web"));
  }

  private static String path(String uri) {
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }

  /** Deterministic per capture file and record: the same record replayed twice carries the same key. */
  static String idempotencyKey(CapturedExchange e) {
    String source = e.source();
    int at = Math.max(source.lastIndexOf('@'), Math.max(source.lastIndexOf(" entry "), lineMark(source)));
    String file = at < 0 ? source : source.substring(0, at);
    String name = java.nio.file.Path.of(file).getFileName().toString();
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest((name + "\u0000" + e.id()).getBytes(StandardCharsets.UTF_8));
      return "replay-" + HexFormat.of().formatHex(d, 0, 16);
    } catch (java.security.NoSuchAlgorithmException x) {
      throw new IllegalStateException("every Java runtime has SHA-256", x);
    }
  }

  /** Where {@code file:line} has its line number; -1 when it has none. */
  private static int lineMark(String source) {
    int colon = source.lastIndexOf(':');
    return colon > 0 && colon < source.length() - 1 && source.substring(colon + 1).chars().allMatch(Character::isDigit)
        ? colon : -1;
  }

  /** Stops any run still reading, and closes the connections. */
  public Future<Void> close() {
    reading.forEach(ReadAhead::close);
    return Future.join(http1.close(), http2.close()).mapEmpty();
  }
}
