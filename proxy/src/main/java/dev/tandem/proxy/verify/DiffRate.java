package dev.tandem.proxy.verify;

import io.vertx.core.json.JsonObject;

/** The share of compared responses that really differed, from a comparison summary ({@code /admin/diffs/summary}). */
public final class DiffRate {

  private DiffRate() {
  }

  /** Percent, or null when nothing was compared. */
  public static Double of(JsonObject summary) {
    long compared = 0;
    long differing = 0;
    for (Object o : summary.getJsonArray("endpoints")) {
      JsonObject e = (JsonObject) o;
      compared += e.getLong("compared");
      differing += e.getLong("differing");
    }
    return compared == 0 ? null : differing * 100.0 / compared;
  }
}
