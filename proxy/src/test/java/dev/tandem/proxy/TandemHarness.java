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

  public TandemHarness() {
    this.vertx = MetricsSetup.vertx(registry, new VertxOptions());
  }

  public static <T> T await(Future<T> f) {
    try {
      return f.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within " + TIMEOUT_SECONDS + " s", e);
    }
  }

  /** A backend answering with {@code handler}. */
  public HttpServer backend(Handler<HttpServerRequest> handler) {
    return await(vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1"));
  }

  /** Tandem started from {@code yaml}; {@code %s}-free YAML with ports already filled in. */
  public Tandem tandem(String yaml) {
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

  public HttpClientAgent client() {
    if (client == null) {
      client = vertx.createHttpClient();
    }
    return client;
  }

  @Override
  public void close() {
    await(vertx.close());
  }
}
