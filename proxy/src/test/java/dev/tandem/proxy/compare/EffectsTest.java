package dev.tandem.proxy.compare;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.OwnDatabases;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/** Two real databases: the legacy service writes orders in one, the candidate in the other. */
class EffectsTest {

  private final TandemHarness h = new TandemHarness();
  private final OwnDatabases databases = new OwnDatabases();

  @AfterEach
  void close() throws Exception {
    h.close();
    databases.close();
  }

  /** An orders service writing into its own database; the candidate rounds totals half-up and may write late. */
  private int service(Pool db, boolean candidate, long delayMillis) {
    AtomicLong ids = new AtomicLong(100);
    return h.backend(req -> req.body().onSuccess(b -> {
      JsonObject order = b.toJsonObject();
      long id = ids.incrementAndGet();
      BigDecimal total = new BigDecimal(order.getString("total")).setScale(2, candidate ? RoundingMode.HALF_UP
          : RoundingMode.HALF_EVEN);
      Runnable write = () -> db.preparedQuery("INSERT INTO orders VALUES ($1, $2, $3)")
          .execute(Tuple.of(id, order.getString("customer"), total));
      if (delayMillis > 0) {
        h.vertx.setTimer(delayMillis, t -> write.run()); // the write lands after the answer, as behind a queue
      } else {
        write.run();
      }
      req.response().setStatusCode(201).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("id", id).encode());
    })).actualPort();
  }

  private Tandem tandem(String legacyUrl, String shadowUrl, long candidateDelay) throws Exception {
    Pool legacyDb = PgBuilder.pool().connectingTo(legacyUrl).using(h.vertx).build();
    Pool shadowDb = PgBuilder.pool().connectingTo(shadowUrl).using(h.vertx).build();
    for (Pool p : new Pool[] {legacyDb, shadowDb}) {
      p.query("CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer text, total numeric(10,2))")
          .execute().await(30, TimeUnit.SECONDS);
    }
    int legacy = service(legacyDb, false, 0);
    int candidate = service(shadowDb, true, candidateDelay);
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, percent: 100, compare: true }
            effects:
              settle: 100ms
              retries: 5
              probes:
                - name: order
                  methods: [POST]
                  path: ^/orders$
                  sql: SELECT customer, total FROM orders WHERE id = $1
                  params: [ "primary.json:/id" ]
                - name: by-customer
                  methods: [POST]
                  sql: SELECT count(*) AS n FROM orders WHERE customer = $1
                  params: [ "request.json:/customer" ]
        verify: { primary: "%s", shadow: "%s", tables: [ { name: orders, key: [id] } ] }
        """.formatted(TandemHarness.TOKEN, legacy, candidate, legacyUrl, shadowUrl));
  }

  private void post(Tandem t, String body) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(t.port())
        .setURI("/orders").putHeader("Content-Type", "application/json");
    await(h.onContext(() -> h.client().request(o).compose(r -> r.send(body)).compose(r -> r.body())));
  }

  private JsonObject admin(Tandem t, String uri) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.adminPort()).setURI(uri)
        .putHeader("Authorization", "Bearer " + TandemHarness.TOKEN);
    return await(h.onContext(() -> h.client().request(o).compose(r -> r.send()).compose(r -> r.body())))
        .toJsonObject();
  }

  private static long compared(JsonObject summary) {
    return summary.getJsonArray("endpoints").stream().map(JsonObject.class::cast)
        .mapToLong(e -> e.getLong("compared")).sum();
  }

  @Test
  @DisplayName("the answers match but the rows differ (a rounding rule): the exchange differs on db:order/0/total,"
      + " and its sample shows both rows next to the response diff; matching rows match")
  void rowsDifferBehindMatchingAnswers() throws Exception {
    Tandem t = tandem(databases.create("eff_legacy"), databases.create("eff_shadow"), 0);
    post(t, "{\"customer\":\"acme\",\"total\":\"10.125\"}"); // HALF_EVEN 10.12, HALF_UP 10.13
    post(t, "{\"customer\":\"acme\",\"total\":\"10.50\"}");
    eventually("both compared", () -> compared(t.comparisons().summary()) == 2);
    JsonObject endpoint = t.comparisons().summary().getJsonArray("endpoints").getJsonObject(0);
    assertThat(endpoint.getLong("differing")).isEqualTo(1);
    assertThat(endpoint.getJsonArray("fields").stream().map(JsonObject.class::cast).map(f -> f.getString("field")))
        .contains("db:order/*/total");
    // The sample is kept just after the counts move: wait for it.
    eventually("the sample kept", () -> !admin(t, "/admin/diffs?limit=10").getJsonArray("diffs").isEmpty());
    JsonObject samples = admin(t, "/admin/diffs?limit=10");
    JsonObject sample = samples.getJsonArray("diffs").getJsonObject(0);
    JsonObject effect = sample.getJsonArray("effects").getJsonObject(0);
    assertThat(effect.getString("probe")).isEqualTo("order");
    assertThat(effect.getJsonArray("primaryRows").getJsonObject(0).getValue("total").toString()).isEqualTo("10.12");
    assertThat(effect.getJsonArray("shadowRows").getJsonObject(0).getValue("total").toString()).isEqualTo("10.13");
    assertThat(effect.getInteger("attempts")).as("retried while different").isEqualTo(6);
    assertThat(sample.getJsonArray("differences").encode()).contains("db:order/0/total");
  }

  @Test
  @DisplayName("a write that lands late on the shadow is read again until it is there: no difference, more attempts")
  void lateWriteIsRetried() throws Exception {
    Tandem t = tandem(databases.create("late_legacy"), databases.create("late_shadow"), 250);
    post(t, "{\"customer\":\"globex\",\"total\":\"3.50\"}");
    eventually("compared", () -> compared(t.comparisons().summary()) == 1);
    JsonObject endpoint = t.comparisons().summary().getJsonArray("endpoints").getJsonObject(0);
    assertThat(endpoint.getLong("differing")).as(endpoint.encodePrettily()).isZero();
    String metrics = h.registry.scrape();
    assertThat(metrics).contains("tandem_effects_total{result=\"match\",route=\"orders\"} 2.0")
        .doesNotContain("result=\"error\"");
    assertThat(h.registry.get("tandem.effects.reads").functionCounter().count()).as("read again until it landed")
        .isGreaterThan(1);
  }

  @Test
  @DisplayName("a probe parameter that looks like a number but is text in the database is sent as text")
  void textParameters() throws Exception {
    Tandem t = tandem(databases.create("txt_legacy"), databases.create("txt_shadow"), 0);
    // The probe reads by customer (text) from the request body: "10045" looks like a number.
    post(t, "{\"customer\":\"10045\",\"total\":\"1.00\"}");
    eventually("compared", () -> compared(t.comparisons().summary()) == 1);
    assertThat(h.registry.scrape()).doesNotContain("result=\"error\"");
  }
}
