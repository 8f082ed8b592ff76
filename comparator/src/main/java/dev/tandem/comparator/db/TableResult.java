package dev.tandem.comparator.db;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What verifying one table found.
 *
 * @param counts          findings per class (all of them; {@code findings} holds at most the configured number)
 * @param chunks          checksum chunks compared; {@code chunksDiffering} of them were compared row by row
 * @param rowsTransferred rows pulled into Tandem (chunk boundaries, checksums, and the rows of differing chunks)
 * @param rechecked       findings checked again after the settle delay; {@code settled} of them had converged
 * @param notes           schema differences and anything else an operator should know
 */
public record TableResult(String table, String shadowTable, long primaryRows, long shadowRows, int chunks,
                          int chunksDiffering, long rowsTransferred, Map<Finding.Kind, Long> counts,
                          List<Finding> findings, int rechecked, int settled, List<String> notes, long millis) {

  public TableResult {
    counts = new EnumMap<>(counts);
    findings = List.copyOf(findings);
    notes = List.copyOf(notes);
  }

  /** Rows that differ in any way: every finding is one row (or one duplicated key). */
  public long divergent() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Percent of rows in sync: rows that match over the larger side's row count. */
  public double syncPercent() {
    long larger = Math.max(primaryRows, shadowRows);
    if (larger == 0) {
      return 100;
    }
    return Math.max(0, larger - divergent()) * 100.0 / larger;
  }

  public JsonObject toJson() {
    JsonObject c = new JsonObject();
    for (Finding.Kind k : Finding.Kind.values()) {
      c.put(k.label(), counts.getOrDefault(k, 0L));
    }
    JsonArray f = new JsonArray();
    findings.forEach(x -> f.add(x.toJson()));
    return new JsonObject().put("table", table).put("shadowTable", shadowTable).put("primaryRows", primaryRows)
        .put("shadowRows", shadowRows).put("syncPercent", Math.round(syncPercent() * 1000) / 1000.0)
        .put("divergentRows", divergent()).put("counts", c).put("chunks", chunks)
        .put("chunksDiffering", chunksDiffering).put("rowsTransferred", rowsTransferred)
        .put("rechecked", rechecked).put("settled", settled).put("millis", millis)
        .put("notes", new JsonArray(notes)).put("findings", f);
  }
}
