package dev.tandem.proxy.cli;

import dev.tandem.proxy.config.ConfigError;
import dev.tandem.proxy.config.ConfigException;

import java.io.PrintWriter;

/** How commands tell the user about problems: one line each, no stack traces. */
final class Console {

  static final int EXIT_OK = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  private Console() {
  }

  /** A user mistake already explained on stderr: the command exits 2 without saying more. */
  static final class UsageProblem extends RuntimeException {
    UsageProblem() {
      super(null, null, false, false);
    }
  }

  static int configProblems(PrintWriter err, String file, ConfigException e) {
    int n = e.errors().size();
    err.println("tandem: " + file + ": " + n + (n == 1 ? " problem" : " problems") + ":");
    for (ConfigError error : e.errors()) {
      err.println(error);
    }
    err.flush();
    return EXIT_USAGE;
  }

  /** The configuration in {@code file}, its warnings printed; null (its problems printed: exit 2) when it is bad. */
  static dev.tandem.proxy.config.TandemConfig load(PrintWriter err, java.nio.file.Path file) {
    return load(err, file, new dev.tandem.proxy.config.ConfigLoader());
  }

  /** As {@link #load(PrintWriter, java.nio.file.Path)}, with {@code loader}. */
  static dev.tandem.proxy.config.TandemConfig load(PrintWriter err, java.nio.file.Path file,
                                                   dev.tandem.proxy.config.ConfigLoader loader) {
    try {
      dev.tandem.proxy.config.LoadedConfig loaded = loader.load(file);
      warnings(err, loaded.warnings());
      return loaded.config();
    } catch (ConfigException e) {
      configProblems(err, file.toString(), e);
      return null;
    }
  }

  static void warnings(PrintWriter err, java.util.List<ConfigError> warnings) {
    for (ConfigError w : warnings) {
      err.println("warning: " + w);
    }
    err.flush();
  }

  /** The message of an unexpected failure, with its causes, on one line. */
  static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && !m.isBlank() && sb.indexOf(m) < 0) {
        if (sb.length() > 0) {
          sb.append(": ");
        }
        sb.append(m);
      }
    }
    return sb.length() == 0 ? t.getClass().getSimpleName() : sb.toString();
  }
}
