package dev.tandem.proxy.config;

/**
 * One route: which requests it takes and where they go.
 *
 * @param canary null when the route has no canary
 * @param mirror null when the route does not mirror
 * @param effects null when the route has no database-effect probes
 * @param maxBodyBytes the largest request body the route takes (413 beyond): its own, or {@code server.maxBodyBytes}
 * @param requestBuffering a body of undeclared length is read whole (up to {@code maxBodyBytes}) before a backend is
 *                     asked, as NGINX's {@code proxy_request_buffering}; false streams it as it arrives
 */
public record RouteConfig(String name, MatchConfig match, String primary, CanaryConfig canary, MirrorConfig mirror,
                          EffectsConfig effects, long maxBodyBytes, boolean requestBuffering) {

  public RouteConfig(String name, MatchConfig match, String primary, CanaryConfig canary, MirrorConfig mirror) {
    this(name, match, primary, canary, mirror, null, EdgeLimits.DEFAULT_MAX_BODY_BYTES, false);
  }
}
