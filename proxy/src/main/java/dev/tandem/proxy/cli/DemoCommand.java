package dev.tandem.proxy.cli;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.demo.DemoTraffic;
import dev.tandem.proxy.demo.GrpcOrders;
import dev.tandem.proxy.demo.OrdersApi;
import dev.tandem.proxy.mirror.MirrorLedger;
import dev.tandem.proxy.mirror.Outcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code tandem demo}: a legacy orders service, its candidate rewrite, and Tandem in front, all in this process,
 * with a burst of traffic to show what happens, then serving until Ctrl-C so that a newcomer can try it with curl.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start a legacy and a candidate demo service with Tandem in front, send traffic, and keep serving.")
final class DemoCommand implements Callable<Integer> {

  static final String DEMO_TOKEN = "demo-admin-token";

  @Spec
  CommandSpec spec;

  @Option(names = "--port", defaultValue = "8080", description = "Proxy port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--admin-port", defaultValue = "8081", description = "Admin port (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--requests", defaultValue = "60", description = "Requests in the opening burst.")
  int requests;

  @Option(names = "--duration", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "Stop by itself after this long (e.g. 30s, 5m); by default serve until Ctrl-C.")
  Duration duration;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    CliRuntime runtime = CliRuntime.create();
    var vertx = runtime.vertx();
    DemoDatabases dbs = DemoDatabases.open(vertx);
    OrdersApi legacy = Blocking.await(OrdersApi.start(vertx, OrdersApi.Flavour.LEGACY, 0, dbs.legacy()));
    OrdersApi candidate = Blocking.await(OrdersApi.start(vertx, OrdersApi.Flavour.CANDIDATE, 0, dbs.candidate()));
    OrdersApi legacy2 = Blocking.await(OrdersApi.start(vertx, OrdersApi.Flavour.LEGACY, 0));
    GrpcOrders grpcLegacy = Blocking.await(GrpcOrders.start(vertx, false));
    GrpcOrders grpcCandidate = Blocking.await(GrpcOrders.start(vertx, true));
    java.nio.file.Path letters = java.nio.file.Files.createTempFile("tandem-demo-dead-letters", ".jsonl");
    letters.toFile().deleteOnExit();
    // A fresh state file: the demo always starts from its configuration, not from an earlier run's changes.
    java.nio.file.Path state = java.nio.file.Files.createTempFile("tandem-demo-state", ".json");
    java.nio.file.Files.delete(state);
    state.toFile().deleteOnExit();
    java.nio.file.Path captures = java.nio.file.Files.createTempDirectory("tandem-demo-captures");
    TandemConfig config = new ConfigLoader().parse(demoConfig(legacy.port(), candidate.port(), legacy2.port(),
        grpcLegacy.port(), grpcCandidate.port(),
        letters.toString().replace("\\", "/"), state.toString().replace("\\", "/"),
        captures.toString().replace("\\", "/")) + dbs.verifyConfig(captures.resolve("verify-history.jsonl")), "demo")
        .config();
    Tandem tandem;
    try {
      tandem = Blocking.await(Tandem.start(vertx, runtime.registry(), config));
    } catch (Exception e) {
      spec.commandLine().getErr().println("tandem demo: cannot start the proxy: " + Console.describe(e)
          + " (is something else on port " + port + " or " + adminPort + "? try --port and --admin-port)");
      Blocking.await(vertx.close());
      return Console.EXIT_FAILED;
    }
    out.println("Tandem demo " + Version.current());
    out.printf("  legacy     orders service   http://127.0.0.1:%d%n", legacy.port());
    out.printf("  candidate  orders rewrite   http://127.0.0.1:%d%n", candidate.port());
    out.printf("  legacy-2   second legacy    http://127.0.0.1:%d   (reads compared with it too: noise)%n",
        legacy2.port());
    out.printf("  grpc       demo.v1.Orders   h2c://127.0.0.1:%d (legacy), h2c://127.0.0.1:%d (candidate)%n",
        grpcLegacy.port(), grpcCandidate.port());
    out.printf("  proxy                       http://127.0.0.1:%d   route 'orders' -> legacy; HTTP/1.1 and HTTP/2,"
        + " route 'orders-grpc' -> legacy gRPC%n", tandem.port());
    out.printf("  admin                       http://127.0.0.1:%d   token: %s%n", tandem.adminPort(), DEMO_TOKEN);
    out.printf("  dashboard  http://127.0.0.1:%d/ui/   (token: %s)%n", tandem.adminPort(), DEMO_TOKEN);
    out.flush();

