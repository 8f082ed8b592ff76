package dev.tandem.proxy.config;

import java.util.List;
import java.util.Set;

/**
 * Which requests a route takes. Every given condition must hold; an empty list matches anything.
 *
 * @param pathPrefix  the path's first segments; for a gRPC match, {@code /service} or {@code /service/method}
 * @param hosts       exact host names or {@code *.suffix} wildcards, compared without the port
 * @param methods     upper-case method names
 * @param grpcService the fully qualified gRPC service ({@code orders.v1.Orders}) the route takes; null for none
 * @param grpcMethod  one method of it ({@code CreateOrder}); null for all of them
 */
public record MatchConfig(String pathPrefix, List<String> hosts, Set<String> methods, String grpcService,
                          String grpcMethod) {

  public MatchConfig {
    hosts = List.copyOf(hosts);
    methods = Set.copyOf(methods);
  }

  public MatchConfig(String pathPrefix, List<String> hosts, Set<String> methods) {
    this(pathPrefix, hosts, methods, null, null);
  }
}
