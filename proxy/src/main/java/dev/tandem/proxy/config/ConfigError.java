package dev.tandem.proxy.config;

/**
 * One problem in a configuration file: the key path it is about and what is wrong with it.
 *
 * @param path    where, as a key path such as {@code routes[1].primary}
 * @param message what, in words a user can act on
 */
public record ConfigError(String path, String message) {

  @Override
  public String toString() {
    return path + ": " + message;
  }
}
