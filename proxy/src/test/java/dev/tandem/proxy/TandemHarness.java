package dev.tandem.proxy;

import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.metrics.MetricsSetup;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

import java.util.concurrent.TimeUnit;

/**
 * A Vert.x instance with real backends on loopback and Tandem in front of them, for tests. Everything listens on
 * 127.0.0.1 and a free port; {@link #close()} stops all of it.
 */
public final class TandemHarness implements AutoCloseable {

  public static final String TOKEN = "test-admin-token";
  private static final long TIMEOUT_SECONDS = 30;

  public final Vertx vertx;
  public final PrometheusMeterRegistry registry = MetricsSetup.newRegistry();
  private HttpClientAgent client;
  private java.nio.file.Path stateDir;
  private io.vertx.core.Context testContext;
  private int tandems;

  public TandemHarness() {
    this.vertx = MetricsSetup.vertx(registry, new VertxOptions());
  }

  public static <T> T await(Future<T> f) {
    try {
      return f.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // What every thread was doing, to tell a blocked event loop or a deadlock from a request never sent.
      StringBuilder dump = new StringBuilder();
      for (java.lang.management.ThreadInfo t : java.lang.management.ManagementFactory.getThreadMXBean()
          .dumpAllThreads(true, true)) {
        dump.append(t);
      }
      System.err.println("no answer within " + TIMEOUT_SECONDS + " s; threads:\n" + dump);
      throw new AssertionError("no answer within " + TIMEOUT_SECONDS + " s", e);
    }
  }

  /**
   * Runs {@code call} on one event loop of the harness's own, so that a test thread's requests are made from a
   * Vert.x context rather than from a foreign thread (each of which Vert.x would give a context of its own).
   */
  public <T> Future<T> onContext(java.util.function.Supplier<Future<T>> call) {
    io.vertx.core.Context context = testContext();
    if (io.vertx.core.Vertx.currentContext() == context) {
      return call.get(); // already there: chained steps stay synchronous, as Vert.x expects of body()
    }
    io.vertx.core.Promise<T> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> call.get().onComplete(done));
    return done.future();
  }


  /**
   * Runs {@code call} — a request and whatever is chained on it — on the harness's event loop, and waits for it.
   * Chained from the test thread instead, a step could run after the response ended, and a body() asked for then
   * never completes.
   */
  public <T> T call(java.util.function.Supplier<Future<T>> call) {
    return await(onContext(call));
  }

  private synchronized io.vertx.core.Context testContext() {
    if (testContext == null) {
      testContext = vertx.getOrCreateContext();
    }
    return testContext;
  }

  /** A backend answering with {@code handler}. */
  public HttpServer backend(Handler<HttpServerRequest> handler) {
    return await(vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1"));
  }

  /**
   * Tandem started from {@code yaml}; {@code %s}-free YAML with ports already filled in. Without a {@code state:}
   * key, the run-time state goes to a file of this harness's own, removed by {@link #close()}.
   */
  public Tandem tandem(String yaml) {
    if (!yaml.lines().anyMatch(l -> l.startsWith("state:"))) {
      yaml = yaml + "\nstate: { file: \"" + stateDir().resolve("state-" + (++tandems) + ".json") + "\" }\n";
    }
    try {
      return await(Tandem.start(vertx, registry, ConfigLoader.withEnvironment(k -> null).parse(yaml, "test")
          .config()));
    } catch (dev.tandem.proxy.config.ConfigException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** Tandem on a free port with one route to {@code backendPort} and {@code extra} YAML appended to the route. */
  public Tandem proxyTo(int backendPort, String backendExtra) {
    return tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: { url: "http://127.0.0.1:%d" %s }
        routes:
          - name: default
            primary: legacy
        """.formatted(TOKEN, backendPort, backendExtra.isEmpty() ? "" : ", " + backendExtra));
  }

  /** An admin API answer. */
  public record Admin(int status, io.vertx.core.json.JsonObject json) {
  }

  /** Calls {@code t}'s admin API with {@link #TOKEN}; {@code body} may be null. */
  public Admin admin(Tandem t, io.vertx.core.http.HttpMethod method, String path, String body) {
    io.vertx.core.http.RequestOptions o = new io.vertx.core.http.RequestOptions().setMethod(method)
        .setHost("127.0.0.1").setPort(t.adminPort()).setURI(path).putHeader("Authorization", "Bearer " + TOKEN);
    // The whole chain on the event loop: a step chained from the test thread could run after the response ended,
    // and a body() asked for then never completes.
    return await(onContext(() -> client().request(o).compose(r -> body == null ? r.send() : r.send(body))
        .compose(r -> r.body().map(b -> new Admin(r.statusCode(), b.length() == 0 ? new io.vertx.core.json.JsonObject()
            : new io.vertx.core.json.JsonObject(b))))));
  }

  /** Waits until {@code condition} holds, checking every millisecond, for at most 20 seconds. */
  public static void eventually(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /**
   * A client whose requests are made from one event loop of the harness, whatever thread the test calls it from,
   * each on a connection of its own. Requests made straight from a test thread, or reusing a kept-alive
   * connection, were now and then never sent (a 30-s hang with the proxy idle and the request never arriving).
   */
  public synchronized HttpClientAgent client() {
    if (client == null) {
      // A connection per request: with keep-alive, a request reusing a connection to a server in this same Vert.x
      // was now and then never sent (Vert.x logged "Connection evicted"); tests of keep-alive make their own client.
      HttpClientAgent real = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
      client = (HttpClientAgent) java.lang.reflect.Proxy.newProxyInstance(HttpClientAgent.class.getClassLoader(),
          new Class<?>[] {HttpClientAgent.class}, (proxy, method, args) -> {
            if (Future.class.isAssignableFrom(method.getReturnType())) {
              return onContext(() -> {
                try {
                  return (Future<Object>) method.invoke(real, args);
                } catch (ReflectiveOperationException e) {
                  return Future.failedFuture(e.getCause() == null ? e : e.getCause());
                }
              });
            }
            try {
              return method.invoke(real, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
              throw e.getCause();
            }
          });
    }
    return client;
  }

  /** A directory of this harness's own for state files, removed by {@link #close()}. */
  public synchronized java.nio.file.Path stateDir() {
    if (stateDir == null) {
      try {
        stateDir = java.nio.file.Files.createTempDirectory("tandem-test-state");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return stateDir;
  }

  @Override
  public void close() {
    await(vertx.close());
    if (stateDir != null) {
      try (var files = java.nio.file.Files.walk(stateDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (java.io.IOException ignored) {
        // a temporary directory; the OS cleans up what is left
      }
    }
  }
}
