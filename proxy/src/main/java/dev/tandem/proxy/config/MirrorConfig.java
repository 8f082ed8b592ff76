package dev.tandem.proxy.config;

/** The mirror of a route: the shadow backend that gets a copy of {@code percent} percent of requests. */
public record MirrorConfig(String backend, double percent, boolean compare) {
}
