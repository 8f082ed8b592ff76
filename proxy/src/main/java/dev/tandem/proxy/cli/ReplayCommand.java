package dev.tandem.proxy.cli;

import dev.tandem.comparator.Rules;
import dev.tandem.idempotency.IdempotencyStore;
import dev.tandem.idempotency.RedisIdempotencyStore;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.replay.CaptureException;
import dev.tandem.replay.CaptureFiles;
import dev.tandem.replay.CapturedExchange;
import dev.tandem.replay.ExchangeSource;
import dev.tandem.replay.ReplayReport;
import dev.tandem.replay.Replayer;
import dev.tandem.replay.TargetRewrite;
import dev.tandem.replay.Verdict;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * {@code tandem replay FILES... --target URL [--compare-with URL]}: sends captured requests (Tandem captures,
 * GoReplay .gor, HAR) to a target, compares its answers with a second target's or with the recorded responses,
 * and gives a verdict with an exit code CI can gate on: 0 PASS, 1 FAIL, 3 REVIEW, 2 bad input. The files are read
 * twice: once to check every record before anything is sent (and to count them), then as the requests go out.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Replay captured traffic (Tandem captures, GoReplay .gor, HAR; plain or gzip) against a target"
        + " and compare. Exit 0 PASS, 1 FAIL, 3 REVIEW, 2 bad input.")
