package dev.tandem.proxy.route;

import dev.tandem.proxy.config.MatchConfig;
import dev.tandem.proxy.config.RouteConfig;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** A configured route and the test of whether a request belongs to it. */
public final class Route {

  private final RouteConfig config;
  private final String pathPrefix;
  private final List<String> hosts;
  private final Set<String> methods;
  private final RouteState state;

  public Route(RouteConfig config) {
    this.config = config;
    this.state = new RouteState(config.name(), config.canary() == null ? 0 : config.canary().weight(),
        config.mirror() == null ? 0 : config.mirror().percent());
    MatchConfig match = config.match();
    this.pathPrefix = match.pathPrefix();
    this.hosts = match.hosts();
    this.methods = match.methods();
  }

  public String name() {
    return config.name();
  }

  public RouteConfig config() {
    return config;
  }

  /** The values an operator can change at run time; start from the configuration's. */
  public RouteState state() {
    return state;
  }

  /**
   * Whether the request belongs here.
   *
   * @param host the Host (or :authority) as sent, with or without a port; may be null
   * @param path the raw path, without the query
   */
  public boolean matches(String method, String host, String path) {
    return matchesPath(path) && (methods.isEmpty() || methods.contains(method)) && matchesHost(host);
  }

  private boolean matchesPath(String path) {
    if (!path.startsWith(pathPrefix)) {
      return false;
    }
    // "/api" takes "/api" and "/api/x" but not "/apiary"; a prefix ending in "/" takes everything under it.
    return pathPrefix.endsWith("/") || path.length() == pathPrefix.length() || path.charAt(pathPrefix.length()) == '/';
  }

  private boolean matchesHost(String host) {
    if (hosts.isEmpty()) {
      return true;
    }
    if (host == null) {
      return false;
    }
    String bare = stripPort(host).toLowerCase(Locale.ROOT);
    for (String h : hosts) {
      if (h.startsWith("*.") ? bare.endsWith(h.substring(1)) : bare.equals(h)) {
        return true;
      }
    }
    return false;
  }

  private static String stripPort(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end > 0 ? host.substring(0, end + 1) : host;
    }
    int colon = host.lastIndexOf(':');
    return colon > 0 ? host.substring(0, colon) : host;
  }
}
