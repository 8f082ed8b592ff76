package dev.tandem.proxy.config;

import java.util.List;

/** A configuration that loaded, with what deserves a word to the operator (unset variables, inactive keys). */
public record LoadedConfig(TandemConfig config, List<ConfigError> warnings) {

  public LoadedConfig {
    warnings = List.copyOf(warnings);
  }
}
