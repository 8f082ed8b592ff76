package dev.tandem.proxy.mirror;

/**
 * A token bucket: {@code rate} tokens a second, holding at most one second's worth, so a burst after a quiet
 * spell is bounded too. Shared by the event loops that mirror to one shadow; a take is a few arithmetic steps
 * under a lock held for nanoseconds.
 */
final class TokenBucket {

  private final double ratePerNano;
  private final double capacity;
  private double tokens;
  private long lastNanos;

  /** @param rate tokens per second; 0 or less means no limit */
  TokenBucket(double rate, long nowNanos) {
    this.ratePerNano = rate / 1e9;
    this.capacity = Math.max(1, rate);
    this.tokens = capacity;
    this.lastNanos = nowNanos;
  }

  synchronized boolean tryTake(long nowNanos) {
    if (ratePerNano <= 0) {
      return true;
    }
    tokens = Math.min(capacity, tokens + (nowNanos - lastNanos) * ratePerNano);
    lastNanos = nowNanos;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
