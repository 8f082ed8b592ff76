package dev.tandem.proxy.importer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Gateway API HTTPRoutes as a Tandem configuration: one route per hostnames, path and method; of a rule's weighted
 * backendRefs the heaviest is the primary and the next the canary, its weight their share; a RequestMirror filter
 * is the mirror; a rule whose header match sends requests to the canary alone is the canary's opt-in.
 */
public final class HttpRouteImport {

  private final ServiceUrls services;
  private final Draft draft = new Draft("import httproute");

  private HttpRouteImport(List<Manifest> manifests) {
    this.services = new ServiceUrls(manifests);
  }

  /** The draft made from every HTTPRoute in {@code manifests} (which has at least one). */
  public static Draft of(List<Manifest> manifests) {
    HttpRouteImport i = new HttpRouteImport(manifests);
    for (Manifest m : manifests) {
      if (m.kind().equals("HTTPRoute")) {
        i.route(m);
      }
    }
    i.draft.sortRoutes();
    return i.draft;
  }

  private record Backend(String name, long weight) {
  }

  /** One match of a rule, with what the rule does. */
  private record Match(int rule, String path, boolean exact, String method, List<JsonNode> headers,
                       List<Backend> backends, Draft.Mirror mirror) {
    String key() {
      return (exact ? "= " : "") + path + " " + (method == null ? "*" : method);
    }

    String where() {
      return "rules[" + rule + "] (" + (exact ? "Exact " : "PathPrefix ") + path + (method == null ? "" : " " + method)
          + ")";
    }
  }

  private void route(Manifest m) {
    draft.sources.add(m.file() + ": " + m.object());
    JsonNode spec = m.node().path("spec");
    List<String> hosts = new ArrayList<>();
    for (JsonNode h : spec.path("hostnames")) {
      hosts.add(h.asText().toLowerCase(Locale.ROOT));
    }
    List<Match> matches = new ArrayList<>();
    JsonNode rules = spec.path("rules");
    for (int i = 0; i < rules.size(); i++) {
      JsonNode rule = rules.get(i);
      String where = "rules[" + i + "]";
      List<Backend> backends = backends(m, where, rule.path("backendRefs"));
      if (backends.isEmpty()) {
        draft.notCarried(m, where, "no Service backendRef to send requests to (the Gateway answers 500)");
        continue;
      }
      Draft.Mirror mirror = filters(m, where, rule.path("filters"));
      rule.fieldNames().forEachRemaining(field -> {
        if (!Set.of("matches", "filters", "backendRefs", "name").contains(field)) {
          draft.notCarried(m, where + "." + field, field.equals("timeouts")
              ? "set timeout on the backends in backends: (Tandem's timeouts are per backend)"
              : "Tandem has no equivalent");
        }
      });
      JsonNode ms = rule.path("matches");
      if (ms.isEmpty()) {
        matches.add(new Match(i, "/", false, null, List.of(), backends, mirror));
      }
      for (int j = 0; j < ms.size(); j++) {
        Match x = match(m, i, where + ".matches[" + j + "]", ms.get(j), backends, mirror);
        if (x != null) {
          matches.add(x);
        }
      }
    }
    Map<String, Draft.Route> byKey = new LinkedHashMap<>();
    for (Match x : matches) {
      if (!x.headers().isEmpty()) {
        continue;
      }
      if (byKey.containsKey(x.key())) {
        draft.notCarried(m, x.where(), "an earlier rule has the same match, and the Gateway takes the first");
        continue;
      }
      Draft.Route r = draft.route(m.name() + (x.path().equals("/") ? "" : "-" + x.path())
          + (x.method() == null ? "" : "-" + x.method()));
      r.comments.add(m.object() + ": " + x.where());
      r.hosts = hosts;
      r.pathPrefix = x.path();
      r.exact = x.exact();
      if (x.method() != null) {
        r.methods.add(x.method());
      }
      r.primary = x.backends().get(0).name();
      if (x.backends().size() > 1) {
        Backend p = x.backends().get(0);
        Backend c = x.backends().get(1);
        r.canary = new Draft.Canary();
        r.canary.backend = c.name();
        r.canary.weight = p.weight() + c.weight() == 0 ? 0
            : Math.rint(c.weight() * 100.0 / (p.weight() + c.weight()) * 100) / 100;
        r.canary.weightComment = "backendRefs weights " + p.weight() + " and " + c.weight();
      }
      r.mirror = x.mirror();
      byKey.put(x.key(), r);
    }
    for (Match x : matches) {
      if (!x.headers().isEmpty()) {
        optIn(m, x, byKey.get(x.key()));
      }
    }
  }

