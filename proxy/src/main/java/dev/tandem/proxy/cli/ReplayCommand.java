package dev.tandem.proxy.cli;

import dev.tandem.replay.CaptureException;
import dev.tandem.replay.CaptureFiles;
import dev.tandem.replay.CapturedExchange;
import dev.tandem.replay.Replayer;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code tandem replay FILES... --target URL [--compare-with URL]}: sends captured requests (GoReplay .gor, HAR) to
 * a target, compares its answers with a second target's or with the recorded responses, and gives a verdict with
 * an exit code CI can gate on: 0 PASS, 1 FAIL, 3 REVIEW, 2 bad input.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Replay captured traffic (GoReplay .gor, HAR; plain or gzip) against a target and compare.")
final class ReplayCommand implements Callable<Integer> {

  static final int EXIT_REVIEW = 3;

  @Spec
  CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Capture files, merged by time.")
  List<Path> files;

  @Option(names = "--target", paramLabel = "URL", description = "Where to send the requests, e.g. http://127.0.0.1:9002.")
  URI target;

  @Option(names = "--compare-with", paramLabel = "URL",
      description = "A second target whose answers are the baseline; without it, the recorded responses are.")
  URI compareWith;

  @Option(names = "--concurrency", defaultValue = "32", description = "Requests in flight at most (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--safe-only", description = "Send only GET, HEAD and OPTIONS.")
  boolean safeOnly;

  @Option(names = "--skip-invalid", description = "Skip records that cannot be parsed (counted) instead of stopping.")
  boolean skipInvalid;

  @Option(names = "--speed", paramLabel = "X", description = "Original timing, X times faster (2: twice as fast).")
  double speed;

  @Option(names = "--rate", paramLabel = "N", description = "A fixed rate of N requests per second.")
  double rate;

  @Option(names = "--shard", paramLabel = "I/N", description = "Replay only shard I of N (1-based), e.g. for a"
      + " Kubernetes Indexed Job: every record falls in exactly one shard.")
  String shard;

  @Option(names = "--method", split = ",", paramLabel = "M", description = "Only these methods.")
  List<String> methods;

  @Option(names = "--path", paramLabel = "REGEX", description = "Only paths matching this regex.")
  java.util.regex.Pattern path;

  @Option(names = "--dry-run", description = "Read the files and report what would be sent; send nothing.")
  boolean dryRun;

  @Option(names = "--max-record-bytes", defaultValue = "67108864", description = "Largest record read.")
  int maxRecordBytes;

  @Option(names = "--max-diff-rate", defaultValue = "5", description = "Percent of compared answers that may differ (default: ${DEFAULT-VALUE}).")
  double maxDiffRate;

