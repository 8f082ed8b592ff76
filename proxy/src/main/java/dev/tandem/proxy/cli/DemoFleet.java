package dev.tandem.proxy.cli;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.Percent;
import dev.tandem.proxy.config.RolloutConfig;
import dev.tandem.proxy.demo.DemoTraffic;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's fleet: three Tandem instances in this process, each with a Vert.x of its own as if in its own pod,
 * sharing run-time state through Redis. A weight set on one applies on all; a rollout started on one is driven by
 * it until it dies, then taken over by another instance that finishes it. Skipped, with one line saying how to see
 * it, when no Redis answers.
 */
final class DemoFleet {

  static final String ENV = "TANDEM_DEMO_REDIS";
  static final String DEFAULT_URL = "redis://127.0.0.1:6379";

  private final PrintWriter out;
  private final int legacyPort;
  private final int candidatePort;
  private final String url = System.getenv(ENV) != null ? System.getenv(ENV) : DEFAULT_URL;
  private final String prefix = "tandem-demo-" + UUID.randomUUID().toString().substring(0, 8) + ":";
  private final List<Member> members = new ArrayList<>();

  /** One instance: its own runtime (Vert.x and registry) and its Tandem. */
  private static final class Member {
    final String name;
    final CliRuntime runtime;
    final Tandem tandem;
    final DemoTraffic traffic;
    boolean dead;

    Member(String name, CliRuntime runtime, Tandem tandem) {
      this.name = name;
      this.runtime = runtime;
      this.tandem = tandem;
      this.traffic = new DemoTraffic(runtime.vertx(), tandem.port(), name.hashCode());
    }
  }

  DemoFleet(PrintWriter out, int legacyPort, int candidatePort) {
    this.out = out;
    this.legacyPort = legacyPort;
    this.candidatePort = candidatePort;
  }

  void run() throws Exception {
    if (!reachable()) {
      out.printf("%nMany instances: skipped, no Redis answers at %s. With Redis there, or %s=redis://HOST:PORT,"
          + " the demo starts three instances that share one rollout.%n", url, ENV);
      out.flush();
      return;
    }
    try {
      for (String name : List.of("tandem-1", "tandem-2", "tandem-3")) {
        members.add(start(name));
      }
      out.printf("%nMany instances: %s, %s and %s on ports %d, %d and %d, sharing state in Redis at %s"
              + " (keys %s*).%n", members.get(0).name, members.get(1).name, members.get(2).name,
          members.get(0).tandem.port(), members.get(1).tandem.port(), members.get(2).tandem.port(), url, prefix);
      sharedWeight();
      rollout();
    } finally {
      try {
        for (Member m : members) {
          if (!m.dead) {
            try {
              Blocking.await(m.tandem.close().eventually(() -> m.runtime.vertx().close()));
            } catch (Exception e) {
              out.printf("  (%s did not close cleanly: %s)%n", m.name, Console.describe(e));
            }
          }
        }
      } finally {
        forget();
      }
    }
    out.flush();
  }

  private Member start(String name) throws Exception {
    CliRuntime runtime = CliRuntime.create();
    String yaml = """
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            match: { pathPrefix: / }
            primary: legacy
            canary: { backend: candidate, weight: 0 }
        state: { store: redis, redis: "%s", prefix: "%s" }
        """.formatted(DemoCommand.DEMO_TOKEN, legacyPort, candidatePort, url, prefix);
    Tandem tandem = Blocking.await(Tandem.start(runtime.vertx(), runtime.registry(),
        new ConfigLoader().parse(yaml, "demo fleet " + name).config()));
    return new Member(name, runtime, tandem);
  }

