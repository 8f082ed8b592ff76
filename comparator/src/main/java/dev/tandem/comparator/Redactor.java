package dev.tandem.comparator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Replaces secrets before anything is stored: the values of chosen headers (Authorization, Cookie, Set-Cookie by
 * default) and of chosen JSON body paths become {@code redacted:<hash>}, a stable hash, so that two samples with the
 * same secret still look alike and nothing readable is kept.
 */
public final class Redactor {

  public static final Set<String> DEFAULT_HEADERS = Set.of("authorization", "cookie", "set-cookie",
      "proxy-authorization", "x-api-key");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Set<String> headers;
  private final List<PathPattern> jsonPaths;
  private final Set<String> queryParams;

  public Redactor(Set<String> headers, List<PathPattern> jsonPaths) {
    this(headers, jsonPaths, Set.of());
  }

  /** @param queryParams query parameters whose values are hashed, by exact name */
  public Redactor(Set<String> headers, List<PathPattern> jsonPaths, Set<String> queryParams) {
    this.headers = headers.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.toSet());
    this.jsonPaths = List.copyOf(jsonPaths);
    this.queryParams = Set.copyOf(queryParams);
  }

  /** The path and query with the values of the configured query parameters hashed; the rest byte for byte. */
  public String uri(String uri) {
    int q = uri.indexOf('?');
    if (queryParams.isEmpty() || q < 0) {
      return uri;
    }
    StringBuilder out = new StringBuilder(uri.length() + 16).append(uri, 0, q + 1);
    String[] pairs = uri.substring(q + 1).split("&", -1);
    for (int i = 0; i < pairs.length; i++) {
      String pair = pairs[i];
      int eq = pair.indexOf('=');
      String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      if (i > 0) {
        out.append('&');
      }
      if (eq >= 0 && queryParams.contains(name)) {
        out.append(pair, 0, eq + 1).append(hash(pair.substring(eq + 1)));
      } else {
        out.append(pair);
      }
    }
    return out.toString();
  }

  public static Redactor defaults() {
    return new Redactor(DEFAULT_HEADERS, List.of());
  }

  public List<Map.Entry<String, String>> headers(List<Map.Entry<String, String>> in) {
    List<Map.Entry<String, String>> out = new ArrayList<>(in.size());
    for (Map.Entry<String, String> h : in) {
      out.add(headers.contains(h.getKey().toLowerCase(Locale.ROOT))
          ? new AbstractMap.SimpleImmutableEntry<>(h.getKey(), hash(h.getValue())) : h);
    }
    return out;
  }

  /** The body with configured JSON paths redacted; other bodies as they are. */
  public byte[] body(byte[] body) {
    if (jsonPaths.isEmpty() || body == null || body.length == 0) {
      return body;
    }
    try {
      JsonNode tree = JSON.readTree(body);
      if (tree == null || !tree.isContainerNode()) {
        return body;
      }
      redact(tree, new ArrayList<>());
      return JSON.writeValueAsBytes(tree);
    } catch (java.io.IOException e) {
      return body;
    }
  }

  private void redact(JsonNode node, List<String> path) {
    if (node.isObject()) {
      ObjectNode o = (ObjectNode) node;
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String k : names) {
        path.add(k);
        if (matches(path)) {
          o.set(k, TextNode.valueOf(hash(o.get(k).toString())));
        } else {
          redact(o.get(k), path);
        }
        path.remove(path.size() - 1);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        path.add(Integer.toString(i));
        redact(node.get(i), path);
        path.remove(path.size() - 1);
      }
    }
  }

  /** Whether a difference at the JSON Pointer {@code pointer} is a secret whose values must not be kept. */
  public boolean redacts(String pointer) {
    return !jsonPaths.isEmpty() && pointer.startsWith("/") && matches(PathPattern.split(pointer));
  }

  private boolean matches(List<String> path) {
    for (PathPattern p : jsonPaths) {
      if (p.matches(path)) {
        return true;
      }
    }
    return false;
  }

  public static String hash(String value) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return "redacted:" + HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
