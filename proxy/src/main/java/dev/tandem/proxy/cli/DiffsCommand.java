package dev.tandem.proxy.cli;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code tandem diffs}: the comparison summary of a running Tandem, as a table. */
@Command(name = "diffs", mixinStandardHelpOptions = true,
    description = "Show what differs between the primary and the candidate, per endpoint and field.")
final class DiffsCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  AdminCommand.Target target;

  @Option(names = "--json", description = "Print the API's JSON (GET /admin/diffs/summary).")
  boolean json;

  @Option(names = "--all", description = "Also list noise fields and fields that matched the noise only.")
  boolean all;

  @Override
  public Integer call() throws Exception {
    JsonObject summary = target.call(HttpMethod.GET, "/admin/diffs/summary", null);
    if (summary == null || json) {
      return AdminCommand.print(spec, summary);
    }
    PrintWriter out = spec.commandLine().getOut();
    var endpoints = summary.getJsonArray("endpoints");
    if (endpoints.isEmpty()) {
      out.println("Nothing compared yet.");
      return Console.EXIT_OK;
    }
    out.printf("%-32s %9s %9s %9s  %s%n", "ENDPOINT", "COMPARED", "DIFFER", "P99 RATIO", "SIDES");
    for (Object o : endpoints) {
      JsonObject e = (JsonObject) o;
      JsonObject lat = e.getJsonObject("latency");
      out.printf("%-32s %9d %9d %9s  %s vs %s%n", e.getString("endpoint"), e.getLong("compared"),
          e.getLong("differing"), lat.containsKey("p99Ratio") ? "x" + lat.getDouble("p99Ratio") : "-",
          e.getString("primary"), e.getString("candidate"));
      for (Object f : e.getJsonArray("fields")) {
        JsonObject field = (JsonObject) f;
        String verdict = field.getString("verdict");
        if (!all && (!verdict.equals("real") || field.getLong("raw") == 0)) {
          continue;
        }
        out.printf("    %-12s %-40s %-12s %6.2f%%%s%n", verdict, field.getString("field"), field.getString("kind"),
            field.getDouble("rate"), field.containsKey("ignoreRule") ? "   to ignore: " + field.getString("ignoreRule")
                : "");
      }
    }
    return Console.EXIT_OK;
  }
}
