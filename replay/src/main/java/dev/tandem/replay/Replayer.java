package dev.tandem.replay;

import dev.tandem.comparator.ComparisonEngine;
import dev.tandem.comparator.EndpointGrouper;
import dev.tandem.comparator.MemoryResultStore;
import dev.tandem.comparator.NoiseRule;
import dev.tandem.comparator.RecordedExchange;
import dev.tandem.comparator.Redactor;
import dev.tandem.comparator.Rules;
import dev.tandem.comparator.Side;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends captured requests to a target as fast as a concurrency limit allows, and compares each answer with the
 * second target's, or with the response recorded in the file. At most {@code concurrency} requests are in flight,
 * so memory stays bounded however slow the target is. Unsafe requests carry an {@code Idempotency-Key} derived from
 * the capture (file and record id), so replaying the same file twice writes once on a service that honours it.
 */
public final class Replayer {

  private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");
  private static final Set<String> NOT_FORWARDED = Set.of("host", "content-length", "connection", "keep-alive",
      "transfer-encoding", "te", "upgrade", "proxy-connection");

  /**
   * When each request goes out. {@code speed > 0}: at the original times scaled by the speed; {@code rate > 0}: a
   * fixed rate; neither: as fast as the concurrency limit allows. Due times are computed against an absolute clock
   * (start + offset), never by sleeping between records, so lateness does not add up.
   */
  public record Pacing(double speed, double rate) {
    public static final Pacing ASAP = new Pacing(0, 0);
  }

  /** What a run did; lag: how late requests were sent against their schedule (0 when not paced). */
  public record Result(long sent, long errors, long compared, long differing, long skipped, JsonObject summary,
                       double lagP50Millis, double lagP99Millis, double lagMaxMillis) {

    public double diffRate() {
      return compared == 0 ? 0 : differing * 100.0 / compared;
    }

    public double errorRate() {
      return sent == 0 ? 0 : errors * 100.0 / sent;
    }
  }

  private final Vertx vertx;
  private final URI target;
  private final URI compareWith;
  private final int concurrency;
  private final boolean safeOnly;
  private final HttpClientAgent client;
  private final ComparisonEngine engine;

