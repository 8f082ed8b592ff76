package dev.tandem.proxy;

import dev.tandem.proxy.admin.AdminServer;
import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.compare.Comparisons;
import dev.tandem.proxy.state.StateStore;
import dev.tandem.proxy.state.StateStores;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.proxy.health.Readiness;
import dev.tandem.proxy.http.ProxyVerticle;
import dev.tandem.proxy.metrics.ProxyMetrics;
import dev.tandem.proxy.mirror.MirrorLedger;
import dev.tandem.proxy.mirror.Mirroring;
import dev.tandem.proxy.route.RouteTable;
import dev.tandem.proxy.tls.CertificateReloader;
import dev.tandem.proxy.tls.TlsMaterial;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A running Tandem: the data plane (one {@link ProxyVerticle} per event loop) and the admin server, started from one
 * validated configuration. Tests, the CLI and the demo all start Tandem through here.
 */
public final class Tandem {

  private static final java.util.concurrent.atomic.AtomicInteger FREE_PORT_KEYS =
      new java.util.concurrent.atomic.AtomicInteger();

  private final Vertx vertx;
  private final TandemConfig config;
  private final RouteTable routes;
  private final List<String> deployments = new ArrayList<>();
  private final Readiness readiness;
  private final ProxyMetrics metrics;
  private final Mirroring mirroring;
  private final StateStore stateStore;
  private final Comparisons comparisons;
  private final dev.tandem.proxy.capture.Capturing capturing;
  private final dev.tandem.proxy.verify.Verification verification;
  private final dev.tandem.proxy.edge.Edge edge;
  private final List<CertificateReloader> reloaders = new ArrayList<>();
  private final PrometheusMeterRegistry registry;
  private RouteControl control;
  private AdminServer admin;
  private volatile boolean listening;
  private volatile boolean draining;
  private Future<Void> closed;
  private final List<ProxyVerticle> dataPlane = new java.util.concurrent.CopyOnWriteArrayList<>();
  private int port;
  private io.vertx.core.http.HttpServer dataServer;
  private TlsMaterial dataTls;
  private TlsMaterial adminTls;

  private Tandem(Vertx vertx, PrometheusMeterRegistry registry, TandemConfig config) {
    this.vertx = vertx;
    this.config = config;
    this.registry = registry;
    this.edge = new dev.tandem.proxy.edge.Edge(config.server().limits(), config.server().http2(), registry);
    this.routes = new RouteTable(config.routes());
    this.readiness = new Readiness(() -> draining ? "DOWN: draining, shutting down" : listening ? "UP"
        : "DOWN: not listening", Readiness.probesFor(vertx, config));
    this.metrics = new ProxyMetrics(registry);
    this.mirroring = Mirroring.create(vertx, config, registry);
    this.comparisons = Comparisons.create(vertx, config, registry);
    mirroring.comparisons(comparisons);
    this.stateStore = StateStores.create(vertx, config.state());
    this.capturing = new dev.tandem.proxy.capture.Capturing(vertx, config.capture(), registry);
    Comparisons c = comparisons;
    this.verification = config.verify() == null ? null : new dev.tandem.proxy.verify.Verification(vertx,
        config.verify(), () -> Future.succeededFuture(c == null ? null : dev.tandem.proxy.verify.DiffRate.of(c.summary())));
  }

  /**
   * Loads the saved run-time state (weights changed by operators win over the file's), then starts the data plane
   * and the admin server; fails (and leaves nothing running) when either cannot listen.
   */
  public static Future<Tandem> start(Vertx vertx, PrometheusMeterRegistry registry, TandemConfig config) {
    Tandem tandem = new Tandem(vertx, registry, config);
    Comparisons c = tandem.comparisons;
    return tandem.loadCertificates()
        .compose(v -> RouteControl.start(vertx, tandem.routes, tandem.stateStore, registry,
            route -> c == null ? new long[2] : c.diffCountsSinceLastCall(route), tandem.capturing, config.rollout()))
        .compose(control -> {
          tandem.control = control;
          tandem.admin = new AdminServer(vertx, config.admin(), tandem.adminTls, tandem.routes, tandem.readiness,
              registry,
              tandem.mirroring, control, tandem.capturing, tandem.verification);
          return tandem.startDataPlane();
        })
        .compose(v -> tandem.admin.start())
        .compose(server -> tandem.watchCertificates(server))
        .map(server -> {
          if (tandem.verification != null) {
            tandem.verification.schedule();
          }
          return tandem;
        })
        .recover(failure -> tandem.close().transform(ignored -> Future.failedFuture(failure)));
  }

