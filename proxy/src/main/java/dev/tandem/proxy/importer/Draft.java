package dev.tandem.proxy.importer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The Tandem configuration being built from manifests, before it is written out as YAML. */
public final class Draft {

  /** Where the configuration came from, for its header: the command and each object imported. */
  final String command;
  final Set<String> sources = new LinkedHashSet<>();
  final Map<String, String> backends = new LinkedHashMap<>();
  final List<Route> routes = new ArrayList<>();
  final List<NotCarried> notCarried = new ArrayList<>();
  private final Set<String> routeNames = new HashSet<>();

  Draft(String command) {
    this.command = command;
  }

  public List<NotCarried> notCarried() {
    return List.copyOf(notCarried);
  }

  void notCarried(Manifest m, String item, String why) {
    notCarried.add(new NotCarried(m.file(), m.object(), item, why));
  }

  /** The name of the backend at {@code url}, added under {@code preferred} (or a variant of it) when new. */
  String backend(String preferred, String url) {
    for (Map.Entry<String, String> e : backends.entrySet()) {
      if (e.getValue().equals(url)) {
        return e.getKey();
      }
    }
    String name = unique(slug(preferred), backends.keySet());
    backends.put(name, url);
    return name;
  }

  Route route(String preferredName) {
    String name = unique(slug(preferredName), routeNames);
    routeNames.add(name);
    Route r = new Route(name);
    routes.add(r);
    return r;
  }

  /**
   * Orders routes as NGINX and the Gateway API pick them, since Tandem takes the first that matches: exact hosts,
   * then wildcards, then any host; within those the longest path first, an exact path before a prefix of the same
   * length (an exact path is imported as a prefix, so a longer prefix must be tried before it), then routes with
   * methods before those without.
   */
  void sortRoutes() {
    routes.sort(Comparator.<Route>comparingInt(r -> r.hosts.isEmpty() ? 2
            : r.hosts.stream().allMatch(h -> h.startsWith("*.")) ? 1 : 0)
        .thenComparing(r -> -r.pathPrefix.length())
        .thenComparing(r -> r.exact ? 0 : 1)
        .thenComparing(r -> r.methods.isEmpty() ? 1 : 0));
  }

  static String slug(String s) {
    String out = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-").replaceAll("-{2,}", "-")
        .replaceAll("^[-.]+|[-.]+$", "");
    return out.isEmpty() ? "root" : out;
  }

  private static String unique(String base, Set<String> taken) {
    String name = base;
    for (int i = 2; taken.contains(name); i++) {
      name = base + "-" + i;
    }
    return name;
  }

  /** One route. */
  static final class Route {
    final String name;
    final List<String> comments = new ArrayList<>();
    List<String> hosts = List.of();
    String pathPrefix = "/";
    boolean exact;
    Set<String> methods = new LinkedHashSet<>();
    String primary;
    Canary canary;
    Mirror mirror;
    String maxBodyBytes;

    Route(String name) {
      this.name = name;
    }
  }

  /** A route's canary: backend, weight in percent and opt-in. Null fields keep Tandem's defaults. */
  static final class Canary {
    String backend;
    double weight;
    String weightComment;
    String header;
    String headerValue;
    String headerPattern;
    String cookie;
    final Map<String, String> matchHeaders = new LinkedHashMap<>();
  }

  /** A route's mirror. */
  static final class Mirror {
    final List<String> backends = new ArrayList<>();
    double percent = 100;
    final Map<String, String> setHeaders = new LinkedHashMap<>();
  }
}
