package dev.tandem.proxy.cli;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.config.ConfigException;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.LoadedConfig;
import dev.tandem.proxy.config.TandemConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code tandem proxy --config FILE}: runs the proxy until the process is stopped. */
@Command(name = "proxy", mixinStandardHelpOptions = true,
    description = "Run the proxy and its admin server from a configuration file.")
final class ProxyCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration")
  Path config;

  @Option(names = "--check", description = "Validate the configuration, print the problems, and exit.")
  boolean check;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LoadedConfig loaded;
    try {
      loaded = new ConfigLoader().load(config);
    } catch (ConfigException e) {
      return Console.configProblems(err, config.toString(), e);
    }
    Console.warnings(err, loaded.warnings());
    TandemConfig c = loaded.config();
    if (check) {
      out.println(config + ": OK (" + c.routes().size() + " routes, " + c.backends().size() + " backends)");
      return Console.EXIT_OK;
    }
    CliRuntime runtime = CliRuntime.create();
    Tandem tandem;
    try {
      tandem = Blocking.await(Tandem.start(runtime.vertx(), runtime.registry(), c));
    } catch (Exception e) {
      err.println("tandem: cannot start: " + Console.describe(e));
      Blocking.await(runtime.vertx().close());
      return Console.EXIT_FAILED;
    }
    out.printf("tandem %s: proxy on %s://%s:%d, admin on %s://%s:%d (%d routes)%n", Version.current(),
        c.server().tls() == null ? "http" : "https", c.server().host(), tandem.port(),
        c.admin().tls() == null ? "http" : "https", c.admin().host(), tandem.adminPort(), c.routes().size());
    for (String notice : tandem.control().notices()) {
      out.println(notice);
    }
    if (!c.admin().hasTokens()) {
      out.println("admin API disabled: no admin.token configured (health and metrics stay available)");
    }
    out.flush();
    Draining draining = new Draining(tandem, runtime, c.server().shutdown(), out);
    draining.onSignals();
    return draining.await();
  }
}
