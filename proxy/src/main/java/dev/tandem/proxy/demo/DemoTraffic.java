package dev.tandem.proxy.demo;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A short burst of realistic orders traffic — reads, a few writes, a few misses — sent through the proxy with a
 * few requests in flight, the way a small client population would.
 */
public final class DemoTraffic {

  private static final int IN_FLIGHT = 8;
  private static final String[] SKUS = {"SKU-100", "SKU-200", "SKU-300", "SKU-400", "SKU-500"};

  private final int port;
  private final Random random;
  private final long seed;
  // Held here, not per burst: Vert.x closes a client once nothing references it, and a burst waiting for a pooled
  // connection is referenced by nothing else (the demo hung on that now and then).
  private final HttpClientAgent client;
  // Every request is sent, and its answer read, on this one event loop. Sent from the CLI's main thread, an answer
  // could end before body() was asked for, and that body() never completed (the demo hung on it now and then).
  private final Context context;
  private int orders;

  /** What came back from one burst. */
  public record Summary(int sent, Map<Integer, Integer> statuses, int failures, long elapsedMillis,
                        double p50Millis, double p99Millis) {
  }

  public DemoTraffic(Vertx vertx, int port, long seed) {
    this.port = port;
    this.random = new Random(seed);
    this.seed = seed;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5_000),
        new PoolOptions().setHttp1MaxSize(IN_FLIGHT));
    this.context = vertx.getOrCreateContext();
  }

  /** Closes the client; the bursts are over. */
  public Future<Void> close() {
    return client.close();
  }

  /** Sends {@code count} requests and reports their statuses and latency. */
  public Future<Summary> burst(int count) {
    Promise<Summary> result = Promise.promise();
    context.runOnContext(v -> onContext(count).onComplete(result));
    return result.future();
  }

  private Future<Summary> onContext(int count) {
    Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
    Map<Integer, Integer> statuses = new TreeMap<>();
    int[] failures = {0};
    int[] started = {0};
    long begin = System.nanoTime();
    Promise<Summary> done = Promise.promise();
    int[] finished = {0};
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      if (started[0] >= count) {
        return;
      }
      started[0]++;
      long t0 = System.nanoTime();
      send().onComplete(ar -> {
        latency.recordValue(Math.min(System.nanoTime() - t0, latency.getHighestTrackableValue()));
        if (ar.succeeded()) {
          statuses.merge(ar.result(), 1, Integer::sum);
        } else {
          failures[0]++;
        }
        if (++finished[0] == count) {
          done.complete(new Summary(count, statuses, failures[0],
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin),
              latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6));
        } else {
          next[0].run();
        }
      });
    };
    if (count == 0) {
      return Future.succeededFuture(new Summary(0, statuses, 0, 0, 0, 0));
    }
    for (int i = 0; i < Math.min(IN_FLIGHT, count); i++) {
      next[0].run();
    }
    return done.future();
  }

  private Future<Integer> send() {
    int pick = random.nextInt(100);
    HttpMethod method = HttpMethod.GET;
    String uri;
    Buffer body = null;
    if (pick < 45) {
      uri = "/orders/" + (1 + random.nextInt(20));
    } else if (pick < 65) {
      uri = "/orders?limit=" + (1 + random.nextInt(5)) + (random.nextBoolean() ? "&status=NEW" : "");
    } else if (pick < 85) {
      method = HttpMethod.POST;
      uri = "/orders";
      body = newOrder().toBuffer();
    } else if (pick < 93) {
      method = HttpMethod.PATCH;
      uri = "/orders/" + (1 + random.nextInt(20));
      body = new JsonObject().put("status", "SHIPPED").toBuffer();
    } else {
      uri = "/orders/" + (9000 + random.nextInt(100));
    }
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(uri)
        .putHeader("X-User-Id", "user-" + random.nextInt(50)).setIdleTimeout(10_000);
    Buffer payload = body;
    return client.request(options).compose(req -> {
      if (payload == null) {
        return req.send();
      }
      req.putHeader("Content-Type", "application/json");
      return req.send(payload);
    }).compose(resp -> resp.body().map(b -> resp.statusCode()));
  }

  private JsonObject newOrder() {
    JsonArray items = new JsonArray();
    int lines = 1 + random.nextInt(3);
    for (int i = 0; i < lines; i++) {
      items.add(new JsonObject().put("sku", SKUS[random.nextInt(SKUS.length)]).put("quantity", 1 + random.nextInt(4))
          .put("unitPrice", (500 + random.nextInt(5000)) / 100.0));
    }
    // A reference of the client's own, as order systems take: it names the order in both services' databases.
    JsonObject order = new JsonObject().put("reference", "ref-" + seed + "-" + (++orders))
        .put("customer", "customer-" + random.nextInt(100)).put("items", items);
    return random.nextInt(4) == 0 ? order.put("giftNote", "Happy birthday!") : order;
  }
}
