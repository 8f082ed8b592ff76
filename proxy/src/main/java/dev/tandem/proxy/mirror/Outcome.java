package dev.tandem.proxy.mirror;

import java.util.Locale;

/** What became of one mirror copy; each is a value of the {@code outcome} label of {@code tandem_mirror_total}. */
public enum Outcome {
  /** A copy on a mirrored route (one per shadow): the ledger's total. */
  ELIGIBLE,
  SKIPPED_SAMPLE,
  SKIPPED_FILTERED,
  SKIPPED_BODY_TOO_LARGE,
  /** An after-primary copy whose primary answered with a status not in {@code afterStatus}. */
  SKIPPED_STATUS,
  /** A write whose client went away before the primary answered: not mirrored. */
  SKIPPED_ABORTED,
  /** The shadow's backend answered the client itself (a canary request): a copy would do the work twice. */
  SKIPPED_CANARY,
  RATE_LIMITED,
  DROPPED_QUEUE_FULL,
  /** Admitted for delivery: every sent copy ends as one of the five below. */
  SENT,
  DELIVERED,
  DUPLICATE,
  DEAD_LETTERED,
  /** A safe (read) copy the shadow failed; writes that fail are dead-lettered instead. */
  FAILED,
  TIMEOUT;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
