package dev.tandem.proxy.cli;

import dev.tandem.comparator.db.CutoverVerdict;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.verify.DiffRate;
import dev.tandem.proxy.verify.VerdictText;
import dev.tandem.proxy.verify.Verification;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code tandem verify-db --config FILE [--json]}: compares the rows the legacy service and the candidate wrote,
 * and gives the cut-over verdict: exit 0 for READY_FOR_CUTOVER, 1 for MONITORING_REQUIRED or
 * ROLLBACK_RECOMMENDED, 2 for an error (a database down, a table missing: no verdict).
 */
@Command(name = "verify-db", mixinStandardHelpOptions = true,
    description = "Compare the primary and shadow databases and give a cut-over verdict (exit 0 READY_FOR_CUTOVER,"
        + " 1 MONITORING_REQUIRED or ROLLBACK_RECOMMENDED, 2 error).")
final class VerifyDbCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "FILE", description = "The Tandem configuration (verify:).")
  Path config;

  @Option(names = "--json", description = "Print the verdict with its evidence and findings as JSON.")
  boolean json;

  @Option(names = "--diffs-from", paramLabel = "URL",
      description = "The admin URL of the running proxy whose response differences count in the verdict"
          + " (default: the configuration's admin address; not counted when it does not answer).")
  URI diffsFrom;

  @Option(names = "--token", paramLabel = "TOKEN", description = "Admin token for --diffs-from (default: admin.token).")
  String token;

  @Option(names = "--findings", defaultValue = "20", description = "Findings shown per table in text (default: ${DEFAULT-VALUE}).")
  int findings;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    TandemConfig c = Console.load(err, config, new dev.tandem.proxy.config.ConfigLoader().forVerify());
    if (c == null) {
      return Console.EXIT_USAGE;
    }
    if (c.verify() == null) {
      err.println("tandem verify-db: " + config + " has no verify: section (primary, shadow, tables); see"
          + " conf/verify.yaml");
      return Console.EXIT_USAGE;
    }
    CliRuntime runtime = CliRuntime.create();
    Verification verification = new Verification(runtime.vertx(), c.verify(), () -> responseDiffRate(runtime, c));
    try {
      JsonObject verdict;
      try {
        verdict = Blocking.await(verification.run());
      } catch (Exception e) {
        err.println("tandem verify-db: no verdict: " + Console.describe(e));
        return Console.EXIT_USAGE;
      }
      if (json) {
        out.println(verdict.encodePrettily());
      } else {
        VerdictText.print(out, verdict, findings);
        out.println("Kept with its evidence in " + Path.of(c.verify().history()).toAbsolutePath() + ".");
      }
      out.flush();
      return CutoverVerdict.Decision.valueOf(verdict.getString("verdict")) == CutoverVerdict.Decision.READY_FOR_CUTOVER
          ? Console.EXIT_OK : Console.EXIT_FAILED;
    } finally {
      Blocking.await(verification.close());
      Blocking.await(runtime.vertx().close());
    }
  }

  /** The running proxy's response difference rate, from its admin API; null when it does not answer. */
  private Future<Double> responseDiffRate(CliRuntime runtime, TandemConfig c) {
    URI base = diffsFrom != null ? diffsFrom
        : URI.create("http://" + (c.admin().host().equals("0.0.0.0") ? "127.0.0.1" : c.admin().host()) + ":"
            + c.admin().port());
    String t = token != null ? token : c.admin().tokens().values().stream().findFirst().orElse(null);
    var client = runtime.vertx().createHttpClient();
    var o = new io.vertx.core.http.RequestOptions().setAbsoluteURI(base.resolve("/admin/diffs/summary").toString())
        .setTimeout(2_000).setConnectTimeout(2_000);
    if (t != null) {
      o.putHeader("Authorization", "Bearer " + t);
    }
    return client.request(o).compose(r -> r.send()).compose(r -> r.statusCode() == 200 ? r.body()
            : Future.failedFuture("status " + r.statusCode()))
        .map(b -> DiffRate.of(b.toJsonObject()))
        .recover(x -> Future.<Double>succeededFuture(null))
        .andThen(x -> client.close());
  }
}
