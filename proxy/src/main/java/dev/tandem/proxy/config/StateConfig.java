package dev.tandem.proxy.config;

/**
 * Where run-time changes (canary weights, mirror percents, rollouts, the audit log) are kept, so that a restart
 * does not forget an operator's change.
 *
 * @param store  {@code file} (the embedded default: one JSON file) or {@code redis} (shared by every instance)
 * @param file   the state file for {@code file}
 * @param redis  the Redis URL for {@code redis}
 * @param prefix key prefix in Redis
 */
public record StateConfig(String store, String file, String redis, String prefix) {

  public static final String FILE = "file";
  public static final String REDIS = "redis";
  /** In the state directory ({@code TANDEM_STATE_DIR}, see the configuration loader). */
  public static final String DEFAULT_FILE = "state.json";
  public static final String DEFAULT_PREFIX = "tandem:";
}
