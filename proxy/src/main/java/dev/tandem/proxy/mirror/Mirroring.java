package dev.tandem.proxy.mirror;

import dev.tandem.idempotency.IdempotencyStore;
import dev.tandem.idempotency.KeyStrategy;
import dev.tandem.idempotency.MemoryIdempotencyStore;
import dev.tandem.idempotency.RedisIdempotencyStore;
import dev.tandem.proxy.config.IdempotencyConfig;
import dev.tandem.proxy.config.MirrorConfig;
import dev.tandem.proxy.config.RouteConfig;
import dev.tandem.proxy.config.StoreConfig;
import dev.tandem.proxy.config.TandemConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything mirroring shares across event loops: the idempotency store, the dead-letter store, and each route's
 * ledger and per-shadow rate limits. {@link #forEventLoop} makes the per-event-loop part of a route's mirror.
 */
public final class Mirroring {

  private final TandemConfig config;
  private final KeyStrategy keys;
  private final Delivery delivery;
  private final Map<String, MirrorLedger> ledgers = new LinkedHashMap<>();
  private final Map<String, TokenBucket> buckets = new LinkedHashMap<>();
  private DeadLetterReplayer replayer;

  private Mirroring(TandemConfig config, KeyStrategy keys, Delivery delivery) {
    this.config = config;
    this.keys = keys;
    this.delivery = delivery;
  }

  public static Mirroring create(Vertx vertx, TandemConfig config, MeterRegistry registry) {
    IdempotencyConfig ic = config.idempotency();
    IdempotencyStore store = idempotencyStore(vertx, ic, registry);
    DeadLetterStore letters = deadLetterStore(vertx, config);
    Mirroring m = new Mirroring(config, KeyStrategy.parse(ic.key()),
        new Delivery(store, ic.ttl(), ic.failOpen(), letters));
    m.replayer = new DeadLetterReplayer(vertx, config, store, letters);
    long now = System.nanoTime();
    for (RouteConfig r : config.routes()) {
      if (r.mirror() != null) {
        m.ledgers.put(r.name(), new MirrorLedger(registry, r.name()));
        for (MirrorConfig.Shadow s : r.mirror().shadows()) {
          m.buckets.put(r.name() + "\u0000" + s.backend(), new TokenBucket(s.rateLimit(), now));
        }
      }
    }
    return m;
  }

  /** The configured idempotency store; a memory store reports its size and evictions to {@code registry}. */
  public static IdempotencyStore idempotencyStore(Vertx vertx, IdempotencyConfig ic, MeterRegistry registry) {
    return StoreConfig.REDIS.equals(ic.store().kind())
        ? new RedisIdempotencyStore(vertx, ic.store().url(), ic.prefix())
        : memoryStore(ic, registry);
  }

  /** The configured dead-letter store. */
  public static DeadLetterStore deadLetterStore(Vertx vertx, TandemConfig config) {
    var dl = config.deadLetters();
    return switch (dl.store()) {
      case dev.tandem.proxy.config.DeadLetterConfig.REDIS -> new RedisDeadLetterStore(vertx, dl.redis(), dl.stream());
      case dev.tandem.proxy.config.DeadLetterConfig.POSTGRES ->
          new PostgresDeadLetterStore(vertx, dl.postgres(), dl.table());
      default -> new FileDeadLetterStore(vertx, Path.of(dl.file()));
    };
  }

  private static IdempotencyStore memoryStore(IdempotencyConfig ic, MeterRegistry registry) {
    MemoryIdempotencyStore store = new MemoryIdempotencyStore(ic.maxKeys(), java.time.Clock.systemUTC());
    Gauge.builder("tandem.idempotency.keys", store, MemoryIdempotencyStore::size)
        .description("Keys held by the in-memory idempotency store").register(registry);
    Gauge.builder("tandem.idempotency.evictions", store, MemoryIdempotencyStore::evictions)
        .description("Keys forgotten early because the in-memory store was full").register(registry);
    return store;
  }

  /** The route's mirror on the calling event loop, with its own shadow connection pools; null if it has none. */
  public RouteMirror forEventLoop(Vertx vertx, dev.tandem.proxy.route.Route r, List<ShadowSender> created) {
    RouteConfig route = r.config();
    MirrorConfig mc = route.mirror();
    if (mc == null) {
      return null;
    }
    MirrorLedger ledger = ledgers.get(route.name());
    List<ShadowSender> senders = new ArrayList<>();
    for (MirrorConfig.Shadow s : mc.shadows()) {
      senders.add(new ShadowSender(vertx, config.backend(s.backend()), s,
          buckets.get(route.name() + "\u0000" + s.backend()), ledger.shadowTimer(s.backend())));
    }
    created.addAll(senders);
    RouteMirror mirror = new RouteMirror(route.name(), mc, ledger, senders, delivery, keys, r.state(), comparisons);
    if (mc.secondary() != null && mc.compare()) {
      MirrorConfig.Shadow first = mc.shadows().get(0);
      ShadowSender s = new ShadowSender(vertx, config.backend(mc.secondary()), new MirrorConfig.Shadow(mc.secondary(),
          0, first.timeout(), first.maxInFlight()), new TokenBucket(0, System.nanoTime()), null);
      created.add(s);
      mirror.secondary(s);
    }
    return mirror;
  }

  private dev.tandem.proxy.compare.Comparisons comparisons;

  /** Where compared exchanges go; set before the data plane starts. */
  public void comparisons(dev.tandem.proxy.compare.Comparisons c) {
    this.comparisons = c;
  }

  public dev.tandem.proxy.compare.Comparisons comparisons() {
    return comparisons;
  }

  public Map<String, MirrorLedger> ledgers() {
    return ledgers;
  }

  public Delivery delivery() {
    return delivery;
  }

  public DeadLetterReplayer replayer() {
    return replayer;
  }

  public Future<Void> close() {
    return Future.join(replayer.close(), delivery.store().close(), delivery.deadLetters().close()).mapEmpty();
  }
}
