package dev.tandem.proxy.fleet;

import dev.tandem.proxy.canary.Figures;
import dev.tandem.proxy.canary.RolloutFigures;
import dev.tandem.proxy.canary.SideStats;
import dev.tandem.testkit.TestServices;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;

import static dev.tandem.proxy.TandemHarness.await;
import static org.assertj.core.api.Assertions.assertThat;

class FleetFiguresTest {

  private final Vertx vertx = Vertx.vertx();
  private final RedisAPI redis = RedisAPI.api(Redis.createClient(vertx, TestServices.redisUrl()));
  private final String prefix = "figures-" + UUID.randomUUID() + ":";

  /** An instance's traffic as the test hands it out: each figure counts {@code compared} exchanges. */
  private static final class Served implements RolloutFigures.Source {
    private final Deque<Figures> pending = new ArrayDeque<>();

    synchronized void serve(long exchanges) {
      pending.add(new Figures(SideStats.Sample.empty(), SideStats.Sample.empty(), exchanges, 0));
    }

    @Override
    public synchronized Figures drain(String route) {
      Figures total = Figures.empty(true);
      while (!pending.isEmpty()) {
        total = total.plus(pending.poll());
      }
      return total;
    }
  }

  @AfterEach
  void close() {
    await(vertx.close());
  }

  @Test
  @DisplayName("what another instance served after its last write and before the driver summed the window is judged in"
      + " the next window: every exchange counted once")
  void nothingLostBetweenWindows() {
    Served mine = new Served();
    Served theirs = new Served();
    FleetFigures driver = new FleetFigures(vertx, redis, prefix, "one", mine);
    FleetFigures other = new FleetFigures(vertx, redis, prefix, "two", theirs);
    driver.windowStarted("orders", "w1");
    other.windowStarted("orders", "w1");

    theirs.serve(5);
    await(other.collect("orders", "w1")); // its figures written, as its periodic flush does
    theirs.serve(3); // served after that write; the driver reads before the next one
    mine.serve(2);
    long first = await(driver.collect("orders", "w1")).compared();
    assertThat(first).as("the driver's own and what the other had written").isGreaterThanOrEqualTo(7);

    driver.windowStarted("orders", "w2");
    other.windowStarted("orders", "w2"); // it hears of the new window a moment later
    await(other.collect("orders", "w2"));
    long second = await(driver.collect("orders", "w2")).compared();
    assertThat(first + second).as("all 10 exchanges judged, none twice").isEqualTo(10);
  }
}
