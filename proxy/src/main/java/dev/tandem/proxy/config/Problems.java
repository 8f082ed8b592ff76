package dev.tandem.proxy.config;

import java.util.ArrayList;
import java.util.List;

/** Collects every error and warning found while reading one configuration, so that all are reported at once. */
final class Problems {

  private final List<ConfigError> errors = new ArrayList<>();
  private final List<ConfigError> warnings = new ArrayList<>();

  void error(String path, String message) {
    errors.add(new ConfigError(path, message));
  }

  void warn(String path, String message) {
    warnings.add(new ConfigError(path, message));
  }

  List<ConfigError> errors() {
    return errors;
  }

  List<ConfigError> warnings() {
    return warnings;
  }
}
