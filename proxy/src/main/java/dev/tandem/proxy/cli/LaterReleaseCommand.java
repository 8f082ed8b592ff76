package dev.tandem.proxy.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.util.List;
import java.util.concurrent.Callable;

/** A subcommand whose feature is not in this release yet: it says so plainly and exits 2. */
abstract class LaterReleaseCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Unmatched
  List<String> ignored;

  abstract String feature();

  @Override
  public Integer call() {
    spec.commandLine().getErr().println("tandem " + spec.name() + ": " + feature()
        + " arrives with a later release of Tandem; this build (" + Version.current() + ") does not have it yet.");
    return Console.EXIT_USAGE;
  }
}
