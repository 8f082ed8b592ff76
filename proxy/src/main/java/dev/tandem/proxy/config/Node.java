package dev.tandem.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A position in the configuration tree that reads typed values and reports what is wrong with them under their key
 * path. Reading never throws: a bad value is reported and the default returned, so that one pass finds every
 * problem. {@link #rejectUnknownKeys()} then reports keys that no reader asked for, which catches typos.
 */
final class Node {

  private final JsonNode json;
  private final String path;
  private final Problems problems;
  private final Set<String> read = new LinkedHashSet<>();

  Node(JsonNode json, String path, Problems problems) {
    this.json = json == null ? MissingNode.getInstance() : json;
    this.path = path;
    this.problems = problems;
  }

  String path() {
    return path;
  }

  boolean isPresent() {
    return !json.isMissingNode() && !json.isNull();
  }

  boolean has(String key) {
    read.add(key);
    JsonNode v = json.get(key);
    return v != null && !v.isNull();
  }

  String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  void error(String key, String message) {
    problems.error(pathOf(key), message);
  }

  void error(String message) {
    problems.error(path, message);
  }

  void warn(String key, String message) {
    problems.warn(pathOf(key), message);
  }

  void problemsAt(String somePath, String message) {
    problems.error(somePath, message);
  }

  Node child(String key) {
    read.add(key);
    JsonNode v = json.get(key);
    Node child = new Node(v, pathOf(key), problems);
    if (v != null && !v.isNull() && !v.isObject()) {
      problems.error(child.path, "must be a mapping of keys to values, got " + describe(v));
    }
    return child;
  }

  /** The value at {@code key} whatever its kind, for keys that take either a word or a mapping. */
  Node scalarOrChild(String key) {
    read.add(key);
    return new Node(json.get(key), pathOf(key), problems);
  }

  /** The value itself as text, for nodes that are plain scalars (a backend given as a URL string). */
  String text() {
    return json.isValueNode() ? json.asText() : null;
  }

  boolean isObject() {
    return json.isObject();
  }

  String string(String key, String defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    if (!v.isValueNode()) {
      error(key, "must be a single value, got " + describe(v));
      return defaultValue;
    }
    return v.asText();
  }

  String requiredString(String key) {
    JsonNode v = value(key);
    if (v == null || (v.isTextual() && v.asText().isBlank())) {
      error(key, "is required");
      return null;
    }
    return string(key, null);
  }

  boolean bool(String key, boolean defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    String s = v.asText().trim().toLowerCase(Locale.ROOT);
    if (s.equals("true") || s.equals("false")) {
      return Boolean.parseBoolean(s);
    }
    error(key, "must be true or false, got " + describe(v));
    return defaultValue;
  }

  int integer(String key, int defaultValue, int min, int max) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    long n;
    if (v.isIntegralNumber()) {
      n = v.asLong();
    } else {
      try {
        n = Long.parseLong(v.asText().trim());
      } catch (NumberFormatException e) {
        error(key, "must be a whole number, got " + describe(v));
        return defaultValue;
      }
    }
    if (n < min || n > max) {
      error(key, "must be between " + min + " and " + max + ", got " + n);
      return defaultValue;
    }
    return (int) n;
  }

  /** A percentage 0..100 with at most two decimals, the unit of canary weights and mirror rates. */
  double percent(String key, double defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    String problem = v.isNumber() ? Percent.problem(v.asDouble()) : Percent.problem(v.isValueNode() ? v.asText() : null);
    if (problem != null) {
      error(key, problem.endsWith("100") ? problem + ", got " + describe(v) : problem);
      return defaultValue;
    }
    return v.isNumber() ? v.asDouble() : Double.parseDouble(v.asText().trim());
  }

  Duration duration(String key, Duration defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    if (v.isIntegralNumber()) {
      error(key, "needs a unit, e.g. '" + v.asText() + "ms' or '" + v.asText() + "s'");
      return defaultValue;
    }
    Duration d = Durations.parse(v.asText());
    if (d == null) {
      error(key, "must be a duration such as 500ms, 30s, 5m or 1h, got " + describe(v));
      return defaultValue;
    }
    return d;
  }

  /** A size in bytes: a whole number, or with a unit: {@code 64KB}, {@code 1MB}, {@code 1GB}. */
  long bytes(String key, long defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    String s = v.asText().trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    if (s.endsWith("KB")) {
      unit = 1024;
    } else if (s.endsWith("MB")) {
      unit = 1024 * 1024;
    } else if (s.endsWith("GB")) {
      unit = 1024L * 1024 * 1024;
    }
    String digits = unit == 1 ? (s.endsWith("B") ? s.substring(0, s.length() - 1) : s) : s.substring(0, s.length() - 2);
    try {
      long n = Long.parseLong(digits.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n * unit;
    } catch (NumberFormatException e) {
      error(key, "must be a size such as 65536, 64KB or 1MB, got " + describe(v));
      return defaultValue;
    }
  }

  /** Any finite number, negative too; null (and the problem noted) when it is not one. */
  Double signedNumber(String key) {
    JsonNode v = value(key);
    if (v == null) {
      return null;
    }
    try {
      double d = v.isNumber() ? v.asDouble() : Double.parseDouble(v.asText().trim());
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      error(key, "must be a number, got " + describe(v));
      return null;
    }
  }

  /** A non-negative number, e.g. a rate. */
  double number(String key, double defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    try {
      double d = v.isNumber() ? v.asDouble() : Double.parseDouble(v.asText().trim());
      if (Double.isNaN(d) || d < 0 || Double.isInfinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      error(key, "must be a number of 0 or more, got " + describe(v));
      return defaultValue;
    }
  }

  /** A mapping of names to plain values (headers to set). */
  Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    entries(key).forEach((name, n) -> {
      String t = n.text();
      if (t == null) {
        n.error("must be a single value");
      } else {
        out.put(name, t);
      }
    });
    return out;
  }

  /** A value that must be one of {@code allowed}; compared case-insensitively, returned as written in allowed. */
  String oneOf(String key, String defaultValue, List<String> allowed) {
    String s = string(key, null);
    if (s == null) {
      return defaultValue;
    }
    for (String a : allowed) {
      if (a.equalsIgnoreCase(s.trim())) {
        return a;
      }
    }
    error(key, "must be one of " + String.join(", ", allowed) + ", got '" + s + "'");
    return defaultValue;
  }

  /** A list of plain values; a single value is accepted as a list of one. */
  List<String> strings(String key) {
    JsonNode v = value(key);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (v.isValueNode()) {
      out.add(v.asText());
      return out;
    }
    if (!v.isArray()) {
      error(key, "must be a list of values, got " + describe(v));
      return out;
    }
    for (int i = 0; i < v.size(); i++) {
      JsonNode e = v.get(i);
      if (!e.isValueNode() || e.isNull()) {
        problems.error(pathOf(key) + "[" + i + "]", "must be a single value, got " + describe(e));
      } else {
        out.add(e.asText());
      }
    }
    return out;
  }

  /** The elements of a list of mappings. */
  List<Node> list(String key) {
    JsonNode v = value(key);
    List<Node> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (!v.isArray()) {
      error(key, "must be a list, got " + describe(v));
      return out;
    }
    for (int i = 0; i < v.size(); i++) {
      Node n = new Node(v.get(i), pathOf(key) + "[" + i + "]", problems);
      if (!v.get(i).isObject()) {
        problems.error(n.path, "must be a mapping of keys to values, got " + describe(v.get(i)));
      }
      out.add(n);
    }
    return out;
  }

  /** The entries of a mapping whose keys are names chosen by the user (backends, tokens). */
  Map<String, Node> entries(String key) {
    JsonNode v = value(key);
    Map<String, Node> out = new LinkedHashMap<>();
    if (v == null) {
      return out;
    }
    if (!v.isObject()) {
      error(key, "must be a mapping of names to values, got " + describe(v));
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> it = v.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), new Node(e.getValue(), pathOf(key) + "." + e.getKey(), problems));
    }
    return out;
  }

  /** Reports every key of this mapping that nothing read, suggesting the closest known key. */
  void rejectUnknownKeys() {
    if (!json.isObject()) {
      return;
    }
    Iterator<String> names = json.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!read.contains(name)) {
        String hint = closest(name, read);
        problems.error(pathOf(name), "unknown key" + (hint == null ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
  }

  private JsonNode value(String key) {
    read.add(key);
    JsonNode v = json.get(key);
    return v == null || v.isNull() ? null : v;
  }

  static String describe(JsonNode v) {
    if (v == null || v.isNull()) {
      return "nothing";
    }
    if (v.isObject()) {
      return "a mapping";
    }
    if (v.isArray()) {
      return "a list";
    }
    if (v.isTextual()) {
      return "'" + v.asText() + "'";
    }
    return v.asText();
  }

  private static String closest(String name, Set<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(name.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    return bestDistance <= Math.max(2, name.length() / 3) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
