package dev.tandem.comparator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The embedded default: the newest {@code maxSamples} samples in memory; older ones drop off first. */
public final class MemoryResultStore implements ResultStore {

  public static final int DEFAULT_MAX_SAMPLES = 1_000;

  private final int maxSamples;
  private final LinkedHashMap<String, JsonObject> samples = new LinkedHashMap<>();
  private long dropped;

  public MemoryResultStore(int maxSamples) {
    this.maxSamples = maxSamples;
  }

  @Override
  public Future<Void> add(JsonObject sample) {
    put(sample);
    return Future.succeededFuture();
  }

  private synchronized void put(JsonObject sample) {
    samples.put(sample.getString("id"), sample);
    Iterator<Map.Entry<String, JsonObject>> it = samples.entrySet().iterator();
    while (samples.size() > maxSamples && it.hasNext()) {
      it.next();
      it.remove();
      dropped++;
    }
  }

  @Override
  public Future<List<JsonObject>> samples(String endpoint, String field, Instant since, int limit) {
    return Future.succeededFuture(list(endpoint, field, since, limit));
  }

  private synchronized List<JsonObject> list(String endpoint, String field, Instant since, int limit) {
    List<JsonObject> all = new ArrayList<>(samples.values());
    List<JsonObject> out = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && out.size() < limit; i--) {
      JsonObject s = all.get(i);
      if (endpoint != null && !endpoint.equals(s.getString("endpoint"))) {
        continue;
      }
      if (since != null && Instant.parse(s.getString("time")).isBefore(since)) {
        continue;
      }
      if (field != null && !hasField(s, field)) {
        continue;
      }
      out.add(s);
    }
    return out;
  }

  private static boolean hasField(JsonObject sample, String field) {
    for (Object d : sample.getJsonArray("differences", new JsonArray())) {
      JsonObject diff = (JsonObject) d;
      if (field.equals(diff.getString("field")) || field.equals(diff.getString("path"))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public synchronized Future<JsonObject> sample(String id) {
    return Future.succeededFuture(samples.get(id));
  }

  @Override
  public synchronized Future<Long> size() {
    return Future.succeededFuture((long) samples.size());
  }

  /** Samples kept now, for a gauge. */
  public synchronized int count() {
    return samples.size();
  }

  /** Samples dropped to stay within the bound. */
  public synchronized long dropped() {
    return dropped;
  }
}