  /** A weight set on the first instance, and how long each of the others took to apply it. */
  private void sharedWeight() throws Exception {
    Member first = members.get(0);
    long begin = System.nanoTime();
    Blocking.await(first.tandem.control().setWeight("orders", 10, "demo", "demo: a weight set on tandem-1"));
    StringBuilder seen = new StringBuilder();
    for (Member m : members.subList(1, members.size())) {
      long deadline = begin + TimeUnit.SECONDS.toNanos(5);
      while (weight(m) != 10.0 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      seen.append(seen.isEmpty() ? "" : ", ").append(weight(m) == 10.0
          ? m.name + " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin) + " ms"
          : m.name + " not within 5 s");
    }
    out.printf("  canary weight 10%% set on %s (PUT /admin/routes/orders/canary); applied on %s.%n", first.name, seen);
    Blocking.await(first.tandem.control().setWeight("orders", 0, "demo", "demo: back to 0 before the rollout"));
    out.flush();
  }

  /** A rollout started on the first instance, whose driver dies at step 2; another instance finishes it. */
  private void rollout() throws Exception {
    var plan = new RolloutConfig(List.of(20.0, 50.0, 100.0), Duration.ofSeconds(1),
        new RolloutConfig.Gates(1.0, 100.0, 100.0, 5));
    Member first = members.get(0);
    Blocking.await(first.tandem.control().startRollout("orders", plan, "demo",
        "demo: one rollout for the fleet"));
    out.printf("  rollout started on %s: steps 20%%, 50%%, 100%%, one a second, gates judged on all three"
        + " instances' traffic added up in Redis.%n", first.name);
    Member watcher = members.get(1);
    int shown = 0;
    boolean killed = false;
    JsonObject state = watcher.tandem.control().rollout("orders");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (System.nanoTime() < deadline) {
      state = watcher.tandem.control().rollout("orders");
      int step = state.getInteger("step", 0); // 0 until the start reaches this instance
      if (step != shown && "running".equals(state.getString("status"))) {
        out.printf("  step %d: %s%% on the candidate on every instance%n", step,
            Percent.plain(state.getDouble("currentWeight")));
        out.flush();
        shown = step;
      }
      if (!killed && step >= 2) {
        // Its Vert.x closed at once: no lease released, no goodbye, as when a pod is killed.
        first.dead = true;
        Blocking.await(first.runtime.vertx().close());
        killed = true;
        out.printf("  ... %s, the driver, is killed at step 2%n", first.name);
        out.flush();
      }
      String status = state.getString("status");
      // "none" until the start reaches this instance through Redis: keep going until it does.
      if (status != null && !status.equals("running") && !status.equals("none")) {
        break;
      }
      for (Member m : members) {
        if (!m.dead) {
          DemoTraffic.Summary sent = Blocking.await(m.traffic.burst(10));
          if (sent.failures() > 0) {
            out.printf("  (%d of %d requests to %s failed)%n", sent.failures(), sent.sent(), m.name);
          }
        }
      }
    }
    out.printf("  rollout %s, canary weight %s%% on %s.%n", state.getString("status").replace('_', ' '),
        Percent.plain(state.getDouble("currentWeight")), String.join(" and ", members.stream()
            .filter(m -> !m.dead).map(m -> m.name + " " + Percent.plain(weight(m)) + "%")
            .toList()));
    List<JsonObject> audit = new ArrayList<>(Blocking.await(watcher.tandem.control().audit(20)));
    Collections.reverse(audit);
    out.println("  who did what (GET /admin/audit, each entry names its instance):");
    for (JsonObject e : audit) {
      if (e.getString("action").startsWith("rollout")) {
        out.printf("    %s  %-17s instance %s%n", e.getString("time"), e.getString("action"), e.getString("instance"));
      }
    }
  }

  private static double weight(Member m) {
    return m.tandem.routes().byName("orders").orElseThrow().state().canaryWeight();
  }

  /** Whether something accepts connections at the Redis URL's address (a short connect, from the main thread). */
  private boolean reachable() {
    try (Socket s = new Socket()) {
      URI u = URI.create(url);
      s.connect(new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort()), 300);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Removes the demo's keys from Redis: nothing of the demo is left behind. */
  private void forget() {
    CliRuntime runtime = CliRuntime.create();
    try {
      RedisAPI redis = RedisAPI.api(Redis.createClient(runtime.vertx(), url));
      String cursor = "0";
      do { // SCAN, not KEYS: never blocks a Redis that others use
        Response page = Blocking.await(redis.scan(List.of(cursor, "MATCH", prefix + "*", "COUNT", "200")));
        cursor = page.get(0).toString();
        List<String> names = new ArrayList<>();
        page.get(1).forEach(k -> names.add(k.toString()));
        if (!names.isEmpty()) {
          Blocking.await(redis.del(names));
        }
      } while (!cursor.equals("0"));
    } catch (Exception e) {
      out.printf("  (the demo's keys %s* could not be removed from Redis: %s)%n", prefix, Console.describe(e));
    } finally {
      runtime.vertx().close();
    }
  }
}
