package dev.tandem.proxy.importer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ingress manifests for ingress-nginx as a Tandem configuration: one route per host and path of each main Ingress,
 * the canary Ingress of the same host and path as its canary, and the {@code mirror} of its snippets as its mirror.
 */
public final class IngressNginxImport {

  static final String PREFIX = "nginx.ingress.kubernetes.io/";
  private static final Map<String, String> REASONS = Map.ofEntries(
      Map.entry("rewrite-target", "Tandem forwards the path as it was received (a shadow's path can be rewritten"
          + " with mirror.rewrite)"),
      Map.entry("app-root", "Tandem does not redirect; keep the redirect in front of it or in the service"),
      Map.entry("ssl-redirect", "Tandem does not redirect to HTTPS; the load balancer in front of it should"),
      Map.entry("force-ssl-redirect", "Tandem does not redirect to HTTPS; the load balancer in front of it should"),
      Map.entry("permanent-redirect", "Tandem does not redirect"),
      Map.entry("temporal-redirect", "Tandem does not redirect"),
      Map.entry("proxy-connect-timeout", "set connectTimeout on the backend in backends: (Tandem's timeouts are per"
          + " backend)"),
      Map.entry("proxy-read-timeout", "set timeout on the backend in backends: (Tandem's timeouts are per backend)"),
      Map.entry("proxy-send-timeout", "set timeout on the backend in backends: (Tandem's timeouts are per backend)"),
      Map.entry("upstream-vhost", "set hostHeader on the backend in backends:"),
      Map.entry("whitelist-source-range", "Tandem does not filter clients by address"),
      Map.entry("allowlist-source-range", "Tandem does not filter clients by address"),
      Map.entry("enable-cors", "Tandem does not answer CORS preflights; the service must"),
      Map.entry("affinity", "Tandem keeps users on one side of the canary with its own sticky cookie, not on one pod"),
      Map.entry("session-cookie-name", "Tandem keeps users on one side of the canary with its own sticky cookie"),
      Map.entry("use-regex", "Tandem matches paths by prefix, not by regex"));
  /** For mirror_set_header: NGINX has no such directive (nginx -t: unknown directive "mirror_set_header"). */
  private static final String NOT_NGINX = "not a directive of NGINX; use proxy_set_header inside the mirror location,"
      + " which is carried over";

  private final List<Manifest> manifests;
  private final ServiceUrls services;
  private final Draft draft = new Draft("import ingress-nginx");
  /** Locations of every server-snippet, by URI, for the mirror directives that name them. */
  private final Map<String, Location> locations = new LinkedHashMap<>();

  private IngressNginxImport(List<Manifest> manifests) {
    this.manifests = manifests;
    this.services = new ServiceUrls(manifests);
  }

  /** The draft made from every Ingress in {@code manifests} (which has at least one). */
  public static Draft of(List<Manifest> manifests) {
    return new IngressNginxImport(manifests).run();
  }

  private record Entry(Manifest ingress, String host, String path, String pathType, JsonNode backend) {
    String key() {
      return (host == null ? "*" : host) + " " + path;
    }

    String where() {
      return (host == null ? "any host" : "host " + host) + ", path " + path + " (" + pathType + ")";
    }
  }

  private record Location(Manifest ingress, NginxSnippet.Directive block) {
  }

  /** What a main Ingress's annotations say for each of its routes. */
  private static final class Settings {
    String scheme = "http";
    String maxBodyBytes;
    Draft.Mirror mirror;
  }

