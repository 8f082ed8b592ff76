package dev.tandem.proxy.cli;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.config.Durations;
import dev.tandem.proxy.config.ServerConfig;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How {@code tandem proxy} stops: SIGTERM or SIGINT starts {@link Tandem#drain()}, and the process exits 0 once
 * it is done (1 when its deadline cut something, said on stderr). A shutdown hook alone cannot do that: a JVM
 * ended by a signal exits 143 whatever the hook does, and Kubernetes reads that as a failure in its events, so the
 * signals are handled here (sun.misc.Signal, the one supported way in Java 17). Any other exit still drains, from
 * the hook.
 */
final class Draining {

  private final Tandem tandem;
  private final CliRuntime runtime;
  private final ServerConfig.Shutdown shutdown;
  private final PrintWriter out;
  private final AtomicBoolean started = new AtomicBoolean();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile int exitCode = Console.EXIT_OK;

  Draining(Tandem tandem, CliRuntime runtime, ServerConfig.Shutdown shutdown, PrintWriter out) {
    this.tandem = tandem;
    this.runtime = runtime;
    this.shutdown = shutdown;
    this.out = out;
  }

  void onSignals() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> new Thread(() -> run("SIG" + name),
            "tandem-drain").start());
      } catch (IllegalArgumentException e) {
        // a signal this platform does not have, or one the JVM keeps (-Xrs): the shutdown hook still drains
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      run("exit");
      awaitQuietly();
    }, "tandem-shutdown"));
  }

  /** Blocks the main thread until the drain is over; the exit code. */
  int await() throws InterruptedException {
    done.await();
    return exitCode;
  }

  private void run(String why) {
    if (!started.compareAndSet(false, true)) {
      if (why.startsWith("SIG")) {
        // A second signal while draining: the operator wants out now (what is in flight is cut).
        System.err.println("tandem: " + why + " again: stopping now, without waiting for the drain");
        Runtime.getRuntime().halt(Console.EXIT_FAILED);
      }
      return;
    }
    out.printf("tandem: %s: draining (readiness 503; listener stops in %s; deadline %s)%n", why,
        Durations.format(shutdown.delay()), Durations.format(shutdown.timeout()));
    out.flush();
    try {
      // The drain keeps its own deadline; this bound only guards against a close that never completes.
      long bound = shutdown.timeout().toMillis() + 5_000;
      Tandem.Drained d = tandem.drain().toCompletionStage().toCompletableFuture().get(bound, TimeUnit.MILLISECONDS);
      out.printf("tandem: drained in %d ms%s%s%n", d.millis(), d.tunnelsClosed() == 0 ? ""
          : " (" + d.tunnelsClosed() + " WebSocket tunnels closed)", d.clean() ? ": nothing in flight was lost"
          : ": at the deadline " + d.connectionsCut() + " connections, " + d.mirrorCopiesCut() + " mirror copies and "
          + d.comparisonsCut() + " comparisons were cut" + (d.ledgersBalanced() ? "" : "; a mirror ledger does not balance")
          + (d.problems().isEmpty() ? "" : "; " + String.join("; ", d.problems())));
      d.ledgers().forEach((route, l) -> out.printf("tandem: mirror ledger of %s: %s%n", route, l.encode()));
      if (!d.clean()) {
        exitCode = Console.EXIT_FAILED;
      }
      runtime.vertx().close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("tandem: shutdown did not finish cleanly: " + Console.describe(e));
      exitCode = Console.EXIT_FAILED;
    } finally {
      out.flush();
      done.countDown();
    }
  }

  private void awaitQuietly() {
    try {
      done.await(shutdown.timeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
