package dev.tandem.proxy.config;

/**
 * Where mirrored writes that could not be delivered are recorded.
 *
 * @param store {@code file} (the embedded default, JSON lines) or {@code redis} (a stream)
 * @param file  the JSONL file for {@code file}
 * @param redis the Redis URL for {@code redis}
 * @param stream the Redis stream name
 */
public record DeadLetterConfig(String store, String file, String redis, String stream) {

  public static final String FILE = "file";
  public static final String REDIS = "redis";
  public static final String DEFAULT_FILE = "tandem-dead-letters.jsonl";
  public static final String DEFAULT_STREAM = "tandem:dead-letters";
}
