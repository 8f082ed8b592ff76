package dev.tandem.proxy.route;

/**
 * What an operator can change on a route while Tandem runs: the canary weight and the mirror percent. Read on
 * every request from any event loop, written by the admin API and by the state store when another instance made
 * a change; the next request sees a new value, without a restart.
 */
public final class RouteState {

  private final String route;
  private volatile double canaryWeight;
  private volatile double mirrorPercent;

  public RouteState(String route, double canaryWeight, double mirrorPercent) {
    this.route = route;
    this.canaryWeight = canaryWeight;
    this.mirrorPercent = mirrorPercent;
  }

  public String route() {
    return route;
  }

  /** Percent of users on the canary, 0..100. */
  public double canaryWeight() {
    return canaryWeight;
  }

  public void canaryWeight(double weight) {
    this.canaryWeight = weight;
  }

  /** Percent of eligible requests mirrored, 0..100. */
  public double mirrorPercent() {
    return mirrorPercent;
  }

  public void mirrorPercent(double percent) {
    this.mirrorPercent = percent;
  }
}