  /** A header match sending its requests to one backend: the canary's opt-in when that backend is the canary. */
  private void optIn(Manifest m, Match x, Draft.Route base) {
    String item = x.where() + " header match";
    if (base == null) {
      draft.notCarried(m, item, "Tandem routes by host, path and method only; a header can only opt requests in to"
          + " a route's canary, and no rule without headers routes " + x.path());
      return;
    }
    if (x.backends().size() != 1) {
      draft.notCarried(m, item, "its requests are split between backends; a Tandem header opt-in sends them all to"
          + " the canary");
      return;
    }
    if (x.headers().size() > 1) {
      draft.notCarried(m, item, "all of its " + x.headers().size() + " headers must match; Tandem's"
          + " canary.matchHeaders take a request on any one of them");
      return;
    }
    String target = x.backends().get(0).name();
    if (target.equals(base.primary) && base.canary == null) {
      return;
    }
    if (target.equals(base.primary)) {
      draft.notCarried(m, item, "it keeps its requests on the primary, and Tandem's header opt-out is only the"
          + " value 'never' of the canary header");
      return;
    }
    if (base.canary == null) {
      base.canary = new Draft.Canary();
      base.canary.backend = target;
      base.canary.weightComment = "no weighted share: only requests with the header go to the canary";
    } else if (!base.canary.backend.equals(target)) {
      draft.notCarried(m, item, "it sends requests to " + target + ", a third backend beside route " + base.name
          + "'s primary and canary");
      return;
    }
    JsonNode h = x.headers().get(0);
    String name = h.path("name").asText();
    String value = h.path("value").asText();
    String type = h.path("type").asText("Exact");
    String regex;
    if (type.equals("Exact")) {
      regex = "^" + value.replaceAll("[\\\\.\\[\\]{}()<>*+\\-=!?^$|]", "\\\\$0") + "$";
    } else if (type.equals("RegularExpression")) {
      try {
        Pattern.compile(value);
      } catch (PatternSyntaxException e) {
        draft.notCarried(m, item, "not a regex Tandem can read: " + e.getDescription());
        return;
      }
      regex = value;
    } else {
      draft.notCarried(m, item, "match type " + type + " is not Exact or RegularExpression");
      return;
    }
    base.canary.matchHeaders.put(name, regex);
    if (x.mirror() != null && base.mirror == null) {
      draft.notCarried(m, x.where() + " RequestMirror", "Tandem mirrors a whole route, not only its opted-in"
          + " requests");
    }
    base.comments.add("canary opt-in: " + x.where() + ", header " + name + " " + type + " " + value);
  }

  private Match match(Manifest m, int rule, String where, JsonNode match, List<Backend> backends,
                      Draft.Mirror mirror) {
    JsonNode path = match.path("path");
    String type = path.path("type").asText("PathPrefix");
    String value = path.path("value").asText("/");
    if (!value.startsWith("/")) {
      draft.notCarried(m, where + ".path", "a path must start with '/', got '" + value + "'");
      return null;
    }
    boolean exact;
    switch (type) {
      case "PathPrefix" -> exact = false;
      case "Exact" -> {
        exact = true;
        if (!value.equals("/")) {
          draft.notCarried(m, where + ".path Exact " + value, "Tandem matches path prefixes: imported as"
              + " pathPrefix " + value + ", which also takes " + (value.endsWith("/") ? value : value + "/") + "...");
        }
      }
      default -> {
        draft.notCarried(m, where + ".path " + type + " " + value, "Tandem matches path prefixes only");
        return null;
      }
    }
    if (!match.path("queryParams").isEmpty()) {
      draft.notCarried(m, where + ".queryParams", "Tandem does not route by query parameters; the rule is imported"
          + " without them");
    }
    String method = match.hasNonNull("method") ? match.get("method").asText().toUpperCase(Locale.ROOT) : null;
    List<JsonNode> headers = new ArrayList<>();
    match.path("headers").forEach(headers::add);
    // A PathPrefix matches whole segments with or without a final '/', as Tandem's pathPrefix does.
    String trimmed = exact ? value : value.replaceAll("/+$", "");
    return new Match(rule, trimmed.isEmpty() ? "/" : trimmed, exact, method, headers, backends, mirror);
  }

