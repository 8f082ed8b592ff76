package dev.tandem.proxy.config;

/**
 * Where a component keeps its state.
 *
 * @param kind {@code memory}, {@code redis} or {@code postgres}
 * @param url  the connection string; null for {@code memory}
 */
public record StoreConfig(String kind, String url) {

  public static final String MEMORY = "memory";
  public static final String REDIS = "redis";
  public static final String POSTGRES = "postgres";

  public static StoreConfig memory() {
    return new StoreConfig(MEMORY, null);
  }

  public boolean isMemory() {
    return MEMORY.equals(kind);
  }
}
