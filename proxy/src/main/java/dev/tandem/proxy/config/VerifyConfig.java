package dev.tandem.proxy.config;

import dev.tandem.comparator.db.CutoverVerdict;
import dev.tandem.comparator.db.TableSpec;
import dev.tandem.comparator.db.VerifyOptions;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The databases whose rows {@code tandem verify-db} (and the proxy, on a schedule) compares; null in
 * {@link TandemConfig} when not configured.
 *
 * @param primary   PostgreSQL URL of the legacy database (only read: sessions are opened read-only)
 * @param shadow    PostgreSQL URL of the candidate's database (only read too)
 * @param options   chunk size, concurrency, settle window, NULL and '' handling, escalation
 * @param schedule  how often the proxy verifies by itself; null: only on demand
 * @param history   the file keeping every verdict with its evidence (streaks and escalations build on it)
 * @param readiness the thresholds of the cut-over verdict
 * @param lockWatch how often the shadow is sampled for lock waits while verifying; zero: not sampled
 */
public record VerifyConfig(String primary, String shadow, List<Table> tables, VerifyOptions options,
                           Duration schedule, String history, CutoverVerdict.Readiness readiness,
                           Duration lockWatch) {

  /** In the state directory ({@code TANDEM_STATE_DIR}). */
  public static final String DEFAULT_HISTORY = "verify-history.jsonl";
  public static final Duration DEFAULT_LOCK_WATCH = Duration.ofMillis(200);

  public VerifyConfig {
    tables = List.copyOf(tables);
  }

  /**
   * A table compared on both sides, rows matched on {@code key}.
   *
   * @param shadowName the candidate's table (default: the same name)
   * @param columns    per primary column: {@code shadow} (a column name: a rename; an SQL expression: a transform)
   *                   and optionally {@code primary} (an SQL expression over the primary's columns)
   * @param updatedAt  when a row last changed, on each side; null when the tables have no such column
   */
  public record Table(String name, String shadowName, List<String> key, Set<String> ignore,
                      Map<String, ColumnMap> columns, TableSpec.UpdatedAt updatedAt) {

    public Table {
      key = List.copyOf(key);
      ignore = Set.copyOf(ignore);
      columns = Map.copyOf(columns);
    }

    /** Where a primary column is found on each side. */
    public record ColumnMap(String primary, String shadow) {
    }

    /** The verifier's view of this table. */
    public TableSpec spec() {
      Map<String, String> p = new java.util.LinkedHashMap<>();
      Map<String, String> s = new java.util.LinkedHashMap<>();
      columns.forEach((name, m) -> {
        if (m.primary() != null) {
          p.put(name, m.primary());
        }
        if (m.shadow() != null) {
          s.put(name, m.shadow());
        }
      });
      return new TableSpec(name, shadowName, key, p, s, ignore, updatedAt);
    }
  }

  public List<TableSpec> specs() {
    return tables.stream().map(Table::spec).toList();
  }
}
