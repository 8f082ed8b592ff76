package dev.tandem.comparator.db;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One table compared between the primary (legacy) and the shadow (candidate) database.
 *
 * @param primaryTable  the legacy table, {@code name} or {@code schema.name}
 * @param shadowTable   the candidate's table
 * @param key           key columns, as named in the primary; rows are matched on them
 * @param primaryExprs  a primary column compared as an SQL expression instead of itself (a transform); by column
 * @param shadowExprs   where a primary column is found in the shadow: a column name (a rename) or an SQL
 *                      expression over the shadow's columns (a transform); by primary column. Unlisted columns
 *                      are looked for under the same name.
 * @param ignore        primary columns not compared
 * @param updatedAt     primary and shadow expressions of when a row last changed, for the race window; null when
 *                      the tables have none (then every finding is re-checked once after the settle delay)
 */
public record TableSpec(String primaryTable, String shadowTable, List<String> key, Map<String, String> primaryExprs,
                        Map<String, String> shadowExprs, Set<String> ignore, UpdatedAt updatedAt) {

  public TableSpec {
    key = List.copyOf(key);
    primaryExprs = Map.copyOf(primaryExprs);
    shadowExprs = Map.copyOf(shadowExprs);
    ignore = Set.copyOf(ignore);
  }

  /** The same table on both sides, compared column by column. */
  public static TableSpec same(String table, List<String> key) {
    return new TableSpec(table, table, key, Map.of(), Map.of(), Set.of(), null);
  }

  /** When a row changed, on each side. */
  public record UpdatedAt(String primary, String shadow) {
  }
}