final class ReplayCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "FILE", description = "Capture files, merged by time.")
  List<Path> files;

  @Option(names = "--target", paramLabel = "URL", description = "Where to send the requests, e.g. http://127.0.0.1:9002.")
  URI target;

  @Option(names = "--compare-with", paramLabel = "URL",
      description = "A second target whose answers are the baseline; without it, the recorded responses are.")
  URI compareWith;

  @Option(names = "--secondary", paramLabel = "URL",
      description = "A second instance of the --compare-with service, sent the reads too: fields on which the two"
          + " disagree are noise, not differences (Diffy's rule).")
  URI secondary;

  @Option(names = "--concurrency", defaultValue = "32", description = "Requests in flight at most (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--speed", paramLabel = "X", description = "Original timing, X times faster (2: twice as fast).")
  double speed;

  @Option(names = "--rate", paramLabel = "N", description = "A fixed rate of N requests per second.")
  double rate;

  @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class,
      description = "Per request (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--safe-only", description = "Send only GET, HEAD and OPTIONS.")
  boolean safeOnly;

  @Option(names = "--idempotency", paramLabel = "redis://HOST:PORT",
      description = "Remember delivered writes in Redis and skip those already delivered to the same target.")
  String idempotency;

  @Option(names = "--idempotency-ttl", defaultValue = "24h", converter = DurationConverter.class,
      description = "How long a delivered write is remembered (default: ${DEFAULT-VALUE}).")
  Duration idempotencyTtl;

  @Option(names = "--shard", paramLabel = "I/N", description = "Replay only shard I of N (1-based), e.g. for a"
      + " Kubernetes Indexed Job: every record falls in exactly one shard.")
  String shard;

  @Option(names = "--method", split = ",", paramLabel = "M", description = "Only these methods.")
  List<String> methods;

  @Option(names = "--path", paramLabel = "REGEX", description = "Only paths matching this regex.")
  Pattern path;

  @Option(names = "--header", paramLabel = "'NAME: REGEX'",
      description = "Only requests with this header matching the regex (repeatable; all must match).")
  List<String> headerFilters = new ArrayList<>();

  @Option(names = "--set-header", paramLabel = "'NAME: VALUE'", description = "Header set on requests to --target.")
  List<String> setHeaders = new ArrayList<>();

  @Option(names = "--remove-header", paramLabel = "NAME", description = "Header removed from requests to --target.")
  List<String> removeHeaders = new ArrayList<>();

  @Option(names = "--rewrite-url", paramLabel = "REGEX:REPLACEMENT",
      description = "Rewrites path and query for --target, e.g. '^/v1/(.*):/v2/$1' (repeatable; first match wins).")
  List<String> rewriteUrls = new ArrayList<>();

  @Option(names = "--host", paramLabel = "HOST", description = "Host header sent to --target.")
  String host;

  @Option(names = "--compare-set-header", paramLabel = "'NAME: VALUE'", description = "As --set-header, for --compare-with.")
  List<String> compareSetHeaders = new ArrayList<>();

  @Option(names = "--compare-remove-header", paramLabel = "NAME", description = "As --remove-header, for --compare-with.")
  List<String> compareRemoveHeaders = new ArrayList<>();

  @Option(names = "--compare-rewrite-url", paramLabel = "REGEX:REPLACEMENT", description = "As --rewrite-url, for --compare-with.")
  List<String> compareRewriteUrls = new ArrayList<>();

  @Option(names = "--compare-host", paramLabel = "HOST", description = "Host header sent to --compare-with.")
  String compareHost;

  @Option(names = "--config", paramLabel = "FILE",
      description = "A Tandem configuration whose comparator rules (ignore, tolerances, endpoints, the gRPC"
          + " descriptor set) apply.")
  Path config;

  @Option(names = "--skip-invalid", description = "Skip records that cannot be parsed (counted) instead of stopping.")
  boolean skipInvalid;

  @Option(names = "--dry-run", description = "Read the files and report what would be sent; send nothing.")
  boolean dryRun;

  @Option(names = "--max-record-bytes", defaultValue = "67108864", description = "Largest record read (default: ${DEFAULT-VALUE}).")
  int maxRecordBytes;

  @Option(names = "--max-diff-rate", defaultValue = "5", description = "Percent of compared answers that may differ (default: ${DEFAULT-VALUE}).")
  double maxDiffRate;

  @Option(names = "--max-error-rate", defaultValue = "1", description = "Percent of requests that may fail (default: ${DEFAULT-VALUE}).")
  double maxErrorRate;

  @Option(names = "--max-p99-ratio", paramLabel = "X",
      description = "The target's p99 latency over the baseline's, at most (default: 1.5 with --compare-with; against"
          + " recorded responses, measured elsewhere, only when given).")
  Double maxP99Ratio;

  @Option(names = "--report", paramLabel = "FILE", description = "Write the report: FILE.json or FILE.html (repeatable).")
  List<Path> reports = new ArrayList<>();

  @Option(names = "--record", paramLabel = "DIR",
      description = "Write each request with every target's answer (named by its URL) as a Tandem capture in DIR"
          + " (replay-<time>-0001.jsonl.gz).")
  Path record;

  @Option(names = "--lock-watch", paramLabel = "postgresql://...",
      description = "While replaying, sample this database (the candidate's) for sessions waiting on locks, and"
          + " report the longest wait with the blocked and the blocking statement.")
  String lockWatch;

  @Option(names = "--protocol", paramLabel = "auto|http1|h2", defaultValue = "auto",
      description = "HTTP version to the targets (default: ${DEFAULT-VALUE}: gRPC calls and HTTP/2 records over"
          + " HTTP/2, h2c to http:// targets, ALPN to https://; the rest over HTTP/1.1).")
  String protocol;

  @Option(names = "--progress", paramLabel = "auto|always|never", defaultValue = "auto",
      description = "The live progress line on stderr (default: ${DEFAULT-VALUE}: on a terminal, redrawn in place;"
          + " otherwise a plain line every 5 s).")
  String progress;

  private PrintWriter err;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    err = spec.commandLine().getErr();
    if (!dryRun && target == null) {
      return usage("say where to send: --target http://host:port (or --dry-run)");
    }
    if (concurrency < 1) {
      return usage("--concurrency must be at least 1, got " + concurrency);
    }
    if (secondary != null && compareWith == null) {
      return usage("--secondary needs --compare-with: it is a second instance of that service");
    }
    for (URI u : new URI[] {target, compareWith, secondary}) {
      if (u != null && (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme())))) {
        return usage("not an http(s) URL with a host: " + u);
      }
    }
    if (speed < 0 || rate < 0 || (speed > 0 && rate > 0)) {
      return usage("give --speed X or --rate N (positive), not both");
    }
    Replayer.Protocol wire;
    try {
      wire = Replayer.Protocol.of(protocol);
    } catch (IllegalArgumentException e) {
      return usage("--protocol: " + e.getMessage());
    }
    if (!Set.of("auto", "always", "never").contains(progress)) {
      return usage("--progress must be auto, always or never, got '" + progress + "'");
    }
    for (Path r : reports) {
      String n = r.getFileName().toString().toLowerCase(Locale.ROOT);
      if (!n.endsWith(".json") && !n.endsWith(".html") && !n.endsWith(".htm")) {
        return usage("--report " + r + ": the name must end in .json or .html");
      }
      Path parent = r.toAbsolutePath().getParent();
      if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)
          || Files.exists(r) && !Files.isWritable(r)) {
        return usage("--report " + r + ": cannot be written there (is the directory there and writable?)");
      }
    }
    Predicate<CapturedExchange> filter;
    TargetRewrite targetRewrite;
    TargetRewrite compareRewrite;
    try {
      filter = filter();
      targetRewrite = rewrite("", setHeaders, removeHeaders, rewriteUrls, host);
      compareRewrite = rewrite("compare-", compareSetHeaders, compareRemoveHeaders, compareRewriteUrls, compareHost);
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    }
    if (compareWith == null && !compareRewrite.isEmpty()) {
      return usage("--compare-* options need --compare-with URL");
    }
    Rules rules = Rules.DEFAULT;
    Map<String, Rules> endpointRules = Map.of();
    dev.tandem.comparator.grpc.ProtoSchema protos = dev.tandem.comparator.grpc.ProtoSchema.NONE;
    if (config != null) {
      TandemConfig c = Console.load(err, config);
      if (c == null) {
        return Console.EXIT_USAGE;
      }
      rules = c.compare().rules();
      endpointRules = c.compare().endpointRules();
      protos = c.compare().protos();
    }

    List<String> problems = new ArrayList<>();
    Scan scan;
    try {
      scan = scan(filter, problems);
    } catch (CaptureException e) {
      err.println("tandem replay: " + e.getMessage());
      err.println("Nothing was sent. --skip-invalid skips records that cannot be parsed.");
      return Console.EXIT_USAGE;
    }
    problems.forEach(p -> err.println("skipped: " + p));
    if (dryRun) {
      out.printf("%d requests in %d file(s), spanning %.1f s; %s; %d with a recorded response; %d skipped as"
          + " invalid.%n", scan.count, files.size(), scan.seconds(), scan.byMethod, scan.withResponse,
          problems.size());
      return Console.EXIT_OK;
    }

    dev.tandem.replay.CaptureWriter recorder = record == null ? null : new dev.tandem.replay.CaptureWriter(
        new dev.tandem.replay.CaptureWriter.Options(record, "replay", Long.MAX_VALUE, Duration.ofDays(365), 0, true,
            100_000, 256L * 1024 * 1024), dev.tandem.comparator.Redactor.defaults(), "tandem replay");
    CliRuntime runtime = CliRuntime.create();
    IdempotencyStore store = idempotency == null ? null
        : new RedisIdempotencyStore(runtime.vertx(), idempotency, "tandem:");
    try {
      if (store != null) {
        try {
          Blocking.await(store.ping());
        } catch (Exception e) {
          err.println("tandem replay: --idempotency " + idempotency + " does not answer: " + Console.describe(e));
          err.println("Nothing was sent.");
          return Console.EXIT_USAGE;
        }
      }
      Replayer.Options options = Replayer.Options.of(target, compareWith, concurrency)
          .withPacing(new Replayer.Pacing(speed, rate)).withSafeOnly(safeOnly)
          .withRewrites(targetRewrite, compareRewrite).withRules(rules, endpointRules)
          .withProtos(protos)
          .withIdempotency(store, idempotencyTtl).withTimeout(timeout).withRecord(recorder).withSecondary(secondary)
          .withProtocol(wire);
      Replayer replayer = new Replayer(runtime.vertx(), options);
      ExchangeSource source;
      try {
        source = CaptureFiles.open(files, maxRecordBytes, skipInvalid, p -> { });
      } catch (CaptureException e) {
        err.println("tandem replay: " + e.getMessage());
        return Console.EXIT_USAGE;
      }
      io.vertx.sqlclient.Pool lockPool = lockWatch == null ? null
          : dev.tandem.comparator.db.DbVerifier.pool(runtime.vertx(), lockWatch, 1);
      dev.tandem.comparator.db.LockWatch locks = lockPool == null ? null
          : new dev.tandem.comparator.db.LockWatch(runtime.vertx(), lockPool, 200);
      ProgressLine line = new ProgressLine(err, replayer.progress(), safeOnly ? scan.count - scan.unsafe : scan.count,
          mode());
      long timer = runtime.vertx().setPeriodic(line.periodMillis(), id -> line.print());
      Replayer.Result r;
      try {
        r = Blocking.await(replayer.run(source, filter));
      } finally {
        runtime.vertx().cancelTimer(timer);
        line.end();
      }
      Blocking.await(replayer.close());
      JsonObject lockReport = locks == null ? null : Blocking.await(locks.stop());
      if (lockPool != null) {
        Blocking.await(lockPool.close());
      }
      if (recorder != null) {
        recorder.close();
        out.printf("Recorded %d exchanges with their answers in %s%s.%n", recorder.written(), record,
            recorder.dropped() + recorder.failed() == 0 ? ""
                : " (" + (recorder.dropped() + recorder.failed()) + " could not be written: the disk was too slow or failing)");
      }
      if (r.readFailure() != null) {
        err.println("tandem replay: " + r.readFailure());
        err.println("Stopped reading there; " + r.sent() + " requests had been sent.");
        return Console.EXIT_USAGE;
      }
      double ratio = maxP99Ratio != null ? maxP99Ratio
          : compareWith != null ? Verdict.Thresholds.DEFAULT.maxP99Ratio() : Double.POSITIVE_INFINITY;
      Verdict.Thresholds thresholds = new Verdict.Thresholds(maxDiffRate, maxErrorRate, ratio);
      Verdict verdict = Verdict.judge(r, thresholds);
      summary(out, r, replayer, verdict);
      if (lockReport != null) {
        JsonObject l = lockReport.getJsonObject("longest");
        out.println(l == null ? "Locks on " + lockWatch.replaceAll("//[^@/]*@", "//") + ": no session waited ("
            + lockReport.getLong("samples") + " samples" + (lockReport.containsKey("lastError")
                ? "; sampling failed: " + lockReport.getString("lastError") : "") + ")."
            : "Locks: longest wait " + l.getLong("waitedMillis") + " ms (" + l.getString("lock") + "): \""
                + l.getString("blockedQuery") + "\" blocked by \"" + l.getString("blockingQuery") + "\".");
      }
      JsonObject report = ReplayReport.json(r, verdict, thresholds, meta(replayer).put("locks", lockReport),
          problems);
      for (Path p : reports) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
          Files.writeString(p, n.endsWith(".json") ? report.encodePrettily() : ReplayReport.html(report),
              StandardCharsets.UTF_8);
          out.println("Report: " + p);
        } catch (IOException e) {
          err.println("tandem replay: cannot write the report " + p + ": " + Console.describe(e));
          return Console.EXIT_USAGE;
        }
      }
      return verdict.decision().exitCode();
    } finally {
      if (store != null) {
        store.close();
      }
      Blocking.await(runtime.vertx().close());
    }
  }

  private int usage(String message) {
    err.println("tandem replay: " + message);
    return Console.EXIT_USAGE;
  }

  private ProgressLine.Mode mode() {
    return switch (progress) {
      case "never" -> ProgressLine.Mode.NONE;
      case "always" -> ProgressLine.Mode.TERMINAL;
      default -> System.console() != null ? ProgressLine.Mode.TERMINAL : ProgressLine.Mode.PLAIN;
    };
  }

  /** What the check pass found. */
  private static final class Scan {
    long count;
    long unsafe;
    long withResponse;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    final Map<String, Long> byMethod = new TreeMap<>();

    double seconds() {
      return count < 2 ? 0 : (last - first) / 1e9;
    }
  }

  /** Reads every record once, so that a bad one stops the run before anything is sent. */
  private Scan scan(Predicate<CapturedExchange> filter, List<String> problems) throws CaptureException {
    Scan s = new Scan();
    try (ExchangeSource source = CaptureFiles.open(files, maxRecordBytes, skipInvalid, problems::add)) {
      CapturedExchange e;
      while ((e = source.next()) != null) {
        if (!filter.test(e)) {
          continue;
        }
        s.count++;
        if (!java.util.Set.of("GET", "HEAD", "OPTIONS").contains(e.method())) {
          s.unsafe++;
        }
        s.byMethod.merge(e.method(), 1L, Long::sum);
        s.first = Math.min(s.first, e.timeNanos());
        s.last = Math.max(s.last, e.timeNanos());
        if (e.response() != null) {
          s.withResponse++;
        }
      }
    }
    return s;
  }

  private Predicate<CapturedExchange> filter() {
    Predicate<CapturedExchange> p = e -> true;
    if (shard != null) {
      Matcher m = Pattern.compile("(\\d+)/(\\d+)").matcher(shard.trim());
      if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(1)) < 1
          || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
        throw new IllegalArgumentException("--shard must be I/N with 1 <= I <= N, e.g. 2/4, got '" + shard + "'");
      }
      int i = Integer.parseInt(m.group(1));
      int n = Integer.parseInt(m.group(2));
      p = p.and(e -> Replayer.inShard(e, i, n));
    }
    if (methods != null) {
      Set<String> only = methods.stream().map(x -> x.trim().toUpperCase(Locale.ROOT)).collect(Collectors.toSet());
      p = p.and(e -> only.contains(e.method()));
    }
    if (path != null) {
      p = p.and(e -> path.matcher(e.uri().split("\\?", 2)[0]).find());
    }
    for (String h : headerFilters) {
      Map.Entry<String, String> nv = header("--header", h);
      Pattern value = regex("--header", nv.getValue());
      String name = nv.getKey();
      p = p.and(e -> e.headers().stream().anyMatch(x -> x.getKey().equalsIgnoreCase(name)
          && value.matcher(x.getValue()).find()));
    }
    return p;
  }

  private static TargetRewrite rewrite(String prefix, List<String> set, List<String> remove, List<String> urls,
                                       String host) {
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (String s : set) {
      headers.add(header("--" + prefix + "set-header", s));
    }
    List<TargetRewrite.UrlRule> rules = new ArrayList<>();
    for (String u : urls) {
      int colon = u.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("--" + prefix + "rewrite-url must be REGEX:REPLACEMENT, got '" + u + "'");
      }
      rules.add(new TargetRewrite.UrlRule(regex("--" + prefix + "rewrite-url", u.substring(0, colon)),
          u.substring(colon + 1)));
    }
    return new TargetRewrite(headers, new LinkedHashSet<>(remove), rules, host);
  }

  private static Map.Entry<String, String> header(String option, String s) {
    int colon = s.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(option + " must be 'NAME: VALUE', got '" + s + "'");
    }
    return new AbstractMap.SimpleImmutableEntry<>(s.substring(0, colon).trim(), s.substring(colon + 1).trim());
  }

  private static Pattern regex(String option, String s) {
    try {
      return Pattern.compile(s);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(option + ": not a regular expression: '" + s + "' (" + e.getDescription()
          + ")");
    }
  }

  private JsonObject meta(Replayer replayer) {
    return new JsonObject().put("files", new JsonArray(files.stream().map(Path::toString).toList()))
        .put("target", replayer.targetName()).put("baseline", replayer.baselineName())
        .put("concurrency", concurrency).put("speed", speed).put("rate", rate).put("safeOnly", safeOnly)
        .put("shard", shard);
  }

  private void summary(PrintWriter out, Replayer.Result r, Replayer replayer, Verdict verdict) {
    out.printf("Sent %d requests to %s in %.1f s (%.0f/s), %d failed, %d writes skipped (--safe-only), %d writes"
            + " already delivered.%n", r.sent(), target, r.seconds(), r.seconds() > 0 ? r.sent() / r.seconds() : 0,
        r.errors(), r.skippedUnsafe(), r.duplicates());
    if (!r.lag().isEmpty()) {
      out.printf("Send lag against the schedule: p50 %.2f ms, p99 %.2f ms, max %.2f ms.%n",
          r.lag().getDouble("p50Millis"), r.lag().getDouble("p99Millis"), r.lag().getDouble("maxMillis"));
    }
    JsonObject lat = r.latency();
    for (String side : new String[] {replayer.targetName(), replayer.baselineName()}) {
      JsonObject l = lat.getJsonObject(side);
      if (l != null && !l.isEmpty()) {
        out.printf("Latency %-28s p50 %.2f ms, p95 %.2f ms, p99 %.2f ms.%n", side, l.getDouble("p50Millis"),
            l.getDouble("p95Millis"), l.getDouble("p99Millis"));
      }
    }
    if (lat.getValue("p99Ratio") != null) {
      out.printf("p99 ratio (target / baseline): %.2f.%n", lat.getDouble("p99Ratio"));
    } else {
      JsonObject b = lat.getJsonObject(replayer.baselineName());
      out.printf("p99 ratio (target / baseline): n/a (%s).%n", b == null || b.isEmpty()
          ? compareWith == null ? "the recorded answers have no timings" : "the baseline answered nothing"
          : "the target answered nothing");
    }
    out.printf("Compared %d answers with %s: %d differ (%.2f%%)%s.%n", r.compared(),
        compareWith != null ? compareWith : "the recorded responses", r.differing(), r.diffRate(),
        secondary == null ? "" : ", " + r.noise() + " only in fields where " + secondary + " disagrees too (noise)");
    for (Object o : r.summary().getJsonArray("endpoints")) {
      JsonObject e = (JsonObject) o;
      out.printf("  %-32s %5d compared, %5d differ%n", e.getString("endpoint"), e.getLong("compared"),
          e.getLong("differing"));
      e.getJsonArray("fields").stream().map(JsonObject.class::cast).limit(5).forEach(f -> out.printf(
          "      %-40s %-12s %6.2f%% %s%n", f.getString("field"), f.getString("kind"), f.getDouble("rate"),
          f.getString("verdict")));
    }
    out.printf("Verdict: %s: %s.%n", verdict.decision(), String.join("; ", verdict.reasons()));
  }
}