  @Option(names = "--max-error-rate", defaultValue = "1", description = "Percent of requests that may fail (default: ${DEFAULT-VALUE}).")
  double maxErrorRate;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!dryRun && target == null) {
      err.println("tandem replay: say where to send: --target http://host:port (or --dry-run)");
      return Console.EXIT_USAGE;
    }
    if (concurrency < 1) {
      err.println("tandem replay: --concurrency must be at least 1, got " + concurrency);
      return Console.EXIT_USAGE;
    }
    for (URI u : new URI[] {target, compareWith}) {
      if (u != null && (u.getHost() == null || !(("http".equals(u.getScheme())) || "https".equals(u.getScheme())))) {
        err.println("tandem replay: not an http(s) URL with a host: " + u);
        return Console.EXIT_USAGE;
      }
    }
    if (speed < 0 || rate < 0 || (speed > 0 && rate > 0)) {
      err.println("tandem replay: give --speed X or --rate N (positive), not both");
      return Console.EXIT_USAGE;
    }
    int shardIndex = 1;
    int shardCount = 1;
    if (shard != null) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)/(\\d+)").matcher(shard.trim());
      if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(1)) < 1
          || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
        err.println("tandem replay: --shard must be I/N with 1 <= I <= N, e.g. 2/4, got '" + shard + "'");
        return Console.EXIT_USAGE;
      }
      shardIndex = Integer.parseInt(m.group(1));
      shardCount = Integer.parseInt(m.group(2));
    }
    List<String> problems = new ArrayList<>();
    List<CapturedExchange> exchanges;
    try {
      exchanges = CaptureFiles.read(files, maxRecordBytes, skipInvalid, problems);
    } catch (CaptureException e) {
      err.println("tandem replay: " + e.getMessage());
      err.println("Nothing was sent. --skip-invalid skips records that cannot be parsed.");
      return Console.EXIT_USAGE;
    }
    problems.forEach(p -> err.println("skipped: " + p));
    int si = shardIndex;
    int sc = shardCount;
    java.util.Set<String> only = methods == null ? null : methods.stream()
        .map(x -> x.trim().toUpperCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
    exchanges = exchanges.stream()
        .filter(e -> sc == 1 || Replayer.inShard(e, si, sc))
        .filter(e -> only == null || only.contains(e.method()))
        .filter(e -> path == null || path.matcher(e.uri().split("\\?", 2)[0]).find())
        .toList();
    if (dryRun) {
      Map<String, Integer> byMethod = new TreeMap<>();
      exchanges.forEach(e -> byMethod.merge(e.method(), 1, Integer::sum));
      double seconds = exchanges.size() < 2 ? 0
          : (exchanges.get(exchanges.size() - 1).timeNanos() - exchanges.get(0).timeNanos()) / 1e9;
      long withResponse = exchanges.stream().filter(e -> e.response() != null).count();
      out.printf("%d requests in %d file(s), spanning %.1f s; %s; %d with a recorded response; %d skipped as"
          + " invalid.%n", exchanges.size(), files.size(), seconds, byMethod, withResponse, problems.size());
      return Console.EXIT_OK;
    }
    CliRuntime runtime = CliRuntime.create();
    try {
      Replayer replayer = new Replayer(runtime.vertx(), target, compareWith, concurrency, safeOnly);
      long start = System.nanoTime();
      Replayer.Result r = Blocking.await(replayer.run(exchanges, new Replayer.Pacing(speed, rate)));
      double secs = (System.nanoTime() - start) / 1e9;
      Blocking.await(replayer.close());
      out.printf("Sent %d requests to %s in %.1f s (%.0f/s), %d failed, %d skipped (--safe-only).%n", r.sent(), target,
          secs, secs > 0 ? r.sent() / secs : 0, r.errors(), r.skipped());
      if (speed > 0 || rate > 0) {
        out.printf("Send lag against the schedule: p50 %.2f ms, p99 %.2f ms, max %.2f ms.%n", r.lagP50Millis(),
            r.lagP99Millis(), r.lagMaxMillis());
      }
      out.printf("Compared %d answers with %s: %d differ (%.2f%%).%n", r.compared(),
          compareWith != null ? compareWith : "the recorded responses", r.differing(), r.diffRate());
      for (Object o : r.summary().getJsonArray("endpoints")) {
        JsonObject e = (JsonObject) o;
        out.printf("  %-32s %5d compared, %5d differ%n", e.getString("endpoint"), e.getLong("compared"),
            e.getLong("differing"));
        e.getJsonArray("fields").stream().map(JsonObject.class::cast).limit(5).forEach(f -> out.printf(
            "      %-40s %-12s %6.2f%% %s%n", f.getString("field"), f.getString("kind"), f.getDouble("rate"),
            f.getString("verdict")));
      }
      String verdict;
      int exit;
      if (r.errorRate() > maxErrorRate || r.diffRate() > maxDiffRate) {
        verdict = "FAIL";
        exit = Console.EXIT_FAILED;
      } else if (r.compared() == 0) {
        verdict = "REVIEW (nothing could be compared: no recorded responses and no --compare-with)";
        exit = EXIT_REVIEW;
      } else {
        verdict = "PASS";
        exit = Console.EXIT_OK;
      }
      out.printf("Verdict: %s (difference rate %.2f%%, at most %.2f%%; error rate %.2f%%, at most %.2f%%).%n", verdict,
          r.diffRate(), maxDiffRate, r.errorRate(), maxErrorRate);
      return exit;
    } finally {
      Blocking.await(runtime.vertx().close());
    }
  }
}
