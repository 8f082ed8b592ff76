package dev.tandem.comparator;

import dev.tandem.testkit.OwnDatabases;
import dev.tandem.testkit.TestServices;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class PostgresResultStoreTest {

  private final Vertx vertx = Vertx.vertx();
  private Pool admin;

  @BeforeEach
  void clean() throws Exception {
    admin = PgBuilder.pool().connectingTo(TestServices.postgresUrl()).using(vertx).build();
    admin.query("DROP TABLE IF EXISTS tandem_diff_samples, tandem_diff_counts, tandem_schema").execute()
        .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    admin.query("DROP TABLE IF EXISTS tandem_diff_samples, tandem_diff_counts, tandem_schema").execute()
        .await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static JsonObject sample(String id, Instant time, String endpoint, String field) {
    return new JsonObject().put("id", id).put("time", time.toString()).put("route", "orders")
        .put("endpoint", endpoint).put("primary", "legacy").put("candidate", "candidate")
        .put("differences", new JsonArray().add(new JsonObject().put("path", field.replace("*", "0"))
            .put("field", field).put("kind", "value")));
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("the schema is created and migrated once; samples round trip, filter by endpoint, field and time")
  void roundTrip() throws Exception {
    PostgresResultStore store = new PostgresResultStore(vertx, TestServices.postgresUrl(), Duration.ofDays(7), 100);
    await(store.ready());
    // A second instance starting on the same database applies nothing twice.
    PostgresResultStore again = new PostgresResultStore(vertx, TestServices.postgresUrl(), Duration.ofDays(7), 100);
    await(again.ready());
    assertThat(await(admin.query("SELECT count(*) FROM tandem_schema").execute()).iterator().next().getLong(0))
        .isEqualTo(3);
    Instant now = Instant.now();
    await(store.add(sample("a", now.minusSeconds(30), "GET /orders/{id}", "/status")));
    await(store.add(sample("b", now.minusSeconds(20), "GET /orders/{id}", "/items/*/price")));
    await(store.add(sample("c", now.minusSeconds(10), "POST /orders", "/status")));
    assertThat(await(again.samples(null, null, null, 10))).extracting(s -> s.getString("id"))
        .containsExactly("c", "b", "a");
    assertThat(await(store.samples("GET /orders/{id}", null, null, 10))).extracting(s -> s.getString("id"))
        .containsExactly("b", "a");
    assertThat(await(store.samples(null, "/status", null, 10))).extracting(s -> s.getString("id"))
        .containsExactly("c", "a");
    assertThat(await(store.samples(null, "/items/0/price", null, 10))).extracting(s -> s.getString("id"))
        .containsExactly("b");
    assertThat(await(store.samples(null, null, now.minusSeconds(25), 10))).hasSize(2);
    assertThat(await(store.sample("b"))).isEqualTo(sample("b", now.minusSeconds(20), "GET /orders/{id}",
        "/items/*/price"));
    assertThat(await(store.sample("nope"))).isNull();
    await(store.close());
    await(again.close());
  }

  @Test
  @DisplayName("retention keeps samples younger than the maximum age, and at most the newest maxCount of them")
  void retention() throws Exception {
    PostgresResultStore store = new PostgresResultStore(vertx, TestServices.postgresUrl(), Duration.ofHours(1), 3);
    await(store.ready());
    Instant now = Instant.now();
    await(store.add(sample("old", now.minus(Duration.ofHours(2)), "GET /x", "/a")));
    for (int i = 0; i < 5; i++) {
      await(store.add(sample("s" + i, now.minusSeconds(60 - i), "GET /x", "/a")));
    }
    await(store.retain());
    assertThat(await(store.samples(null, null, null, 10))).extracting(s -> s.getString("id"))
        .containsExactly("s4", "s3", "s2");
    assertThat(await(store.size())).isEqualTo(3);
    await(store.close());
  }

  @Test
  @DisplayName("counts per hour, endpoint and field add up across flushes and instances")
  void history() throws Exception {
    PostgresResultStore a = new PostgresResultStore(vertx, TestServices.postgresUrl(), Duration.ofDays(7), 100);
    PostgresResultStore b = new PostgresResultStore(vertx, TestServices.postgresUrl(), Duration.ofDays(7), 100);
    await(a.ready());
    await(b.ready());
    Instant now = Instant.now();
    a.count(now, "GET /x", List.of("/status"), List.of("/at"));
    a.count(now, "GET /x", List.of("/status", "/at"), List.of("/at"));
    await(a.flush());
    b.count(now, "GET /x", List.of(), List.of());
    await(b.flush());
    var hours = await(a.history("GET /x", "/status", null));
    assertThat(hours).hasSize(1);
    assertThat(hours.get(0).getLong("compared")).isEqualTo(3);
    assertThat(hours.get(0).getLong("raw")).isEqualTo(2);
    assertThat(hours.get(0).getLong("noise")).isZero();
    assertThat(await(b.history("GET /x", "/at", null)).get(0).getLong("noise")).isEqualTo(2);
    assertThat(await(b.history("GET /x", null, null)).get(0).containsKey("raw")).isFalse();
    await(a.close());
    await(b.close());
  }

  @Test
  @DisplayName("close waits for the samples still being written before it closes the pool")
  void closeWaitsForPendingSamples() throws Exception {
    try (OwnDatabases databases = new OwnDatabases()) {
      String url = databases.create("close_samples");
      PostgresResultStore store = new PostgresResultStore(vertx, url, Duration.ofDays(7), 1_000);
      await(store.ready());
      Instant now = Instant.now();
      List<io.vertx.core.Future<Void>> added = new java.util.ArrayList<>();
      for (int i = 0; i < 200; i++) { // more than the pool's 4 connections: most wait for one
        added.add(store.add(sample("s" + i, now, "GET /x", "/a")));
      }
      // No counts pending: the flush at close has nothing to write and does not queue behind the samples.
      await(store.close());
      assertThat(added).allMatch(io.vertx.core.Future::succeeded);
      Pool db = PgBuilder.pool().connectingTo(url).using(vertx).build();
      assertThat(await(db.query("SELECT count(*) FROM tandem_diff_samples").execute()).iterator().next().getLong(0))
          .isEqualTo(200);
      await(db.close());
    }
  }
}
