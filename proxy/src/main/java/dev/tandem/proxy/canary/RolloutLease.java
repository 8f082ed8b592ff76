package dev.tandem.proxy.canary;

import io.vertx.core.Future;

import java.time.Duration;

/**
 * Who drives a route's rollout. One instance holds the lease and steps the rollout; when it stops renewing (it
 * died), another takes the lease and the rollout over. With one instance ({@link #local}) the lease is always its.
 */
public interface RolloutLease {

  /** Takes the lease, from another holder too: a rollout started, resumed or taken over here. */
  Future<Boolean> take(String route, Duration ttl);

  /** Takes the lease only when nobody holds it; true when it is now this instance's. */
  Future<Boolean> tryTake(String route, Duration ttl);

  /** Keeps the lease for another {@code ttl}; false when another instance holds it now. */
  Future<Boolean> renew(String route, Duration ttl);

  /** Gives the lease up, when this instance holds it. */
  Future<Void> release(String route);

  /** Who holds the lease now; null when nobody does (or the store cannot tell). */
  Future<String> holder(String route);

  /** One instance: the lease is always its own. */
  static RolloutLease local(String instance) {
    return new RolloutLease() {
      @Override
      public Future<Boolean> take(String route, Duration ttl) {
        return Future.succeededFuture(true);
      }

      @Override
      public Future<Boolean> tryTake(String route, Duration ttl) {
        return Future.succeededFuture(true);
      }

      @Override
      public Future<Boolean> renew(String route, Duration ttl) {
        return Future.succeededFuture(true);
      }

      @Override
      public Future<Void> release(String route) {
        return Future.succeededFuture();
      }

      @Override
      public Future<String> holder(String route) {
        return Future.succeededFuture(instance);
      }
    };
  }
}