  private Draft run() {
    List<Manifest> ingresses = manifests.stream().filter(m -> m.kind().equals("Ingress")).toList();
    List<Manifest> mains = ingresses.stream().filter(m -> !isCanary(m)).toList();
    for (Manifest m : ingresses) {
      draft.sources.add(m.file() + ": " + m.object() + (isCanary(m) ? " (canary)" : ""));
    }
    Map<Manifest, List<NginxSnippet.Directive>> serverSnippets = new HashMap<>();
    for (Manifest m : mains) {
      List<NginxSnippet.Directive> server = snippet(m, "server-snippet");
      serverSnippets.put(m, server);
      for (NginxSnippet.Directive d : server) {
        if (d.name().equals("location") && d.block() != null) {
          locations.putIfAbsent(d.args().get(d.args().size() - 1), new Location(m, d));
        }
      }
    }
    Map<String, Draft.Route> byKey = new LinkedHashMap<>();
    Map<Draft.Route, String> scheme = new HashMap<>();
    Set<Location> used = new HashSet<>();
    for (Manifest m : mains) {
      Settings s = settings(m, serverSnippets.get(m), used);
      if (!m.node().path("spec").path("tls").isEmpty()) {
        draft.notCarried(m, "spec.tls", "Tandem does not read certificates from Secrets; terminate TLS in front of"
            + " it, or give it server.tls: { cert, key } from the mounted Secret");
      }
      for (Entry e : entries(m)) {
        if (byKey.containsKey(e.key())) {
          draft.notCarried(m, e.where(), "another Ingress already routes it (ingress-nginx takes the oldest)");
          continue;
        }
        String backend = backend(e, s.scheme);
        if (backend == null) {
          continue;
        }
        Draft.Route r = draft.route(m.name() + (e.path().equals("/") ? "" : "-" + e.path()));
        r.comments.add(m.object() + ": " + e.where());
        r.hosts = e.host() == null ? List.of() : List.of(e.host());
        r.pathPrefix = e.path();
        r.primary = backend;
        r.maxBodyBytes = s.maxBodyBytes;
        r.mirror = s.mirror;
        if (e.pathType().equals("Exact")) {
          r.exact = true;
          if (!e.path().equals("/")) {
            draft.notCarried(m, "pathType Exact of " + e.path(), "Tandem matches path prefixes: imported as pathPrefix "
                + e.path() + ", which also takes " + (e.path().endsWith("/") ? e.path() : e.path() + "/") + "...");
          }
        }
        byKey.put(e.key(), r);
        scheme.put(r, s.scheme);
      }
    }
    for (Manifest c : ingresses.stream().filter(IngressNginxImport::isCanary).toList()) {
      Draft.Canary settings = CanaryAnnotations.read(draft, c);
      for (Entry e : entries(c)) {
        Draft.Route r = byKey.get(e.key());
        if (r == null) {
          draft.notCarried(c, e.where(), "no main Ingress routes the same host and path, and ingress-nginx uses a"
              + " canary Ingress only beside one");
          continue;
        }
        if (r.canary != null) {
          draft.notCarried(c, e.where(), "route " + r.name + " has a canary already; ingress-nginx takes one canary"
              + " Ingress per host and path");
          continue;
        }
        String backend = backend(e, scheme.get(r));
        if (backend == null) {
          continue;
        }
        Draft.Canary canary = CanaryAnnotations.copy(settings);
        canary.backend = backend;
        r.canary = canary;
        r.comments.add("canary: " + c.object());
      }
    }
    for (Location l : locations.values()) {
      if (!used.contains(l)) {
        draft.notCarried(l.ingress(), "location " + String.join(" ", l.block().args()) + " in server-snippet",
            "Tandem has no locations of its own; only a location that a mirror directive names is carried over");
      }
    }
    draft.sortRoutes();
    return draft;
  }

  static boolean isCanary(Manifest m) {
    return "true".equalsIgnoreCase(m.annotation(PREFIX + "canary"));
  }

  private List<Entry> entries(Manifest m) {
    List<Entry> out = new ArrayList<>();
    JsonNode spec = m.node().path("spec");
    for (JsonNode rule : spec.path("rules")) {
      String host = rule.hasNonNull("host") ? rule.get("host").asText().toLowerCase(Locale.ROOT) : null;
      for (JsonNode p : rule.path("http").path("paths")) {
        String path = p.path("path").asText("/");
        String type = p.path("pathType").asText("ImplementationSpecific");
        if (!path.startsWith("/")) {
          draft.notCarried(m, "path " + path, "a path must start with '/'");
          continue;
        }
        if (!type.equals("Prefix") && !type.equals("Exact") && !type.equals("ImplementationSpecific")) {
          draft.notCarried(m, "pathType " + type + " of " + path, "not a pathType of networking.k8s.io/v1");
          continue;
        }
        if (path.length() > 1 && path.matches(".*[\\^$*+?()\\[\\]{}|\\\\].*")) {
          draft.notCarried(m, "path " + path, "a regex path; Tandem matches path prefixes, not regexes");
          continue;
        }
        if (type.equals("Prefix") && path.length() > 1) {
          // Kubernetes' Prefix matches whole segments with or without a final '/', as Tandem's pathPrefix does.
          path = path.replaceAll("/+$", "");
          path = path.isEmpty() ? "/" : path;
        }
        out.add(new Entry(m, host, path, type, p.path("backend")));
      }
    }
    JsonNode fallback = spec.has("defaultBackend") ? spec.get("defaultBackend") : spec.get("backend");
    if (fallback != null && !fallback.isNull()) {
      out.add(new Entry(m, null, "/", "defaultBackend", fallback));
    }
    if (out.isEmpty() && !spec.path("rules").isEmpty()) {
      draft.notCarried(m, "spec.rules", "no rule has http paths");
    }
    return out;
  }

