package dev.tandem.proxy.canary;

import dev.tandem.proxy.route.StablePoint;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StablePointTest {

  private static final int KEYS = 100_000;

  @Test
  @DisplayName("over 100,000 keys the share below each weight is within ±0.5 points of it")
  void splitMatchesWeight() {
    double[] points = new double[KEYS];
    for (int i = 0; i < KEYS; i++) {
      // Two kinds of keys users really have: sequential ids and random cookies.
      points[i] = StablePoint.of(i % 2 == 0 ? "user-" + i : UUID.randomUUID().toString());
    }
    for (double weight : new double[] {0.5, 1, 5, 12.5, 25, 50, 75, 99}) {
      long below = 0;
      for (double p : points) {
        below += p < weight ? 1 : 0;
      }
      assertThat(below * 100.0 / KEYS).as("share at weight %s", weight).isCloseTo(weight, within(0.5));
    }
  }

  @Test
  @DisplayName("raising the weight only adds users, lowering it only removes them; the same key, the same point")
  void monotonicAndStable() {
    for (int i = 0; i < 10_000; i++) {
      String key = "user-" + i;
      double p = StablePoint.of(key);
      assertThat(p).isBetween(0.0, 100.0).isLessThan(100.0).isEqualTo(StablePoint.of(key));
      boolean at10 = p < 10;
      boolean at20 = p < 20;
      assertThat(!at10 || at20).as("a user on the canary at 10%% stays on it at 20%%").isTrue();
    }
  }
}
