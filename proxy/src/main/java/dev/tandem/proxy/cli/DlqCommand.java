package dev.tandem.proxy.cli;

import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.mirror.DeadLetter;
import dev.tandem.proxy.mirror.DeadLetterReplayer;
import dev.tandem.proxy.mirror.DeadLetterStore;
import dev.tandem.proxy.mirror.Mirroring;
import dev.tandem.idempotency.IdempotencyStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tandem dlq}: list and replay mirrored writes that could not be delivered. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
    description = "List and replay mirrored writes that could not be delivered.",
    subcommands = {DlqCommand.ListLetters.class, DlqCommand.Replay.class})
final class DlqCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Console.EXIT_USAGE;
  }

  /** Loads the configuration that names the stores; null after printing the problems. */
  static TandemConfig load(CommandSpec spec, Path file) {
    return Console.load(spec.commandLine().getErr(), file);
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Show the dead letters not yet delivered.")
  static final class ListLetters implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE")
    Path config;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      TandemConfig c = load(spec, config);
      if (c == null) {
        return Console.EXIT_USAGE;
      }
      CliRuntime runtime = CliRuntime.create();
      DeadLetterStore store = Mirroring.deadLetterStore(runtime.vertx(), c);
      try {
        List<DeadLetter> letters = Blocking.await(store.unresolved());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
          JsonArray a = new JsonArray();
          letters.forEach(d -> a.add(d.toJson()));
          out.println(a.encodePrettily());
        } else if (letters.isEmpty()) {
          out.println("No dead letters.");
        } else {
          out.printf("%-36s  %-20s  %-10s  %-7s  %-30s  %s%n", "ID", "TIME", "BACKEND", "METHOD", "URI", "REASON");
          for (DeadLetter d : letters) {
            out.printf("%-36s  %-20s  %-10s  %-7s  %-30s  %s%n", d.id(), d.time().toString().substring(0, 19),
                d.backend(), d.method(), d.uri(), d.reason());
          }
          out.println(letters.size() + " dead letters; 'tandem dlq replay --all' sends them again.");
        }
        return Console.EXIT_OK;
      } catch (Exception e) {
        spec.commandLine().getErr().println("tandem dlq list: " + Console.describe(e));
        return Console.EXIT_FAILED;
      } finally {
        Blocking.await(store.close());
        Blocking.await(runtime.vertx().close());
      }
    }
  }

  @Command(name = "replay", mixinStandardHelpOptions = true,
      description = "Send dead letters again under their original idempotency keys; delivered ones are resolved.")
  static final class Replay implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE")
    Path config;

    @Option(names = "--id", paramLabel = "ID", description = "A letter to replay (repeatable).")
    List<String> ids = new ArrayList<>();

    @Option(names = "--all", description = "Replay every unresolved letter.")
    boolean all;

    @Override
    public Integer call() throws Exception {
      if (ids.isEmpty() == !all) {
        spec.commandLine().getErr().println("tandem dlq replay: give --all or one or more --id, not both");
        return Console.EXIT_USAGE;
      }
      TandemConfig c = load(spec, config);
      if (c == null) {
        return Console.EXIT_USAGE;
      }
      CliRuntime runtime = CliRuntime.create();
      IdempotencyStore keys = Mirroring.idempotencyStore(runtime.vertx(), c.idempotency(), runtime.registry());
      DeadLetterStore letters = Mirroring.deadLetterStore(runtime.vertx(), c);
      DeadLetterReplayer replayer = new DeadLetterReplayer(runtime.vertx(), c, keys, letters);
      try {
        DeadLetterReplayer.Report r = Blocking.await(replayer.replay(ids));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Replayed: %d delivered, %d already delivered (resolved), %d failed.%n", r.delivered(),
            r.duplicate(), r.failed());
        r.problems().forEach(p -> spec.commandLine().getErr().println("  " + p));
        return r.failed() == 0 && r.problems().isEmpty() ? Console.EXIT_OK : Console.EXIT_FAILED;
      } catch (Exception e) {
        spec.commandLine().getErr().println("tandem dlq replay: " + Console.describe(e));
        return Console.EXIT_FAILED;
      } finally {
        Blocking.await(Future.join(replayer.close(), keys.close(), letters.close()));
        Blocking.await(runtime.vertx().close());
      }
    }
  }
}
