package dev.tandem.proxy.cli;

import dev.tandem.proxy.demo.OrdersApi;
import dev.tandem.proxy.demo.OrdersDb;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;

import java.nio.file.Path;

/**
 * The demo's two databases, when PostgreSQL answers at {@code TANDEM_DEMO_PG_URL} (default
 * {@code postgresql://postgres@127.0.0.1:5432/postgres}, a user that may create databases): {@code tandem_demo_legacy}
 * and {@code tandem_demo_candidate}, recreated at every start. Without PostgreSQL the demo runs without them and
 * says how to get them.
 */
record DemoDatabases(OrdersDb legacy, OrdersDb candidate, String why) {

  static final String ENV = "TANDEM_DEMO_PG_URL";
  static final String DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

  static DemoDatabases open(Vertx vertx) {
    String url = System.getenv(ENV) != null ? System.getenv(ENV) : DEFAULT_URL;
    String how = "PostgreSQL does not answer at " + url + " (set " + ENV + "=postgresql://USER@HOST:5432/postgres,"
        + " a user that may create databases, to see the services' rows verified)";
    Pool server;
    try {
      server = PgBuilder.pool().with(new io.vertx.sqlclient.PoolOptions()
          .setName(dev.tandem.comparator.PoolNames.next("demo-server"))).connectingTo(PgConnectOptions.fromUri(url)
          .setMetricsName(dev.tandem.comparator.PoolNames.next("demo-server"))).using(vertx).build();
    } catch (RuntimeException e) {
      return new DemoDatabases(null, null, "not a PostgreSQL URL: " + url + " (" + ENV + ")");
    }
    try {
      Blocking.await(server.query("SELECT 1").execute().timeout(3, java.util.concurrent.TimeUnit.SECONDS));
      OrdersDb legacy = Blocking.await(OrdersDb.create(vertx, server, url, "tandem_demo_legacy",
          OrdersApi.Flavour.LEGACY));
      OrdersDb candidate = Blocking.await(OrdersDb.create(vertx, server, url, "tandem_demo_candidate",
          OrdersApi.Flavour.CANDIDATE));
      return new DemoDatabases(legacy, candidate, null);
    } catch (Exception e) {
      return new DemoDatabases(null, null, how + ": " + Console.describe(e));
    } finally {
      server.close();
    }
  }

  /** The verify section for the demo's configuration; empty without databases. */
  String verifyConfig(Path history) {
    if (legacy == null) {
      return "";
    }
    return """
        verify:
          primary: "%s"
          shadow: "%s"
          history: "%s"
          settle: 200ms
          tables:
            - name: orders
              key: [reference]
              ignore: [created_at]
              columns:
                customer: { shadow: customer_name }
                status: { shadow: "CASE state WHEN 'PENDING' THEN 'NEW' ELSE state END" }
        """.formatted(legacy.url(), candidate.url(), history.toString().replace("\\\\", "/"));
  }

  Future<Void> close() {
    return legacy == null ? Future.succeededFuture() : Future.join(legacy.close(), candidate.close()).mapEmpty();
  }
}
