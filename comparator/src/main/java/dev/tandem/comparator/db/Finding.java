package dev.tandem.comparator.db;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * One row that differs between the databases.
 *
 * @param key       the row's key, column by column, as canonical text
 * @param columns   for a value mismatch: each differing column with both canonical values (null for NULL)
 * @param streak    consecutive runs in which this row has differed, this one included
 * @param escalated whether the streak reached the escalation threshold
 */
public record Finding(Kind kind, String table, Map<String, String> key, List<Column> columns, int streak,
                      boolean escalated) {

  /** The classes of finding. */
  public enum Kind {
    MISSING_IN_SHADOW("missing_in_shadow"), EXTRA_IN_SHADOW("extra_in_shadow"), VALUE_MISMATCH("value_mismatch"),
    DUPLICATE_KEY("duplicate_key");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** A differing column. */
  public record Column(String name, String primary, String shadow) {
  }

  public Finding {
    key = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(key));
    columns = List.copyOf(columns);
  }

  /** The key as one string, e.g. {@code id=17} or {@code order_id=17,line=2}. */
  public String keyText() {
    StringBuilder b = new StringBuilder();
    key.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return b.toString();
  }

  Finding withStreak(int n, int escalateAfter) {
    return new Finding(kind, table, key, columns, n, n >= escalateAfter);
  }

  public JsonObject toJson() {
    JsonObject k = new JsonObject();
    key.forEach(k::put);
    JsonArray cols = new JsonArray();
    columns.forEach(c -> cols.add(new JsonObject().put("column", c.name()).put("primary", c.primary())
        .put("shadow", c.shadow())));
    JsonObject o = new JsonObject().put("class", kind.label()).put("table", table).put("key", k);
    if (!columns.isEmpty()) {
      o.put("columns", cols);
    }
    return o.put("streak", streak).put("escalated", escalated);
  }
}
