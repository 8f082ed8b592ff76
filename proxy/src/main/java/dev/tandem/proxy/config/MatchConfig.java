package dev.tandem.proxy.config;

import java.util.List;
import java.util.Set;

/**
 * Which requests a route takes. Every given condition must hold; an empty list matches anything.
 *
 * @param hosts   exact host names or {@code *.suffix} wildcards, compared without the port
 * @param methods upper-case method names
 */
public record MatchConfig(String pathPrefix, List<String> hosts, Set<String> methods) {

  public MatchConfig {
    hosts = List.copyOf(hosts);
    methods = Set.copyOf(methods);
  }
}
