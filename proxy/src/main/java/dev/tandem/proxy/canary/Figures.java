package dev.tandem.proxy.canary;

import io.vertx.core.json.JsonObject;

/**
 * What a rollout's gates judge over one interval: both sides' requests, errors and latency, and — on a route that
 * compares mirrored answers — how many exchanges were compared and how many of those really differed. Figures of
 * several instances add up ({@link #plus}), so that a fleet is judged on all of its traffic.
 *
 * @param compared  exchanges compared; -1 when the route does not compare
 */
public record Figures(SideStats.Sample primary, SideStats.Sample canary, long compared, long differing) {

  public static Figures empty(boolean compares) {
    return new Figures(SideStats.Sample.empty(), SideStats.Sample.empty(), compares ? 0 : -1, 0);
  }

  public Figures plus(Figures o) {
    long c = compared < 0 && o.compared < 0 ? -1 : Math.max(0, compared) + Math.max(0, o.compared);
    return new Figures(primary.plus(o.primary), canary.plus(o.canary), c, differing + o.differing);
  }

  /** Percent of compared exchanges that differed; null when nothing was compared (the gate is skipped). */
  public Double diffRate() {
    return compared <= 0 ? null : differing * 100.0 / compared;
  }

  public JsonObject toJson() {
    return new JsonObject().put("primary", primary.toJson()).put("canary", canary.toJson())
        .put("compared", compared).put("differing", differing);
  }

  /** @throws IllegalArgumentException when {@code json} is not figures */
  public static Figures fromJson(JsonObject json) {
    try {
      return new Figures(SideStats.Sample.fromJson(json.getJsonObject("primary")),
          SideStats.Sample.fromJson(json.getJsonObject("canary")), json.getLong("compared", -1L),
          json.getLong("differing", 0L));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not rollout figures: " + e.getMessage(), e);
    }
  }
}
