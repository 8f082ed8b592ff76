package dev.tandem.comparator.db;

import java.time.Duration;

/**
 * How a verification runs.
 *
 * @param chunkSize       keys per checksum chunk; only chunks whose checksums differ are compared row by row
 * @param concurrency     chunks checked at once (each takes a connection on each side)
 * @param settle          the race window: a finding on a row changed this recently (or, without an updatedAt
 *                        column, any finding) is checked again after this long before it counts
 * @param nullEqualsEmpty whether NULL and '' are the same text; by default they differ
 * @param maxFindings     findings kept per table with their values; beyond, only counted
 * @param escalateAfter   a row differing in this many consecutive runs is escalated
 */
public record VerifyOptions(int chunkSize, int concurrency, Duration settle, boolean nullEqualsEmpty,
                            int maxFindings, int escalateAfter) {

  public static final VerifyOptions DEFAULT = new VerifyOptions(10_000, 4, Duration.ofSeconds(2), false, 1_000, 3);
}
