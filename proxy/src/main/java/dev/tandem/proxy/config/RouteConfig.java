package dev.tandem.proxy.config;

/**
 * One route: which requests it takes and where they go.
 *
 * @param canary null when the route has no canary
 * @param mirror null when the route does not mirror
 */
public record RouteConfig(String name, MatchConfig match, String primary, CanaryConfig canary, MirrorConfig mirror) {
}
