package dev.tandem.proxy.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** The top-level {@code tandem} command: its subcommands, help and version. */
@Command(name = "tandem", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = {
        "Shadow, canary and compare: a proxy for moving traffic from a legacy service to its replacement.",
        ""},
    subcommands = {ProxyCommand.class, DemoCommand.class, ReplayCommand.class, VerifyDbCommand.class,
        DlqCommand.class, AdminCommand.class, DiffsCommand.class, ImportCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Start with './tandem demo'. Docs: README.md"})
public final class TandemCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  /** The configured command line, with Tandem's rules for errors: usage problems exit 2, no stack traces. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new TandemCommand());
    cl.setParameterExceptionHandler((e, args) -> {
      CommandLine failed = e.getCommandLine();
      failed.getErr().println("tandem: " + e.getMessage());
      failed.getErr().println("Try '" + failed.getCommandSpec().qualifiedName() + " --help'.");
      return Console.EXIT_USAGE;
    });
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof Console.UsageProblem) {
        line.getErr().flush();
        return Console.EXIT_USAGE;
      }
      line.getErr().println("tandem: " + Console.describe(e));
      if (System.getenv("TANDEM_DEBUG") != null) {
        e.printStackTrace(line.getErr());
      } else {
        line.getErr().println("(set TANDEM_DEBUG=1 to see where it happened)");
      }
      return Console.EXIT_FAILED;
    });
    return cl;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Console.EXIT_USAGE;
  }
}