  /** The rule's Service backends, heaviest first (the first listed among equals). */
  private List<Backend> backends(Manifest m, String where, JsonNode refs) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < refs.size(); i++) {
      JsonNode ref = refs.get(i);
      String item = where + ".backendRefs[" + i + "]";
      String b = service(m, item, ref);
      if (b == null) {
        continue;
      }
      for (JsonNode f : ref.path("filters")) {
        draft.notCarried(m, item + " filter " + f.path("type").asText(), "Tandem applies nothing per backend");
      }
      long weight = ref.path("weight").asLong(1);
      out.add(new Backend(b, weight));
    }
    out.sort(Comparator.comparingLong(b -> -b.weight()));
    for (int i = 2; i < out.size(); i++) {
      draft.notCarried(m, where + " backendRef " + out.get(i).name(), "a Tandem route has one primary and one"
          + " canary; the two heaviest backends are kept");
    }
    return out.size() > 2 ? List.copyOf(out.subList(0, 2)) : out;
  }

  private String service(Manifest m, String item, JsonNode ref) {
    String kind = ref.path("kind").asText("Service");
    String group = ref.path("group").asText("");
    if (!kind.equals("Service") || !group.isEmpty()) {
      draft.notCarried(m, item, "a " + kind + " backend (not a Service) has no URL to proxy to");
      return null;
    }
    String namespace = ref.path("namespace").asText(m.namespace());
    JsonNode port = ref.path("port");
    return services.backend(draft, m, item, "http", namespace, ref.path("name").asText(null),
        port.isMissingNode() || port.isNull() ? null : port.asText(), null);
  }

  /** The rule's mirror, if it has one; a line for each other filter. */
  private Draft.Mirror filters(Manifest m, String where, JsonNode filters) {
    Draft.Mirror mirror = null;
    for (int i = 0; i < filters.size(); i++) {
      JsonNode f = filters.get(i);
      String type = f.path("type").asText();
      String item = where + ".filters[" + i + "] " + type;
      if (!type.equals("RequestMirror")) {
        draft.notCarried(m, item, switch (type) {
          case "URLRewrite" -> "Tandem forwards the path as it was received (a shadow's path can be rewritten with"
              + " mirror.rewrite)";
          case "RequestRedirect" -> "Tandem does not redirect";
          case "RequestHeaderModifier" -> "Tandem does not change the primary's request headers (a shadow's, with"
              + " mirror.setHeaders and stripHeaders)";
          case "ResponseHeaderModifier" -> "Tandem does not change response headers";
          default -> "Tandem has no equivalent";
        });
        continue;
      }
      JsonNode rm = f.path("requestMirror");
      String b = service(m, item + " backendRef", rm.path("backendRef"));
      if (b == null) {
        continue;
      }
      double percent = 100;
      if (rm.has("percent")) {
        percent = Math.max(0, Math.min(100, rm.get("percent").asDouble()));
      } else if (rm.has("fraction")) {
        double num = rm.path("fraction").path("numerator").asDouble(0);
        double den = rm.path("fraction").path("denominator").asDouble(100);
        percent = den <= 0 ? 0 : Math.max(0, Math.min(100, Math.rint(num * 100 / den * 100) / 100));
      }
      if (mirror == null) {
        mirror = new Draft.Mirror();
        mirror.percent = percent;
      } else if (mirror.percent != percent) {
        draft.notCarried(m, item, "Tandem mirrors a route's shadows at one percent; " + ConfigWriter.number(
            mirror.percent) + "% from the first RequestMirror applies to this one too");
      }
      if (!mirror.backends.contains(b)) {
        mirror.backends.add(b);
      }
    }
    return mirror;
  }
}
