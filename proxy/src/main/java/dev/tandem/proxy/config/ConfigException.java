package dev.tandem.proxy.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a configuration cannot be used; carries every problem found, not only the first. */
public final class ConfigException extends Exception {

  private final transient List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")), null, false, false);
    this.errors = List.copyOf(errors);
  }

  public ConfigException(String path, String message) {
    this(List.of(new ConfigError(path, message)));
  }

  public List<ConfigError> errors() {
    return errors;
  }
}
