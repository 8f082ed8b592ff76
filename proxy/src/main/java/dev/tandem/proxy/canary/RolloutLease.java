package dev.tandem.proxy.canary;

import io.vertx.core.Future;

import java.time.Duration;

/**
 * Who drives a route's rollout. One instance holds the lease and steps the rollout; when it stops renewing (it
 * died), another takes the lease and the rollout over. With one instance ({@link #local}) the lease is always its.
 */
public interface RolloutLease {

  /**
   * Takes the lease, from another holder too: a rollout started, resumed or taken over here.
   *
   * @param holder who holds it: this instance and this rollout, so that giving up one rollout's lease never drops
   *               the next one's
   */
  Future<Boolean> take(String route, String holder, Duration ttl);

  /** Takes the lease only when nobody holds it; true when it is now {@code holder}'s. */
  Future<Boolean> tryTake(String route, String holder, Duration ttl);

  /** Keeps the lease for another {@code ttl}; false when someone else holds it now. */
  Future<Boolean> renew(String route, String holder, Duration ttl);

  /** Gives the lease up, when {@code holder} holds it. */
  Future<Void> release(String route, String holder);

  /** One instance: the lease is always its own. */
  static RolloutLease local() {
    return new RolloutLease() {
      @Override
      public Future<Boolean> take(String route, String holder, Duration ttl) {
        return Future.succeededFuture(true);
      }

      @Override
      public Future<Boolean> tryTake(String route, String holder, Duration ttl) {
        return Future.succeededFuture(true);
      }

      @Override
      public Future<Boolean> renew(String route, String holder, Duration ttl) {
        return Future.succeededFuture(true);
      }

      @Override
      public Future<Void> release(String route, String holder) {
        return Future.succeededFuture();
      }
    };
  }
}
