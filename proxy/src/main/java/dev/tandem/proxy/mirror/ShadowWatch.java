package dev.tandem.proxy.mirror;

import dev.tandem.comparator.Side;

/**
 * Who waits for a shadow's answer to one copy: the comparison, the capture, or both. Told exactly once: the answer
 * (a failure is a side with an error), or that the copy was never sent.
 */
public interface ShadowWatch {

  /** How much of the answer's body to keep. */
  long maxBodyBytes();

  void answered(Side side);

  /** {@link #answered(Side)} for an answer whose last {@code trailers} headers came as its trailers. */
  default void answered(Side side, int trailers) {
    answered(side);
  }

  void notSent();

  /** Both watches told of everything; either may be null. */
  static ShadowWatch both(ShadowWatch a, ShadowWatch b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    return new ShadowWatch() {
      @Override
      public long maxBodyBytes() {
        return Math.max(a.maxBodyBytes(), b.maxBodyBytes());
      }

      @Override
      public void answered(Side side) {
        a.answered(side);
        b.answered(side);
      }

      @Override
      public void notSent() {
        a.notSent();
        b.notSent();
      }
    };
  }
}
