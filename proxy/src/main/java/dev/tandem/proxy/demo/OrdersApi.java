package dev.tandem.proxy.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's orders service, in two flavours: the "legacy" original and the "candidate" rewrite meant to replace it.
 * The rewrite differs the way real rewrites do — a renamed field, a changed default, a number and a timestamp
 * written differently, an array in another order — so the later comparison has something real to find.
 */
public final class OrdersApi {

  /** Which implementation this is. */
  public enum Flavour { LEGACY, CANDIDATE }

  /** Orders kept; the oldest go first, so a long demo does not grow the heap. */
  static final int MAX_ORDERS = 10_000;
  private static final Instant EPOCH = Instant.parse("2026-11-02T09:00:00Z");
  private static final String[] CUSTOMERS = {"acme", "globex", "initech", "umbrella", "hooli", "stark"};
  private static final String[] SKUS = {"SKU-100", "SKU-200", "SKU-300", "SKU-400", "SKU-500"};

  private final Flavour flavour;
  private final Map<Long, Order> orders = new LinkedHashMap<>();
  private final AtomicLong received = new AtomicLong();
  private volatile boolean failing;
  /** This instance's clock is a little off, as servers' clocks are: two instances never agree on servedAt. */
  private final long clockSkewMillis = 3 + 17L * INSTANCES.incrementAndGet();
  private static final AtomicLong INSTANCES = new AtomicLong();
  private long nextId = 1001;
  private OrdersDb db;
  private final AtomicLong created = new AtomicLong();
  /** Orders created per Idempotency-Key, so that a write sent twice (a replay) creates one order; bounded. */
  private final Map<String, Long> byKey = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > MAX_ORDERS;
    }
  };
  private HttpServer server;

  private record Item(String sku, int quantity, BigDecimal unitPrice) {
  }

  private record Order(long id, String reference, String customer, String status, List<Item> items,
                       Instant createdAt) {

    BigDecimal total() {
      return items.stream().map(i -> i.unitPrice.multiply(BigDecimal.valueOf(i.quantity)))
          .reduce(BigDecimal.ZERO, BigDecimal::add).setScale(2, RoundingMode.HALF_EVEN);
    }
  }

  private OrdersApi(Flavour flavour) {
    this.flavour = flavour;
    for (int i = 1; i <= 20; i++) {
      List<Item> items = List.of(
          new Item(SKUS[i % SKUS.length], 1 + i % 3, new BigDecimal(5 + i).add(new BigDecimal("0.50"))),
          new Item(SKUS[(i + 2) % SKUS.length], 1, new BigDecimal("12.00")));
      put(new Order(i, "seed-" + i, CUSTOMERS[i % CUSTOMERS.length], i % 4 == 0 ? "SHIPPED" : "NEW", items,
          EPOCH.plusSeconds(3600L * i)));
    }
  }

  /** Starts one flavour on {@code port} (0 for any free port) on the loopback interface. */
  public static Future<OrdersApi> start(Vertx vertx, Flavour flavour, int port) {
    return start(vertx, flavour, port, null);
  }

  /** As {@link #start(Vertx, Flavour, int)}, keeping orders in {@code db} too (its seed orders first). */
  public static Future<OrdersApi> start(Vertx vertx, Flavour flavour, int port, OrdersDb db) {
    OrdersApi api = new OrdersApi(flavour);
    api.db = db;
    Future<Void> seeded = Future.succeededFuture();
    if (db != null) {
      List<Future<Void>> rows = new ArrayList<>();
      api.orders.values().forEach(o -> rows.add(db.insert(o.reference(), o.customer(), o.status(), o.total(), null,
          o.createdAt())));
      seeded = Future.all(rows).mapEmpty();
    }
    return seeded.compose(v -> api.listen(vertx, port));
  }

  private Future<OrdersApi> listen(Vertx vertx, int port) {
    OrdersApi api = this;
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      api.received.incrementAndGet();
      if (api.failing) {
        // The demo's bad release: every request fails, as a broken deployment would.
        ctx.response().setStatusCode(503).putHeader("Content-Type", "application/json")
            .end("{\"error\":\"database connection pool exhausted\"}");
        return;
      }
      ctx.response().putHeader("Server", flavour == Flavour.LEGACY ? "orders-legacy/1.4" : "orders-v2/0.9")
          .putHeader("X-Request-Id", UUID.randomUUID().toString());
      ctx.next();
    });
    // One server instance: every handler runs on its one event loop, so the map needs no lock.
    router.route().handler(BodyHandler.create().setBodyLimit(64 * 1024));
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "ok")));
    router.get("/orders").handler(api::list);
    router.get("/orders/:id").handler(api::get);
    router.post("/orders").handler(api::create);
    router.patch("/orders/:id").handler(api::update);
    router.delete("/orders/:id").handler(api::delete);
    api.server = vertx.createHttpServer().requestHandler(router);
    return api.server.listen(port, "127.0.0.1").map(s -> api);
  }

  public int port() {
    return server.actualPort();
  }

  /** Makes every request fail with 503 from now on (true), or answer normally again (false). */
  public void failing(boolean fail) {
    this.failing = fail;
  }

  /** Orders this service has created (a repeated Idempotency-Key creates none). */
  public long created() {
    return created.get();
  }

  /** Requests this service has received. */
  public long received() {
    return received.get();
  }

  public Future<Void> close() {
    return server.close();
  }

  private void put(Order o) {
    orders.put(o.id(), o);
    if (orders.size() > MAX_ORDERS) {
      orders.remove(orders.keySet().iterator().next());
    }
  }

  private void list(RoutingContext ctx) {
    int limit = intParam(ctx, "limit", 10);
    String status = ctx.request().getParam("status");
    JsonArray out = new JsonArray();
    orders.values().stream()
        .filter(o -> status == null || o.status().equalsIgnoreCase(status))
        .limit(Math.max(0, Math.min(limit, 100)))
        .forEach(o -> out.add(toJson(o)));
    ctx.json(new JsonObject().put("orders", out).put("count", out.size()));
  }

  private void get(RoutingContext ctx) {
    Order o = orders.get(idParam(ctx));
    if (o == null) {
      notFound(ctx);
    } else {
      ctx.json(toJson(o));
    }
  }

  private void create(RoutingContext ctx) {
    String key = ctx.request().getHeader("Idempotency-Key");
    Long earlier = key == null ? null : byKey.get(key);
    if (earlier != null && orders.containsKey(earlier)) {
      // Seen before: the same answer, and no second order (as Stripe's API does).
      ctx.response().setStatusCode(201).putHeader("Location", "/orders/" + earlier)
          .putHeader("Idempotent-Replayed", "true");
      ctx.json(toJson(orders.get(earlier)));
      return;
    }
    JsonObject body = ctx.body().asJsonObject();
    if (body == null || body.getString("customer") == null || body.getJsonArray("items") == null) {
      ctx.response().setStatusCode(400);
      ctx.json(new JsonObject().put("error", "customer and items are required"));
      return;
    }
    List<Item> items = new ArrayList<>();
    for (Object o : body.getJsonArray("items")) {
      JsonObject i = (JsonObject) o;
      items.add(new Item(i.getString("sku"), i.getInteger("quantity", 1), new BigDecimal(i.getValue("unitPrice",
          "0").toString())));
    }
    // The rewrite's new default status is one of the differences a comparison should find.
    String status = flavour == Flavour.LEGACY ? "NEW" : "PENDING";
    long id = nextId++;
    String reference = body.getString("reference", "order-" + id);
    Order order = new Order(id, reference, body.getString("customer"), status, items, Instant.now());
    put(order);
    created.incrementAndGet();
    if (key != null) {
      byKey.put(key, order.id());
    }
    Future<Void> kept = db == null ? Future.succeededFuture()
        : db.insert(reference, order.customer(), status, order.total(), body.getString("giftNote"), order.createdAt());
    kept.onComplete(ar -> {
      if (ar.failed()) {
        ctx.response().setStatusCode(500);
        ctx.json(new JsonObject().put("error", "could not keep the order: " + ar.cause().getMessage()));
        return;
      }
      ctx.response().setStatusCode(201).putHeader("Location", "/orders/" + order.id());
      ctx.json(toJson(order));
    });
  }

  private void update(RoutingContext ctx) {
    Order o = orders.get(idParam(ctx));
    JsonObject body = ctx.body().asJsonObject();
    if (o == null) {
      notFound(ctx);
      return;
    }
    String status = body == null ? null : body.getString("status");
    Order updated = new Order(o.id(), o.reference(), o.customer(), status == null ? o.status() : status, o.items(),
        o.createdAt());
    put(updated);
    Future<Void> kept = db == null || status == null ? Future.succeededFuture() : db.updateStatus(o.reference(), status);
    kept.onComplete(ar -> ctx.json(toJson(updated)));
  }

  private void delete(RoutingContext ctx) {
    Order gone = orders.remove(idParam(ctx));
    if (gone == null) {
      notFound(ctx);
    } else {
      (db == null ? Future.<Void>succeededFuture() : db.delete(gone.reference()))
          .onComplete(ar -> ctx.response().setStatusCode(204).end());
    }
  }

  private JsonObject toJson(Order o) {
    List<Item> items = new ArrayList<>(o.items());
    JsonObject json = new JsonObject().put("id", o.id());
    if (flavour == Flavour.LEGACY) {
      json.put("customer", o.customer())
          .put("status", o.status())
          .put("total", o.total().doubleValue())
          .put("createdAt", o.createdAt().toString());
    } else {
      // The rewrite renamed a field, writes totals with two decimals (20.00, not 20.0), and stamps times in its server's zone.
      items.sort(Comparator.comparing(Item::sku).reversed());
      json.put("customerName", o.customer())
          .put("status", o.status())
          .put("total", o.total())
          .put("createdAt", o.createdAt().atOffset(ZoneOffset.ofHours(1)).toString());
    }
    JsonArray lines = new JsonArray();
    items.forEach(i -> lines.add(new JsonObject().put("sku", i.sku()).put("quantity", i.quantity())
        .put("unitPrice", i.unitPrice().doubleValue())));
    // Volatile on every answer, as in most real services: two instances of the same code disagree on these.
    return json.put("items", lines).put("currency", "EUR").put("servedAt", Instant.now().plusMillis(clockSkewMillis).toString())
        .put("traceId", UUID.randomUUID().toString());
  }

  private static void notFound(RoutingContext ctx) {
    ctx.response().setStatusCode(404);
    ctx.json(new JsonObject().put("error", "order not found"));
  }

  private static long idParam(RoutingContext ctx) {
    try {
      return Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static int intParam(RoutingContext ctx, String name, int defaultValue) {
    try {
      String v = ctx.request().getParam(name);
      return v == null ? defaultValue : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      return defaultValue;
    }
  }
}
