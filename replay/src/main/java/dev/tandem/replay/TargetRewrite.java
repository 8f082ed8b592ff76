package dev.tandem.replay;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one target gets changed in each request, as GoReplay's {@code --http-set-header} and
 * {@code --http-rewrite-url} do: headers removed, then set (replacing any of the same name), the URL rewritten by
 * the first matching rule, and the Host header replaced.
 *
 * @param host the Host header to send; null keeps the recorded one
 */
public record TargetRewrite(List<Map.Entry<String, String>> setHeaders, Set<String> removeHeaders,
                            List<UrlRule> urlRules, String host) {

  public static final TargetRewrite NONE = new TargetRewrite(List.of(), Set.of(), List.of(), null);

  public TargetRewrite {
    setHeaders = List.copyOf(setHeaders);
    removeHeaders = removeHeaders.stream().map(h -> h.toLowerCase(Locale.ROOT))
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
    urlRules = List.copyOf(urlRules);
  }

  /** {@code pattern} found in the path and query is replaced ({@code $1} refers to groups). */
  public record UrlRule(Pattern pattern, String replacement) {
  }

  public String uri(String uri) {
    for (UrlRule r : urlRules) {
      Matcher m = r.pattern().matcher(uri);
      if (m.find()) {
        return m.replaceFirst(r.replacement());
      }
    }
    return uri;
  }

  public List<Map.Entry<String, String>> headers(List<Map.Entry<String, String>> in) {
    if (setHeaders.isEmpty() && removeHeaders.isEmpty() && host == null) {
      return in;
    }
    List<Map.Entry<String, String>> out = new ArrayList<>(in.size() + setHeaders.size());
    for (Map.Entry<String, String> h : in) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      boolean replaced = removeHeaders.contains(name) || (host != null && name.equals("host"))
          || setHeaders.stream().anyMatch(s -> s.getKey().equalsIgnoreCase(name));
      if (!replaced) {
        out.add(h);
      }
    }
    if (host != null) {
      out.add(new AbstractMap.SimpleImmutableEntry<>("Host", host));
    }
    out.addAll(setHeaders);
    return out;
  }

  public boolean isEmpty() {
    return setHeaders.isEmpty() && removeHeaders.isEmpty() && urlRules.isEmpty() && host == null;
  }
}