  private String backend(Entry e, String scheme) {
    JsonNode b = e.backend();
    String item = "backend of " + e.where();
    if (b.has("resource")) {
      draft.notCarried(e.ingress(), item, "a resource backend (not a Service) has no URL to proxy to");
      return null;
    }
    JsonNode service = b.path("service");
    if (service.isObject()) {
      JsonNode port = service.path("port");
      return services.backend(draft, e.ingress(), item, scheme, e.ingress().namespace(),
          service.path("name").asText(null), port.hasNonNull("number") ? port.get("number").asText() : null,
          port.hasNonNull("name") ? port.get("name").asText() : null);
    }
    // extensions/v1beta1 and networking.k8s.io/v1beta1: serviceName and servicePort (a number or a name).
    JsonNode port = b.path("servicePort");
    return services.backend(draft, e.ingress(), item, scheme, e.ingress().namespace(),
        b.path("serviceName").asText(null), port.isNumber() || port.asText().matches("[0-9]+") ? port.asText() : null,
        port.isTextual() ? port.asText() : null);
  }

  private Settings settings(Manifest m, List<NginxSnippet.Directive> serverSnippet, Set<Location> used) {
    Settings s = new Settings();
    List<String> mirrorUris = new ArrayList<>();
    String mirrorTarget = null;
    boolean requestBody = true;
    for (Map.Entry<String, String> a : annotations(m).entrySet()) {
      String key = a.getKey().substring(PREFIX.length());
      String value = a.getValue();
      String item = "annotation " + a.getKey();
      switch (key) {
        case "canary" -> {
        }
        case "configuration-snippet" -> {
          for (NginxSnippet.Directive d : snippet(m, "configuration-snippet")) {
            requestBody &= mirrorDirective(m, "configuration-snippet", d, mirrorUris);
          }
        }
        case "server-snippet" -> {
          for (NginxSnippet.Directive d : serverSnippet) {
            if (!d.name().equals("location")) {
              requestBody &= mirrorDirective(m, "server-snippet", d, mirrorUris);
            }
          }
        }
        case "mirror-uri" -> mirrorUris.add(value.trim());
        case "mirror-target" -> mirrorTarget = value.trim();
        case "mirror-request-body" -> requestBody &= !value.trim().equalsIgnoreCase("off");
        case "mirror-host" -> draft.notCarried(m, item, "the copy keeps the client's Host; set hostHeader on the"
            + " shadow's backend in backends: to send " + value.trim());
        case "backend-protocol" -> {
          switch (value.trim().toUpperCase(Locale.ROOT)) {
            case "HTTP" -> s.scheme = "http";
            case "HTTPS" -> s.scheme = "https";
            default -> draft.notCarried(m, item, "Tandem proxies HTTP and HTTPS backends only, not " + value.trim());
          }
        }
        case "proxy-body-size" -> s.maxBodyBytes = bodySize(m, item, value.trim());
        default -> draft.notCarried(m, item, key.startsWith("canary-")
            ? "ingress-nginx ignores it on an Ingress without canary: \"true\""
            : REASONS.getOrDefault(key, "Tandem has no equivalent"));
      }
    }
    List<String> shadows = new ArrayList<>();
    Map<String, String> headers = new LinkedHashMap<>();
    for (String uri : mirrorUris) {
      Location l = locations.get(uri);
      if (l == null) {
        draft.notCarried(m, "mirror " + uri, "no location " + uri + " in a server-snippet says where the copies go");
        continue;
      }
      used.add(l);
      String proxyPass = null;
      for (NginxSnippet.Directive d : l.block().block()) {
        String item = "directive '" + d.text() + "' in location " + uri;
        switch (d.name()) {
          case "internal" -> {
          }
          case "proxy_pass" -> proxyPass = d.arg(0);
          case "proxy_set_header" -> {
            if (d.arg(0).equalsIgnoreCase("Host")) {
              draft.notCarried(l.ingress(), item, "the copy keeps the client's Host; set hostHeader on the shadow's"
                  + " backend in backends:");
            } else if (d.arg(1).contains("$")) {
              draft.notCarried(l.ingress(), item, "Tandem sets fixed header values only (mirror.setHeaders)");
            } else {
              headers.put(d.arg(0), d.arg(1));
            }
          }
          case "mirror_set_header" -> draft.notCarried(l.ingress(), item, NOT_NGINX);
          case "proxy_pass_request_body" -> {
            if (d.arg(0).equalsIgnoreCase("off")) {
              draft.notCarried(l.ingress(), item, "Tandem copies the request body with it");
            }
          }
          default -> draft.notCarried(l.ingress(), item, "Tandem has no equivalent in a mirror");
        }
      }
      if (proxyPass == null) {
        draft.notCarried(l.ingress(), "location " + uri, "has no proxy_pass to say where the copies go");
        continue;
      }
      String b = MirrorTargets.backend(draft, l.ingress(), "proxy_pass " + proxyPass + " in location " + uri, proxyPass);
      if (b != null && !shadows.contains(b)) {
        shadows.add(b);
      }
    }
    if (mirrorTarget != null) {
      String b = MirrorTargets.backend(draft, m, "annotation " + PREFIX + "mirror-target", mirrorTarget);
      if (b != null && !shadows.contains(b)) {
        shadows.add(b);
      }
    }
    if (!shadows.isEmpty() && !requestBody) {
      draft.notCarried(m, "mirror_request_body off", "Tandem copies the request body with it (up to"
          + " mirror.maxBodyBytes); set mirror.methods: [GET, HEAD] to copy only requests without one");
    }
    if (!shadows.isEmpty()) {
      s.mirror = new Draft.Mirror();
      s.mirror.backends.addAll(shadows);
      s.mirror.setHeaders.putAll(headers);
    }
    return s;
  }

