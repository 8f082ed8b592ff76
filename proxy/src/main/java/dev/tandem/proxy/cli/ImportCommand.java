package dev.tandem.proxy.cli;

import dev.tandem.proxy.config.ConfigException;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.importer.ConfigWriter;
import dev.tandem.proxy.importer.Draft;
import dev.tandem.proxy.importer.HttpRouteImport;
import dev.tandem.proxy.importer.ImportException;
import dev.tandem.proxy.importer.IngressNginxImport;
import dev.tandem.proxy.importer.Manifest;
import dev.tandem.proxy.importer.Manifests;
import dev.tandem.proxy.importer.NotCarried;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code tandem import}: a Tandem configuration from the Kubernetes routing a service has today. */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Print a Tandem configuration equivalent to Kubernetes routing manifests.",
    footer = ImportCommand.OUTPUT,
    subcommands = {ImportCommand.IngressNginx.class, ImportCommand.HttpRoute.class})
final class ImportCommand implements Callable<Integer> {

  static final String OUTPUT = "%nThe configuration goes to stdout. Each annotation, directive or field it does not"
      + " carry over (or carries over only approximately) is one line on stderr, naming the file, the object, the"
      + " item and why, e.g.%n  in.yaml: Ingress shop/orders: annotation .../limit-rps: not carried over: why%nso 'tandem import ... > tandem.yaml' leaves them on the terminal; the file's header"
      + " says how many.%nExit 0 with a configuration (with such lines or not), 2 when a file cannot be read or parsed"
      + " or holds nothing to import.";

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Console.EXIT_USAGE;
  }

  @Command(name = "ingress-nginx", mixinStandardHelpOptions = true, footer = ImportCommand.OUTPUT,
      description = {"Import Ingress manifests written for ingress-nginx (multi-document YAML, kind: List): routes"
          + " from hosts and paths, backends from services (http://SERVICE.NAMESPACE.svc.cluster.local:PORT),"
          + " the canary Ingress of the same host and path (canary-weight, canary-weight-total, canary-by-header,"
          + " -value, -pattern, canary-by-cookie) as the route's canary, and 'mirror' in configuration-snippet or"
          + " server-snippet (with its location's proxy_pass and proxy_set_header), or mirror-target, as its mirror."})
  static final class IngressNginx implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Manifests with Ingress objects (and, to name"
        + " ports by name, their Services).")
    List<Path> files;

    @Override
    public Integer call() {
      return run(spec, files, "Ingress", "ingress-nginx", IngressNginxImport::of);
    }
  }

  @Command(name = "httproute", mixinStandardHelpOptions = true, footer = ImportCommand.OUTPUT,
      description = {"Import Gateway API HTTPRoutes (gateway.networking.k8s.io/v1, v1beta1): routes from hostnames"
          + " and matches (PathPrefix, Exact, method), the heaviest backendRef as primary and the next as canary"
          + " with its share of the weights, a RequestMirror filter (percent or fraction) as the mirror, and a rule"
          + " whose header match sends requests to the canary alone as the canary's opt-in (matchHeaders)."})
  static final class HttpRoute implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Manifests with HTTPRoute objects.")
    List<Path> files;

    @Override
    public Integer call() {
      return run(spec, files, "HTTPRoute", "httproute", HttpRouteImport::of);
    }
  }

  private static int run(CommandSpec spec, List<Path> files, String kind, String command,
                         Function<List<Manifest>, Draft> importer) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Manifest> all = new ArrayList<>();
    for (Path file : files) {
      List<Manifest> read;
      try {
        read = Manifests.read(file);
      } catch (ImportException e) {
        err.println("tandem import: " + e.getMessage());
        return Console.EXIT_USAGE;
      }
      if (read.stream().noneMatch(m -> m.kind().equals(kind))) {
        Set<String> other = new LinkedHashSet<>(read.stream().map(Manifest::kind).toList());
        err.println("tandem import: " + file + ": no " + kind + " in it" + (other.isEmpty() ? ""
            : " (found " + String.join(", ", other) + ")") + hint(kind, other));
        return Console.EXIT_USAGE;
      }
      all.addAll(read);
    }
    Draft draft = importer.apply(all);
    String yaml = ConfigWriter.write(draft);
    try {
      // The placeholder token only lets the check pass; the printed file keeps ${TANDEM_ADMIN_TOKEN}.
      ConfigLoader.withEnvironment(Map.of("TANDEM_ADMIN_TOKEN", "import-check-token")::get).parse(yaml, command);
    } catch (ConfigException e) {
      err.println("tandem import: the configuration made from these files does not load (a bug in tandem import):");
      e.errors().forEach(err::println);
      return Console.EXIT_FAILED;
    }
    out.print(yaml);
    out.flush();
    for (NotCarried n : draft.notCarried()) {
      err.println(n.line());
    }
    err.flush();
    return Console.EXIT_OK;
  }

  private static String hint(String kind, Set<String> found) {
    if (kind.equals("Ingress") && found.contains("HTTPRoute")) {
      return "; for HTTPRoutes use 'tandem import httproute'";
    }
    if (kind.equals("HTTPRoute") && found.contains("Ingress")) {
      return "; for Ingresses use 'tandem import ingress-nginx'";
    }
    return "";
  }
}
