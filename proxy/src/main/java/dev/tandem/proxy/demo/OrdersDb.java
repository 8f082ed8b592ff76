package dev.tandem.proxy.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Where a demo orders service keeps its orders when PostgreSQL is at hand: the legacy service in one database, the
 * candidate in another, with the schema the rewrite chose — a renamed column, a status stored under another name
 * and value, and, subtly, a sales tax rounded half-up instead of half-even and a gift note it no longer keeps. The
 * database verification of the demo has those to find.
 */
public final class OrdersDb {

  static final BigDecimal TAX_RATE = new BigDecimal("0.05");

  private final Pool pool;
  private final OrdersApi.Flavour flavour;
  private final String url;

  private OrdersDb(Pool pool, OrdersApi.Flavour flavour, String url) {
    this.pool = pool;
    this.flavour = flavour;
    this.url = url;
  }

  /** Creates (or recreates) database {@code name} next to {@code serverUrl}'s and the flavour's table. */
  public static Future<OrdersDb> create(Vertx vertx, Pool server, String serverUrl, String name,
                                        OrdersApi.Flavour flavour) {
    PgConnectOptions o = PgConnectOptions.fromUri(serverUrl).setDatabase(name);
    o.setMetricsName(dev.tandem.comparator.PoolNames.next("demo"));
    // The server's URL with this database: user, password and options as given.
    String url = serverUrl.replaceFirst("^(postgres(?:ql)?://[^/?]*)(/[^?]*)?", "$1/" + name);
    String table = flavour == OrdersApi.Flavour.LEGACY
        ? "CREATE TABLE orders (reference text PRIMARY KEY, customer text NOT NULL, status text NOT NULL,"
            + " total numeric(10,2) NOT NULL, tax numeric(10,2) NOT NULL, gift_note text,"
            + " created_at timestamptz NOT NULL)"
        : "CREATE TABLE orders (reference text PRIMARY KEY, customer_name text NOT NULL, state text NOT NULL,"
            + " total numeric(10,2) NOT NULL, tax numeric(10,2) NOT NULL, created_at timestamptz NOT NULL)";
    return server.query("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").execute()
        .compose(v -> server.query("CREATE DATABASE " + name).execute())
        .map(v -> PgBuilder.pool().with(new io.vertx.sqlclient.PoolOptions().setName(dev.tandem.comparator.PoolNames.next("demo")))
            .connectingTo(o).using(vertx).build())
        .compose(pool -> pool.query(table).execute().map(v -> new OrdersDb(pool, flavour, url)));
  }

  /** The URL a verification reads this database with. */
  public String url() {
    return url;
  }

  /** The tax on {@code total} as this flavour rounds it. */
  BigDecimal tax(BigDecimal total) {
    return total.multiply(TAX_RATE).setScale(2, flavour == OrdersApi.Flavour.LEGACY ? RoundingMode.HALF_EVEN
        : RoundingMode.HALF_UP);
  }

  /** Keeps a new order; a reference seen before (a replayed write) is kept once. */
  Future<Void> insert(String reference, String customer, String status, BigDecimal total, String giftNote,
                      java.time.Instant createdAt) {
    OffsetDateTime at = createdAt.atOffset(ZoneOffset.UTC);
    if (flavour == OrdersApi.Flavour.LEGACY) {
      return pool.preparedQuery("INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
          .execute(Tuple.from(new Object[] {reference, customer, status, total, tax(total), giftNote, at})).mapEmpty();
    }
    // The rewrite stores "PENDING" as its new default, under another column name, and drops the gift note.
    return pool.preparedQuery("INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
        .execute(Tuple.from(new Object[] {reference, customer, status, total, tax(total), at})).mapEmpty();
  }

  Future<Void> updateStatus(String reference, String status) {
    String column = flavour == OrdersApi.Flavour.LEGACY ? "status" : "state";
    return pool.preparedQuery("UPDATE orders SET " + column + " = $2 WHERE reference = $1")
        .execute(Tuple.of(reference, status)).mapEmpty();
  }

  Future<Void> delete(String reference) {
    return pool.preparedQuery("DELETE FROM orders WHERE reference = $1").execute(Tuple.of(reference)).mapEmpty();
  }

  public Future<Void> close() {
    return pool.close();
  }
}
