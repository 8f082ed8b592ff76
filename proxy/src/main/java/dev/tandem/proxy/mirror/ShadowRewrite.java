package dev.tandem.proxy.mirror;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites the request target for the shadow, so that a candidate with another API version can be compared: a path
 * prefix replaced ({@code /api/v1} → {@code /api/v2}), query parameters set or removed. The primary's request and
 * {@code X-Original-URI} keep the original. Parameters not named are passed byte for byte, in order.
 *
 * @param fromPrefix  the path prefix to replace; null for none
 * @param toPrefix    its replacement
 * @param setQuery    parameters set (replacing any value the client sent)
 * @param removeQuery parameters removed
 */
public record ShadowRewrite(String fromPrefix, String toPrefix, Map<String, String> setQuery, Set<String> removeQuery) {

  public static final ShadowRewrite NONE = new ShadowRewrite(null, null, Map.of(), Set.of());

  public ShadowRewrite {
    setQuery = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(setQuery));
    removeQuery = Set.copyOf(removeQuery);
  }

  public boolean isNone() {
    return fromPrefix == null && setQuery.isEmpty() && removeQuery.isEmpty();
  }

  public String apply(String uri) {
    if (isNone()) {
      return uri;
    }
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    String query = q < 0 ? "" : uri.substring(q + 1);
    if (fromPrefix != null && (path.equals(fromPrefix) || path.startsWith(fromPrefix.endsWith("/") ? fromPrefix
        : fromPrefix + "/"))) {
      path = toPrefix + path.substring(fromPrefix.length());
      if (path.isEmpty()) {
        path = "/";
      }
    }
    List<String> params = new ArrayList<>();
    if (!query.isEmpty()) {
      for (String p : query.split("&", -1)) {
        int eq = p.indexOf('=');
        String name = URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8);
        if (!removeQuery.contains(name) && !setQuery.containsKey(name)) {
          params.add(p);
        }
      }
    }
    setQuery.forEach((name, value) -> params.add(URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
        + URLEncoder.encode(value, StandardCharsets.UTF_8)));
    return params.isEmpty() ? path : path + "?" + String.join("&", params);
  }
}
