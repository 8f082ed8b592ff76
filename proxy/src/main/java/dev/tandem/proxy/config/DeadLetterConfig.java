package dev.tandem.proxy.config;

/**
 * Where mirrored writes that could not be delivered are recorded.
 *
 * @param store    {@code file} (the embedded default, JSON lines), {@code redis} (a stream) or {@code postgres}
 * @param file     the JSONL file for {@code file}
 * @param redis    the Redis URL for {@code redis}
 * @param stream   the Redis stream name
 * @param postgres the PostgreSQL URL for {@code postgres}
 * @param table    the PostgreSQL table, created on first use
 */
public record DeadLetterConfig(String store, String file, String redis, String stream, String postgres, String table) {

  public static final String FILE = "file";
  public static final String REDIS = "redis";
  public static final String POSTGRES = "postgres";
  public static final String DEFAULT_TABLE = "tandem_dead_letters";
  /** In the state directory ({@code TANDEM_STATE_DIR}). */
  public static final String DEFAULT_FILE = "dead-letters.jsonl";
  public static final String DEFAULT_STREAM = "tandem:dead-letters";
}