    DemoTraffic first = new DemoTraffic(vertx, tandem.port(), 42);
    DemoTraffic.Summary s = Blocking.await(first.burst(requests));
    Blocking.await(first.close());
    String mix = s.statuses().entrySet().stream().map(e -> e.getKey() + "x" + e.getValue())
        .collect(Collectors.joining(" "));
    out.printf("%nSent %d requests through the proxy in %d ms: %s%s; p50 %.1f ms, p99 %.1f ms.%n",
        s.sent(), s.elapsedMillis(), mix, s.failures() > 0 ? ", " + s.failures() + " failed" : "",
        s.p50Millis(), s.p99Millis());
    MirrorLedger ledger = tandem.mirroring().ledgers().get("orders");
    awaitSettled(ledger, s.sent());
    out.printf("The legacy service answered all %d; the candidate answered none of them to a client (canary weight 0)"
        + " but received %d mirrored copies.%n", legacy.received(), candidate.received());
    out.printf("Mirror ledger: %d eligible = %d sent + %d skipped + %d rate-limited + %d dropped; sent = %d delivered"
            + " + %d duplicate + %d dead-lettered + %d failed + %d timed out%s.%n",
        ledger.get(Outcome.ELIGIBLE), ledger.get(Outcome.SENT), ledger.snapshot().getLong("skipped"),
        ledger.get(Outcome.RATE_LIMITED), ledger.get(Outcome.DROPPED_QUEUE_FULL), ledger.get(Outcome.DELIVERED),
        ledger.get(Outcome.DUPLICATE), ledger.get(Outcome.DEAD_LETTERED), ledger.get(Outcome.FAILED),
        ledger.get(Outcome.TIMEOUT), ledger.snapshot().getBoolean("balanced") ? " (balanced)" : " (NOT balanced)");
    grpc(out, tandem, vertx);
    edge(out, tandem, legacy, candidate, vertx);
    comparison(out, tandem);
    verification(out, tandem, dbs);
    java.nio.file.Path capture = replay(out, tandem, legacy, candidate, legacy2, vertx);
    rollout(out, tandem, candidate, vertx);
    new DemoFleet(out, legacy.port(), candidate.port()).run();
    out.printf("%nTry it:%n");
    out.printf("  curl -s http://127.0.0.1:%d/orders/7%n", tandem.port());
    out.printf("  curl -s -X POST -H 'Content-Type: application/json' -d '{\"customer\":\"you\",\"items\":"
        + "[{\"sku\":\"SKU-100\",\"quantity\":1,\"unitPrice\":9.5}]}' http://127.0.0.1:%d/orders%n", tandem.port());
    out.printf("  curl -s -H 'Authorization: Bearer %s' http://127.0.0.1:%d/admin/routes%n", DEMO_TOKEN,
        tandem.adminPort());
    out.printf("  curl -s http://127.0.0.1:%d/metrics | grep -E 'tandem_(requests_total|canary_weight|dataplane)'"
        + "   # dataplane: which path forwarded each request (netty, or vertx while capturing)%n", tandem.adminPort());
    out.printf("  curl -s -H 'X-Canary: always' http://127.0.0.1:%d/orders/7   # opt in to the candidate%n",
        tandem.port());
    out.printf("  ./tandem import ingress-nginx conf/import/ingress-nginx-canary.yaml   # your NGINX ingress canary,"
        + " as a Tandem configuration%n");
    out.printf("  Ctrl-C here   # drains the demo as SIGTERM drains tandem proxy: readiness 503, in-flight answered"
        + " (README \"Stopping\")%n");
    out.printf("  ./tandem admin set-weight --url http://127.0.0.1:%d --token %s orders 10 --reason 'try it'%n",
        tandem.adminPort(), DEMO_TOKEN);
    out.printf("  curl -s -H 'Authorization: Bearer %s' http://127.0.0.1:%d/admin/audit%n", DEMO_TOKEN,
        tandem.adminPort());
    out.printf("  curl -s -H 'Authorization: Bearer %s' http://127.0.0.1:%d/admin/mirror/stats%n", DEMO_TOKEN,
        tandem.adminPort());
    if (capture != null) {
      out.printf("  ./tandem replay %s --target http://127.0.0.1:%d --compare-with http://127.0.0.1:%d"
          + " --report /tmp/tandem-replay.html%n", capture, candidate.port(), legacy.port());
      out.printf("  curl -s -X PUT -H 'Authorization: Bearer %s' -d '{\"enabled\": false}' http://127.0.0.1:%d"
          + "/admin/capture   # completes the file capturing now, in %s, and names it%n", DEMO_TOKEN,
          tandem.adminPort(), captures);
    }
    out.println(duration == null ? "\nServing until Ctrl-C." : "\nServing for " + dev.tandem.proxy.config.Durations.format(duration)
        + ", or until Ctrl-C.");
    out.flush();

    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    // On Ctrl-C the JVM ends once its hooks are done: this one waits for the drain below, a bounded while.
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "tandem-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    if (duration == null) {
      stop.await();
    } else {
      stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    }
    // Stopped as tandem proxy stops on SIGTERM (README "Stopping"): drained, then closed.
    Tandem.Drained drained = Blocking.await(tandem.drain());
    out.printf("Drained in %d ms (readiness 503, listener closed, mirror copies and comparisons finished, capture"
        + " file completed): %s.%n", drained.millis(), drained.clean() ? "nothing in flight was lost"
        : drained.mirrorCopiesCut() + " mirror copies and " + drained.comparisonsCut() + " comparisons cut"
        + (drained.problems().isEmpty() ? "" : "; " + String.join("; ", drained.problems())));
    Blocking.await(dbs.close());
    Blocking.await(vertx.close());
    out.println("Demo stopped.");
    out.flush();
    stopped.countDown();
    return Console.EXIT_OK;
  }

  /** Requests an edge proxy must refuse, and what Tandem answered; the services behind it see none of them. */
  private static void edge(PrintWriter out, Tandem tandem, OrdersApi legacy, OrdersApi candidate,
                           io.vertx.core.Vertx vertx) throws Exception {
    long before = legacy.received() + candidate.received();
    var outcomes = Blocking.await(new dev.tandem.proxy.demo.HostileClients(vertx, tandem.port()).run());
    out.printf("%nAt the edge: requests NGINX also refuses, sent on raw connections (tandem_rejected_requests_total"
        + "{reason}; README \"At the edge\"):%n");
    for (var o : outcomes) {
      out.printf("  %-72s -> %s %s, connection closed after %d ms%n", o.what(), o.status() == 0 ? "no answer"
          : o.status(), o.rule() == null ? "(not refused!)" : o.rule(), o.millis());
    }
    long after = legacy.received() + candidate.received();
    out.printf("  The legacy service and the candidate received %s of them.%n", after == before ? "none"
        : after - before + " requests");
  }

  /** The comparison summary of the burst: per endpoint, real differences and noise apart. */
  /**
   * gRPC calls from an HTTP/2 client (prior knowledge, as gRPC without TLS) through the proxy to the legacy gRPC
   * service, mirrored to the candidate and compared by protobuf field numbers; their answers' grpc-status.
   */
  private static void grpc(PrintWriter out, Tandem tandem, io.vertx.core.Vertx vertx) throws Exception {
    io.vertx.core.http.HttpClientAgent client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    java.util.Map<String, Integer> statuses = new java.util.TreeMap<>();
    String version = "";
    for (long id = 0; id <= 10; id++) {
      long order = id;
      String[] got = Blocking.await(client.request(new io.vertx.core.http.RequestOptions().setHost("127.0.0.1")
              .setPort(tandem.port()).setMethod(io.vertx.core.http.HttpMethod.POST).setURI(GrpcOrders.PATH))
          .compose(req -> req.putHeader("content-type", "application/grpc").putHeader("te", "trailers")
              .send(io.vertx.core.buffer.Buffer.buffer(GrpcOrders.request(order))))
          .compose(resp -> resp.body().map(b -> new String[] {resp.version().alpnName(),
              java.util.Objects.requireNonNullElse(resp.trailers().get("grpc-status"), resp.getHeader("grpc-status"))})));
      version = got[0];
      statuses.merge("grpc-status " + got[1], 1, Integer::sum);
    }
    Blocking.await(client.close());
    out.printf("%nHTTP/2 and gRPC: 11 calls of %s over %s (prior knowledge) through the proxy: %s; each mirrored to"
        + " the candidate's gRPC service and compared field by field (see the comparison below).%n",
        GrpcOrders.PATH, version, statuses.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue())
            .collect(Collectors.joining(", ")));
    out.printf("  try: curl --http2-prior-knowledge -s -o /dev/null -w '%%{http_version}\\n' http://127.0.0.1:%d/orders/7%n",
        tandem.port());
    out.flush();
  }

  private static void comparison(PrintWriter out, Tandem tandem) throws InterruptedException {
    var comparisons = tandem.comparisons();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (comparisons.summary().getJsonArray("endpoints").isEmpty() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    // Let the workers finish the burst's last comparisons.
    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
    out.printf("%nComparison of legacy and candidate answers (GET /admin/diffs/summary; noise = legacy and legacy-2"
        + " disagree there too):%n");
    for (Object o : comparisons.summary().getJsonArray("endpoints")) {
      var e = (io.vertx.core.json.JsonObject) o;
      out.printf("  %-22s %3d compared, %3d differ", e.getString("endpoint"), e.getLong("compared"),
          e.getLong("differing"));
      var lat = e.getJsonObject("latency");
      if (lat.containsKey("p99Ratio")) {
        out.printf(", candidate p99 x%.2f of legacy's", lat.getDouble("p99Ratio"));
      }
      out.println();
      StringBuilder real = new StringBuilder();
      StringBuilder noise = new StringBuilder();
      for (Object f : e.getJsonArray("fields")) {
        var field = (io.vertx.core.json.JsonObject) f;
        if (field.getLong("raw") == 0) {
          continue; // differed only between the two legacy instances
        }
        String item = field.getString("field") + " (" + field.getString("kind") + ", " + field.getDouble("rate")
            + "%)";
        StringBuilder to = field.getString("verdict").equals("real") ? real : noise;
        to.append(to.length() == 0 ? "" : ", ").append(item);
      }
      if (real.length() > 0) {
        out.println("      real:  " + real);
      }
      if (noise.length() > 0) {
        out.println("      noise: " + noise);
      }
    }
    out.flush();
  }

  /** The rows each service wrote, verified against each other: the findings and the cut-over verdict. */
  private static void verification(PrintWriter out, Tandem tandem, DemoDatabases dbs) {
    if (tandem.verification() == null) {
      out.printf("%nDatabase verification: skipped, %s%n", dbs.why());
      out.flush();
      return;
    }
    out.printf("%nDatabase verification (tandem verify-db, GET /admin/verify): legacy wrote into %s, the candidate"
        + " into %s, with a schema of its own (customer_name, state) mapped in the configuration:%n",
        dbs.legacy().url(), dbs.candidate().url());
    try {
      var verdict = Blocking.await(tandem.verification().run());
      StringWriter text = new StringWriter();
      dev.tandem.proxy.verify.VerdictText.print(new PrintWriter(text), verdict, 8);
      text.toString().lines().forEach(l -> out.println("  " + l));
    } catch (Exception e) {
      out.println("  no verdict: " + Console.describe(e));
    }
    out.flush();
  }

  /**
   * The burst was captured: the file is completed and replayed straight to the candidate, with the legacy service
   * as the baseline, for an offline verdict; then replayed again to show that its writes land once.
   */
  private static java.nio.file.Path replay(PrintWriter out, Tandem tandem, OrdersApi legacy, OrdersApi candidate,
                                           OrdersApi legacy2, io.vertx.core.Vertx vertx) throws Exception {
    var capturing = tandem.capturing();
    // Every exchange of the burst settled in the capture: written (or shed, or failed), none still waiting.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      var v = capturing.view();
      if (v.getLong("queued") == 0 && v.getLong("inOpenFile") + v.getLong("written") + v.getLong("droppedQueueFull")
          + v.getLong("failed") + v.getLong("abandoned") >= legacy.received()) {
        break;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    capturing.set(false, null);
    java.nio.file.Path file = Blocking.await(capturing.completeFile());
    if (file == null) {
      out.println("\nNothing was captured, so there is nothing to replay.");
      return null;
    }
    out.printf("%nCaptured the burst (%d exchanges, secrets hashed) to %s; replaying it straight to the candidate,"
        + " with the legacy service as the baseline and legacy-2 for noise (tandem replay --compare-with"
        + " --secondary):%n",
        capturing.view().getLong("written"), file);
    capturing.set(true, null); // capturing again for whoever tries the demo; into a new file
    java.net.URI target = java.net.URI.create("http://127.0.0.1:" + candidate.port());
    java.net.URI baseline = java.net.URI.create("http://127.0.0.1:" + legacy.port());
    dev.tandem.replay.Replayer.Result r = null;
    long createdBefore = 0;
    for (int run = 1; run <= 2; run++) {
      createdBefore = candidate.created();
      var replayer = new dev.tandem.replay.Replayer(vertx, dev.tandem.replay.Replayer.Options.of(target, baseline, 16)
          .withSecondary(java.net.URI.create("http://127.0.0.1:" + legacy2.port())));
      r = Blocking.await(replayer.run(dev.tandem.replay.CaptureFiles.open(java.util.List.of(file), 1 << 24, false,
          p -> { }), e -> true));
      Blocking.await(replayer.close());
      if (run == 1) {
        var v = dev.tandem.replay.Verdict.judge(r, dev.tandem.replay.Verdict.Thresholds.DEFAULT);
        Double ratio = r.latency().getDouble("p99Ratio");
        out.printf("  %d requests in %.2f s, %d failed; %d answers compared, %d differ (%.1f%%), %d only in noise%s%n",
            r.sent(), r.seconds(), r.errors(), r.compared(), r.differing(), r.diffRate(), r.noise(),
            ratio == null ? "" : String.format("; candidate p99 x%.2f of legacy's", ratio));
        for (Object o : r.summary().getJsonArray("endpoints")) {
          var e = (io.vertx.core.json.JsonObject) o;
          String fields = e.getJsonArray("fields").stream().map(io.vertx.core.json.JsonObject.class::cast)
              .filter(f -> "real".equals(f.getString("verdict"))).limit(3)
              .map(f -> f.getString("field") + " " + f.getDouble("rate") + "%").collect(Collectors.joining(", "));
          out.printf("    %-20s %3d compared, %3d differ%s%n", e.getString("endpoint"), e.getLong("compared"),
              e.getLong("differing"), fields.isEmpty() ? "" : ": " + fields);
        }
        out.printf("  Replay verdict: %s (exit code %d): %s.%n", v.decision(), v.decision().exitCode(),
            String.join("; ", v.reasons()));
      }
    }
    out.printf("  Replayed the same file again: the candidate created %d new orders (writes carry the same"
        + " Idempotency-Key from the file each time, and the service honours it).%n",
        candidate.created() - createdBefore);
    out.flush();
    return file;
  }

  /**
   * A progressive rollout of the candidate that steps up while it is healthy; once it is at 50% the candidate
   * starts failing, and the error-rate gate rolls it back to 0. Traffic keeps flowing from this thread.
   */
  private static void rollout(PrintWriter out, Tandem tandem, OrdersApi candidate, io.vertx.core.Vertx vertx)
      throws Exception {
    var plan = new dev.tandem.proxy.config.RolloutConfig(java.util.List.of(10.0, 25.0, 50.0, 100.0),
        Duration.ofMillis(400), new dev.tandem.proxy.config.RolloutConfig.Gates(1.0, 10.0, 100.0, 10));
    out.printf("%nProgressive rollout of 'orders' to the candidate: steps 10%%, 25%%, 50%%, 100%%, one every 0.4 s"
        + " while the gates pass (error rate at most 1 point above the legacy's, p99 at most 10x, 10 requests or"
        + " more on the candidate; the diff-rate gate is opened to 100%% here, since the differences above are"
        + " known and under review).%n");
    out.flush();
    var control = tandem.control();
    Blocking.await(control.startRollout("orders", plan, "demo", "demo: release 2 of the orders service"));
    DemoTraffic traffic = new DemoTraffic(vertx, tandem.port(), 7);
    int shownStep = 0;
    boolean broken = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      var state = control.rollout("orders");
      String status = state.getString("status");
      int step = state.getInteger("step");
      if (step != shownStep && status.equals("running")) {
        out.printf("  step %d: %s%% of users on the candidate%n", step,
            dev.tandem.proxy.config.Percent.plain(state.getDouble("currentWeight")));
        out.flush();
        shownStep = step;
      }
      if (!broken && step >= 3) {
        candidate.failing(true);
        broken = true;
        out.println("  ... the candidate starts failing (503) at 50%");
        out.flush();
      }
      if (!status.equals("running")) {
        out.printf("  rollout %s: %s; canary weight now %s%%%n", status.replace('_', ' '),
            state.getString("endedReason"), dev.tandem.proxy.config.Percent.plain(state.getDouble("currentWeight")));
        break;
      }
      Blocking.await(traffic.burst(30));
    }
    Blocking.await(traffic.close());
    candidate.failing(false);
    out.println("Audit log (GET /admin/audit), oldest first:");
    // The rollback is written to the audit log just after the rollout stops: give the write a moment.
    var entries = Blocking.await(control.audit(20));
    long auditDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (entries.stream().noneMatch(e -> e.getString("action").equals("rollout_rollback"))
        && System.nanoTime() < auditDeadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      entries = Blocking.await(control.audit(20));
    }
    java.util.Collections.reverse(entries);
    for (var e : entries) {
      out.printf("  %s  %-7s %-17s %s -> %s%s%n", e.getString("time"), e.getString("caller"), e.getString("action"),
          weightOf(e.getValue("old")), weightOf(e.getValue("new")),
          e.getString("reason") == null ? "" : "  (" + e.getString("reason") + ")");
    }
    out.flush();
  }

  private static String weightOf(Object v) {
    return v instanceof io.vertx.core.json.JsonObject o && o.containsKey("weight")
        ? dev.tandem.proxy.config.Percent.plain(o.getDouble("weight")) + "%" : "-";
  }

  /** Waits (main thread, bounded) until every mirror copy of the burst has its final outcome. */
  private static void awaitSettled(MirrorLedger ledger, long eligible) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((ledger.get(Outcome.ELIGIBLE) < eligible || ledger.inFlight() > 0) && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  private String demoConfig(int legacyPort, int candidatePort, int legacy2Port, int grpcLegacyPort,
                            int grpcCandidatePort, String deadLetterFile, String stateFile, String captureDir) {
    return """
        server: { host: 127.0.0.1, port: %d, headerTimeout: 1s }
        admin: { host: 127.0.0.1, port: %d, token: %s }
        backends:
          legacy: http://127.0.0.1:%d
          candidate: http://127.0.0.1:%d
          legacy-2: http://127.0.0.1:%d
          grpc-legacy: { url: "http://127.0.0.1:%d", protocol: h2c }
          grpc-candidate: { url: "http://127.0.0.1:%d", protocol: h2c }
        routes:
          - name: orders-grpc
            match: { grpcService: demo.v1.Orders }
            primary: grpc-legacy
            mirror: { backend: grpc-candidate, percent: 100, timeout: 2s, compare: true }
          - name: uploads
            match: { pathPrefix: /uploads }
            primary: legacy
            maxBodyBytes: 64KB
            requestBuffering: true
          - name: orders
            match: { pathPrefix: / }
            primary: legacy
            canary: { backend: candidate, weight: 0 }
            mirror: { backend: candidate, percent: 100, timeout: 2s, compare: true, secondary: legacy-2 }
        deadLetters: { file: "%s" }
        state: { file: "%s" }
        capture: { enabled: true, dir: "%s", routes: [orders] }
        """.formatted(port, adminPort, DEMO_TOKEN, legacyPort, candidatePort, legacy2Port, grpcLegacyPort,
            grpcCandidatePort, deadLetterFile, stateFile, captureDir);
  }
}
