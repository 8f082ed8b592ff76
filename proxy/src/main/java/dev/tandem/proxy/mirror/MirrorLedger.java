package dev.tandem.proxy.mirror;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonObject;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accounts for every mirror copy of one route, in {@code tandem_mirror_total{route,outcome}}, so that
 * {@code eligible = sent + skipped + rate_limited + dropped} and {@code sent = delivered + duplicate + dead_lettered
 * + failed + timeout + in_flight} hold at every moment. Shared by the route's event loops.
 */
public final class MirrorLedger {

  private final String route;
  private final Map<Outcome, Counter> counters = new EnumMap<>(Outcome.class);
  private final AtomicLong inFlight = new AtomicLong();
  private final MeterRegistry registry;

  public MirrorLedger(MeterRegistry registry, String route) {
    this.route = route;
    this.registry = registry;
    for (Outcome o : Outcome.values()) {
      counters.put(o, Counter.builder("tandem.mirror").description("Mirror copies by outcome")
          .tags("route", route, "outcome", o.label()).register(registry));
    }
    Gauge.builder("tandem.mirror.in.flight", inFlight, AtomicLong::get).tags("route", route)
        .description("Mirror copies admitted and not yet settled").register(registry);
  }

  public void count(Outcome outcome) {
    counters.get(outcome).increment();
    if (outcome == Outcome.SENT) {
      inFlight.incrementAndGet();
    }
  }

  /** A sent copy reached its end: one of delivered, duplicate, dead_lettered, failed, timeout. */
  public void settle(Outcome outcome) {
    inFlight.decrementAndGet();
    counters.get(outcome).increment();
  }

  /** The shadow's answer time, {@code tandem_shadow_duration_seconds{route,backend}}. */
  public Timer shadowTimer(String backend) {
    return Timer.builder("tandem.shadow.duration").description("Time for a shadow to answer a mirror copy")
        .tags("route", route, "backend", backend).publishPercentileHistogram().register(registry);
  }

  public long get(Outcome o) {
    return (long) counters.get(o).count();
  }

  /** The ledger as {@code GET /admin/mirror/stats} shows it, with whether it balances. */
  public JsonObject snapshot() {
    JsonObject out = new JsonObject();
    for (Outcome o : Outcome.values()) {
      out.put(o.label(), get(o));
    }
    long skipped = get(Outcome.SKIPPED_SAMPLE) + get(Outcome.SKIPPED_FILTERED) + get(Outcome.SKIPPED_BODY_TOO_LARGE)
        + get(Outcome.SKIPPED_STATUS) + get(Outcome.SKIPPED_ABORTED) + get(Outcome.SKIPPED_CANARY);
    long inFlightNow = inFlight.get();
    out.put("skipped", skipped).put("in_flight", inFlightNow);
    boolean eligibleBalances = get(Outcome.ELIGIBLE)
        == get(Outcome.SENT) + skipped + get(Outcome.RATE_LIMITED) + get(Outcome.DROPPED_QUEUE_FULL);
    boolean sentBalances = get(Outcome.SENT) == get(Outcome.DELIVERED) + get(Outcome.DUPLICATE)
        + get(Outcome.DEAD_LETTERED) + get(Outcome.FAILED) + get(Outcome.TIMEOUT) + inFlightNow;
    return out.put("balanced", eligibleBalances && sentBalances);
  }

  public long inFlight() {
    return inFlight.get();
  }
}
