package dev.tandem.proxy.config;

/**
 * One route: which requests it takes and where they go.
 *
 * @param canary null when the route has no canary
 * @param mirror null when the route does not mirror
 * @param effects null when the route has no database-effect probes
 * @param maxBodyBytes the largest request body the route takes (413 beyond): its own, or {@code server.maxBodyBytes}
 */
public record RouteConfig(String name, MatchConfig match, String primary, CanaryConfig canary, MirrorConfig mirror,
                          EffectsConfig effects, long maxBodyBytes) {

  public RouteConfig(String name, MatchConfig match, String primary, CanaryConfig canary, MirrorConfig mirror) {
    this(name, match, primary, canary, mirror, null, EdgeLimits.DEFAULT_MAX_BODY_BYTES);
  }
}
