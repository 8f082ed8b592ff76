package dev.tandem.proxy.config;

/** The canary of a route: the backend that takes {@code weight} percent of users. */
public record CanaryConfig(String backend, double weight) {
}
