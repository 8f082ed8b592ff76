package dev.tandem.proxy;

import dev.tandem.proxy.cli.TandemCommand;
import picocli.CommandLine;

/** The {@code tandem} command line. */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command line and returns its exit code. */
  public static int run(String... args) {
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    return TandemCommand.commandLine().execute(args);
  }
}
