package dev.tandem.proxy.config;

import java.util.List;

/**
 * The databases whose rows {@code tandem verify-db} compares; null in {@link TandemConfig} when not configured.
 *
 * @param primary PostgreSQL URL of the legacy database (read only)
 * @param shadow  PostgreSQL URL of the candidate's database
 */
public record VerifyConfig(String primary, String shadow, List<Table> tables) {

  public VerifyConfig {
    tables = List.copyOf(tables);
  }

  /** A table compared on both sides, rows matched on {@code key}. */
  public record Table(String name, List<String> key) {

    public Table {
      key = List.copyOf(key);
    }
  }
}