  private Future<Void> startDataPlane() {
    // Instances listening on one port share it. Port 0 would give each its own free port; a negative port gives
    // them one shared free port, keyed by the number, so a key of our own keeps two Tandems in one Vert.x apart.
    int configured = config.server().port();
    int listenPort = configured == 0 ? -FREE_PORT_KEYS.incrementAndGet() : configured;
    List<ProxyVerticle> instances = new java.util.concurrent.CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
          ProxyVerticle v = new ProxyVerticle(config, routes, metrics, mirroring, control, capturing, edge, dataTls,
              listenPort);
          instances.add(v);
          return v;
        }, new DeploymentOptions().setInstances(config.server().instances()))
        .onSuccess(id -> {
          deployments.add(id);
          dataPlane.addAll(instances);
          port = instances.get(0).actualPort();
          dataServer = instances.get(0).server();
          listening = true;
        })
        .mapEmpty();
  }

  /** Reads and checks the listeners' certificates before anything listens. */
  private Future<Void> loadCertificates() {
    Future<TlsMaterial> data = config.server().tls() == null ? Future.succeededFuture()
        : CertificateReloader.load(vertx, config.server().tls());
    Future<TlsMaterial> admin = config.admin().tls() == null ? Future.succeededFuture()
        : CertificateReloader.load(vertx, config.admin().tls());
    return Future.all(data, admin).map(v -> {
      dataTls = data.result();
      adminTls = admin.result();
      return null;
    });
  }

  /** Reloads the listeners' certificates when their files change (a rotated Kubernetes Secret, say). */
  private Future<io.vertx.core.http.HttpServer> watchCertificates(io.vertx.core.http.HttpServer adminServer) {
    if (dataTls != null) {
      reloaders.add(new CertificateReloader(vertx, "data", config.server().tls(), dataTls, dataServer, registry));
    }
    if (adminTls != null) {
      reloaders.add(new CertificateReloader(vertx, "admin", config.admin().tls(), adminTls, adminServer, registry));
    }
    reloaders.forEach(CertificateReloader::start);
    return Future.succeededFuture(adminServer);
  }

  /** The certificate watchers of the listeners with TLS (data first), for a test that rotates the files. */
  public List<CertificateReloader> certificateReloaders() {
    return List.copyOf(reloaders);
  }

  /** The edge of the data plane: its limits, and the connections open now. */
  public dev.tandem.proxy.edge.Edge edge() {
    return edge;
  }

  public TandemConfig config() {
    return config;
  }

  /** The data plane's port. */
  public int port() {
    return port;
  }

  public int adminPort() {
    return admin.actualPort();
  }

  public Mirroring mirroring() {
    return mirroring;
  }

  public RouteTable routes() {
    return routes;
  }

  /** The comparisons of mirrored exchanges; null when no route compares. */
  public Comparisons comparisons() {
    return comparisons;
  }

  public RouteControl control() {
    return control;
  }

  /** Database verification; null without a verify section. */
  public dev.tandem.proxy.verify.Verification verification() {
    return verification;
  }

  /** Traffic capture: on or off at run time. */
  public dev.tandem.proxy.capture.Capturing capturing() {
    return capturing;
  }

  /** What a drain did: how long it took, and what was left when its deadline came (all zero: nothing was lost). */
  public record Drained(long millis, int connectionsCut, int tunnelsClosed, long mirrorCopiesCut, int comparisonsCut,
                        java.util.Map<String, io.vertx.core.json.JsonObject> ledgers, List<String> problems) {

    public boolean ledgersBalanced() {
      return ledgers.values().stream().allMatch(l -> l.getBoolean("balanced"));
    }

    public boolean clean() {
      return connectionsCut == 0 && mirrorCopiesCut == 0 && comparisonsCut == 0 && ledgersBalanced()
          && problems.isEmpty();
    }
  }

  /**
   * The drain on SIGTERM ({@code server.shutdown}): readiness answers 503 and every answer says
   * {@code Connection: close}; after {@code delay} the listener stops accepting and what is in flight is answered;
   * then the mirror copies in flight finish and the comparisons are made; then the capture file is completed, the
   * comparator's and the dead letters' writes are flushed, and everything is closed. All within {@code timeout}.
   */
  public Future<Drained> drain() {
    long begin = System.nanoTime();
    var shutdown = config.server().shutdown();
    long deadline = begin + shutdown.timeout().toNanos();
    draining = true;
    edge.drain(deadline);
    Promise<Void> delayed = Promise.promise();
    if (shutdown.delay().isZero()) {
      delayed.complete();
    } else {
      vertx.setTimer(Math.max(1, shutdown.delay().toMillis()), id -> delayed.complete());
    }
    java.util.concurrent.atomic.AtomicInteger cut = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger tunnels = new java.util.concurrent.atomic.AtomicInteger();
    List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
    return delayed.future()
        .compose(v -> {
          listening = false;
          // A tunnel (WebSocket) has no answer to wait for: it is closed now, so that the listener's shutdown
          // does not hold it until the deadline; the client reconnects elsewhere, as after any proxy restart.
          tunnels.set(edge.closeTunnels());
          long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
          // Stops accepting; each connection is closed once its requests are answered, or at the deadline: the
          // connections still open just before it are the ones cut.
          long sample = vertx.setTimer(Math.max(1, left - 5), id -> cut.set(edge.openConnections()));
          return Future.join(dataPlane.stream().map(p -> p.server().shutdown(left, TimeUnit.MILLISECONDS))
              .toList()).<Void>mapEmpty().andThen(ar -> vertx.cancelTimer(sample)).recover(failure -> {
                // The listener did not stop as asked: what is open now is closed by close(), not answered.
                cut.set(Math.max(cut.get(), edge.openConnections()));
                problems.add("the listener's shutdown failed: " + failure.getMessage());
                return Future.succeededFuture();
              });
        })
        .compose(v -> settled(deadline))
        .compose(v -> {
          long copies = mirroring.ledgers().values().stream().mapToLong(MirrorLedger::inFlight).sum();
          int compares = comparisons == null ? 0 : comparisons.pending();
          java.util.Map<String, io.vertx.core.json.JsonObject> ledgers = new java.util.TreeMap<>();
          mirroring.ledgers().forEach((route, l) -> ledgers.put(route, l.snapshot()));
          return close().recover(failure -> {
            // The capture file, the comparator's or the dead letters' writes may not be complete: say so.
            problems.add("closing failed: " + failure.getMessage());
            return Future.succeededFuture();
          }).map(x -> new Drained(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin),
              Math.max(cut.get(), edge.connectionsCutByDrain()), // the sample can come late on a busy loop
              tunnels.get(), copies, compares, ledgers, List.copyOf(problems)));
        });
  }

  /** Completes when no mirror copy is in flight and no comparison is pending, or at the deadline. */
  private Future<Void> settled(long deadline) {
    Promise<Void> done = Promise.promise();
    Runnable[] check = new Runnable[1];
    check[0] = () -> {
      boolean idle = mirroring.ledgers().values().stream().allMatch(l -> l.inFlight() == 0)
          && (comparisons == null || comparisons.pending() == 0);
      if (idle || System.nanoTime() >= deadline) {
        done.complete();
      } else {
        vertx.setTimer(10, id -> check[0].run());
      }
    };
    check[0].run();
    return done.future();
  }

  /** Stops listening, then closes every connection pool and store client. */
  public synchronized Future<Void> close() {
    // Once: a drain closes, and so may its caller after it; a second undeploy of the same ids would fail.
    if (closed == null) {
      closed = closeOnce();
    }
    return closed;
  }

  private Future<Void> closeOnce() {
    listening = false;
    reloaders.forEach(CertificateReloader::stop);
    List<Future<?>> closing = new ArrayList<>();
    for (String id : deployments) {
      closing.add(vertx.undeploy(id));
    }
    if (admin != null) {
      closing.add(admin.close());
    }
    closing.add(readiness.close());
    closing.add(mirroring.close());
    if (comparisons != null) {
      closing.add(comparisons.close());
    }
    closing.add(control != null ? control.close() : stateStore.close());
    closing.add(capturing.close());
    if (verification != null) {
      closing.add(verification.close());
    }
    return Future.join(closing).mapEmpty();
  }
}
