package dev.tandem.comparator;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names for SQL connection pools, one per pool in the process. Vert.x's metrics register a pool's gauges under its
 * name; two pools with the default name would register the same gauges twice (Micrometer warns, and counts one).
 */
public final class PoolNames {

  private static final AtomicInteger NEXT = new AtomicInteger();

  private PoolNames() {
  }

  /** {@code tandem-<role>-<n>}. */
  public static String next(String role) {
    return "tandem-" + role + "-" + NEXT.incrementAndGet();
  }
}