  /** A directive of a snippet outside a location; false when it turns the mirror's request body off. */
  private boolean mirrorDirective(Manifest m, String annotation, NginxSnippet.Directive d, List<String> uris) {
    switch (d.name()) {
      case "mirror" -> {
        if (!d.arg(0).equals("off")) {
          uris.add(d.arg(0));
        }
      }
      case "mirror_request_body" -> {
        return !d.arg(0).equalsIgnoreCase("off");
      }
      case "mirror_set_header" -> draft.notCarried(m, "directive '" + d.text() + "' in " + annotation, NOT_NGINX);
      default -> draft.notCarried(m, "directive '" + d.text() + "' in " + annotation,
          "Tandem has no equivalent");
    }
    return true;
  }

  private String bodySize(Manifest m, String item, String value) {
    Matcher x = Pattern.compile("([0-9]{1,12})([kKmMgG]?)").matcher(value);
    if (!x.matches()) {
      draft.notCarried(m, item, "not a size such as 8m: '" + value + "'");
      return null;
    }
    if (Long.parseLong(x.group(1)) == 0) {
      draft.notCarried(m, item, "0 (no limit): Tandem always has one, server.maxBodyBytes (100MB by default)");
      return null;
    }
    return x.group(1) + switch (x.group(2).toLowerCase(Locale.ROOT)) {
      case "k" -> "KB";
      case "m" -> "MB";
      case "g" -> "GB";
      default -> "";
    };
  }

  private List<NginxSnippet.Directive> snippet(Manifest m, String annotation) {
    String text = m.annotation(PREFIX + annotation);
    if (text == null) {
      return List.of();
    }
    try {
      return NginxSnippet.parse(text);
    } catch (IllegalArgumentException e) {
      draft.notCarried(m, "annotation " + PREFIX + annotation, "cannot be read as NGINX directives: "
          + e.getMessage());
      return List.of();
    }
  }

  static Map<String, String> annotations(Manifest m) {
    Map<String, String> out = new LinkedHashMap<>();
    m.node().path("metadata").path("annotations").fields().forEachRemaining(e -> {
      if (e.getKey().startsWith(PREFIX)) {
        out.put(e.getKey(), e.getValue().asText());
      }
    });
    return out;
  }
}
