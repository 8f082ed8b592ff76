package dev.tandem.proxy.canary;

import io.vertx.core.Future;

/**
 * Where the figures a rollout's gates judge come from: this instance's traffic ({@link #local}), or the whole
 * fleet's, added up in Redis ({@code dev.tandem.proxy.fleet.FleetFigures}). A window is one interval of one step; its
 * id is carried in the rollout's saved state, so every instance counts into the same window.
 */
public interface RolloutFigures {

  /** Where an instance's own figures are drained from: both sides' stats and the comparator's counts. */
  interface Source {
    /** What {@code route} did since the last call. */
    Figures drain(String route);
  }

  /** A rollout of {@code route} began the interval {@code window}, on this instance or on the one driving it. */
  void windowStarted(String route, String window);

  /** No rollout of {@code route} runs any more: nothing is counted for it. */
  void stopped(String route);

  /** Everything counted for {@code window}, on the driver at the end of the interval. */
  Future<Figures> collect(String route, String window);

  Future<Void> close();

  /** One instance: the figures are its own. */
  static RolloutFigures local(Source source) {
    return new RolloutFigures() {
      @Override
      public void windowStarted(String route, String window) {
        source.drain(route); // what came before the window does not count in it
      }

      @Override
      public void stopped(String route) {
      }

      @Override
      public Future<Figures> collect(String route, String window) {
        return Future.succeededFuture(source.drain(route));
      }

      @Override
      public Future<Void> close() {
        return Future.succeededFuture();
      }
    };
  }
}