  public Replayer(Vertx vertx, URI target, URI compareWith, int concurrency, boolean safeOnly) {
    this.vertx = vertx;
    this.target = target;
    this.compareWith = compareWith;
    this.concurrency = concurrency;
    this.safeOnly = safeOnly;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(concurrency));
    this.engine = new ComparisonEngine(Rules.DEFAULT, Map.of(), new EndpointGrouper(List.of(), 200), NoiseRule.DEFAULT,
        Redactor.defaults(), new MemoryResultStore(100), Map.of());
  }

  /** Replays every exchange as fast as allowed; the future completes when the last answer is in. */
  public Future<Result> run(List<CapturedExchange> exchanges) {
    return run(exchanges, Pacing.ASAP);
  }

  /** Replays every exchange on the given pacing; the future completes when the last answer is in. */
  public Future<Result> run(List<CapturedExchange> exchanges, Pacing pacing) {
    Promise<Result> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger inFlight = new AtomicInteger();
    LongAdder sent = new LongAdder();
    LongAdder errors = new LongAdder();
    LongAdder compared = new LongAdder();
    LongAdder differing = new LongAdder();
    LongAdder skipped = new LongAdder();
    org.HdrHistogram.Histogram lag = new org.HdrHistogram.Histogram(3_600_000_000L, 2); // µs, up to 1 h
    long startNanos = System.nanoTime();
    long firstTime = exchanges.isEmpty() ? 0 : exchanges.get(0).timeNanos();
    boolean[] timerSet = {false};
    Runnable[] pump = new Runnable[1];
    pump[0] = () -> {
      while (inFlight.get() < concurrency && next.get() < exchanges.size()) {
        int index = next.get();
        CapturedExchange e = exchanges.get(index);
        long due = due(pacing, startNanos, firstTime, index, e);
        long now = System.nanoTime();
        if (due > now) {
          if (!timerSet[0]) {
            timerSet[0] = true;
            vertx.setTimer(Math.max(1, (due - now) / 1_000_000), id -> {
              timerSet[0] = false;
              pump[0].run();
            });
          }
          return;
        }
        next.incrementAndGet();
        if (safeOnly && !SAFE.contains(e.method())) {
          skipped.increment();
          continue;
        }
        if (pacing.speed() > 0 || pacing.rate() > 0) {
          lag.recordValue(Math.max(0, Math.min(3_600_000_000L, (now - due) / 1000)));
        }
        inFlight.incrementAndGet();
        replay(e, sent, errors, compared, differing).onComplete(ar -> {
          inFlight.decrementAndGet();
          pump[0].run();
        });
      }
      if (inFlight.get() == 0 && next.get() >= exchanges.size()) {
        done.tryComplete(new Result(sent.sum(), errors.sum(), compared.sum(), differing.sum(), skipped.sum(),
            engine.summary(), lag.getValueAtPercentile(50) / 1000.0, lag.getValueAtPercentile(99) / 1000.0,
            lag.getMaxValue() / 1000.0));
      }
    };
    vertx.runOnContext(v -> pump[0].run());
    return done.future();
  }

  /** When exchange {@code index} is due, on the monotonic clock. */
  static long due(Pacing pacing, long startNanos, long firstTime, int index, CapturedExchange e) {
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

  private Future<Void> replay(CapturedExchange e, LongAdder sent, LongAdder errors, LongAdder compared,
                              LongAdder differing) {
    Future<Side> first = send(target, "target", e);
    Future<Side> second = compareWith == null ? null : send(compareWith, "compare-with", e);
    Future<?> both = second == null ? first : Future.all(first, second);
    return both.transform(ignored -> {
      sent.increment();
      Side a = first.result();
      if (a.error() != null) {
        errors.increment();
      }
      Side baseline = second != null ? second.result() : recorded(e);
      if (baseline != null && a.error() == null && baseline.error() == null) {
        // The baseline plays the primary: the recorded or second target's answer is the reference.
        ComparisonEngine.Outcome o = engine.compare(new RecordedExchange(e.id(), java.time.Instant.now(), "replay",
            e.method(), e.uri(), e.headers(), e.body(), baseline, a, null));
        compared.increment();
        if (o.result() != ComparisonEngine.Result.MATCH) {
          differing.increment();
        }
      }
      return Future.succeededFuture();
    });
  }

  private static Side recorded(CapturedExchange e) {
    CapturedExchange.Response r = e.response();
    return r == null ? null : new Side("recorded", r.status(), r.headers(), r.body(), false, null, r.latencyNanos());
  }

  /** One request to one target; never fails: a failure is a side with an error. */
  private Future<Side> send(URI base, String name, CapturedExchange e) {
    long start = System.nanoTime();
    int port = base.getPort() > 0 ? base.getPort() : "https".equals(base.getScheme()) ? 443 : 80;
    String prefix = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.valueOf(e.method())).setHost(base.getHost())
        .setPort(port).setSsl("https".equals(base.getScheme())).setURI(prefix + e.uri())
        .setIdleTimeout(30_000);
    for (Map.Entry<String, String> h : e.headers()) {
      if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        o.addHeader(h.getKey(), h.getValue());
      }
    }
    if (!SAFE.contains(e.method()) && e.headers().stream().noneMatch(h -> h.getKey().equalsIgnoreCase("Idempotency-Key"))) {
      o.addHeader("Idempotency-Key", idempotencyKey(e));
    }
    return client.request(o)
        .compose(req -> req.send(Buffer.buffer(e.body())))
        .compose(resp -> resp.body().map(body -> {
          List<Map.Entry<String, String>> headers = new ArrayList<>();
          resp.headers().forEach(h -> headers.add(new AbstractMap.SimpleImmutableEntry<>(h.getKey(), h.getValue())));
          return new Side(name, resp.statusCode(), headers, body.getBytes(), false, null, System.nanoTime() - start);
        }))
        .recover(t -> Future.succeededFuture(new Side(name, 0, List.of(), new byte[0], false,
            String.valueOf(t.getMessage()), System.nanoTime() - start)));
  }

  /** Deterministic per capture file and record: the same record replayed twice carries the same key. */
  static String idempotencyKey(CapturedExchange e) {
    String source = e.source();
    int at = Math.max(source.lastIndexOf('@'), source.lastIndexOf(" entry "));
    String file = at < 0 ? source : source.substring(0, at);
    String name = java.nio.file.Path.of(file).getFileName().toString();
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest((name + "\u0000" + e.id()).getBytes(StandardCharsets.UTF_8));
      return "replay-" + HexFormat.of().formatHex(d, 0, 16);
    } catch (java.security.NoSuchAlgorithmException x) {
      throw new IllegalStateException("every Java runtime has SHA-256", x);
    }
  }

  public Future<Void> close() {
    return client.close();
  }
}
