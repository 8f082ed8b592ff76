package dev.tandem.comparator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/** Keeps sample differing exchanges, with both sides and their differences, for the admin API. */
public interface ResultStore {

  /** Keeps a sample; a store that cannot keep it fails the future, and the caller counts that. */
  Future<Void> add(JsonObject sample);

  /**
   * The newest samples first.
   *
   * @param endpoint only this endpoint; null for all
   * @param field    only samples with a difference at this field (or path); null for all
   * @param since    only samples at or after this time; null for all
   */
  Future<List<JsonObject>> samples(String endpoint, String field, Instant since, int limit);

  /** One sample by id; null when unknown or dropped. */
  Future<JsonObject> sample(String id);

  /**
   * Counts one compared exchange for the history of its endpoint and fields (hourly buckets). A store without a
   * history ignores it.
   *
   * @param rawFields   fields where the primary and the candidate differed
   * @param noiseFields fields where the primary and the secondary differed
   */
  default void count(Instant time, String endpoint, java.util.Collection<String> rawFields,
                     java.util.Collection<String> noiseFields) {
  }

  /**
   * Per hour, the exchanges compared at {@code endpoint} and the raw and noise differences at {@code field} (null:
   * the endpoint's totals only), oldest first; empty for a store without a history.
   */
  default Future<List<JsonObject>> history(String endpoint, String field, Instant since) {
    return Future.succeededFuture(List.of());
  }

  /** Samples kept now. */
  Future<Long> size();

  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
