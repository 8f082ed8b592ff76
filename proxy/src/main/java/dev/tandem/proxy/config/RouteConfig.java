package dev.tandem.proxy.config;

/**
 * One route: which requests it takes and where they go.
 *
 * @param canary null when the route has no canary
 * @param mirror null when the route does not mirror
 * @param effects null when the route has no database-effect probes
 */
public record RouteConfig(String name, MatchConfig match, String primary, CanaryConfig canary, MirrorConfig mirror,
                          EffectsConfig effects) {

  public RouteConfig(String name, MatchConfig match, String primary, CanaryConfig canary, MirrorConfig mirror) {
    this(name, match, primary, canary, mirror, null);
  }
}
