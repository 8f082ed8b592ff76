package dev.tandem.proxy.cli;

import dev.tandem.proxy.config.Durations;
import picocli.CommandLine;

import java.time.Duration;

/** Reads durations on the command line as the configuration does: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    Duration d = Durations.parse(value);
    if (d == null) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 30s, 5m or 1h");
    }
    return d;
  }
}
