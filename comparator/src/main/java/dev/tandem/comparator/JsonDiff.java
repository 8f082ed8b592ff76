package dev.tandem.comparator;

import com.fasterxml.jackson.core.io.CharTypes;
import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Walks two Jackson trees side by side and reports every difference with its JSON Pointer and kind, applying the
 * {@link Rules}. Written by hand: the JSON-patch libraries report edits, not differences under rules such as
 * tolerances, canonical timestamps or arrays matched on a key.
 */
public final class JsonDiff {

  /**
   * Whether a key identifies rather than names: all digits, a UUID, or 16 or more hex digits. By hand rather than
   * with a regex, because it runs for every key of every object compared.
   */
  static boolean idLike(String k) {
    int n = k.length();
    if (n == 0) {
      return false;
    }
    boolean digits = true;
    boolean hex = true;
    for (int i = 0; i < n; i++) {
      char c = k.charAt(i);
      boolean d = c >= '0' && c <= '9';
      digits &= d;
      boolean h = d || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      boolean dash = n == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
      if (dash ? c != '-' : !h) {
        hex = false;
        if (!digits) {
          return false;
        }
      }
    }
    return digits || (hex && (n == 36 || n >= 16));
  }
  /** Most differences reported for one pair of bodies; past it, the rest are not listed. */
  static final int MAX_DIFFERENCES = 200;

  private final PathRules paths;
  private final Rules rules;
  /** Every key names a field (a protobuf field number in a gRPC body decoded without its schema), none is an id. */
  private final boolean keysAreNames;
  private final List<Difference> out = new ArrayList<>();
  /*
   * The path of the node being compared, as a stack rather than a list of strings: a key, or (key null) an array
   * index, and whether the key's object counts as a map. Turned into pointers only when a difference is reported.
   */
  private String[] keys = new String[16];
  private int[] indices = new int[16];
  private boolean[] inMap = new boolean[16];
  private int depth;

  private JsonDiff(PathRules paths, boolean keysAreNames) {
    this.paths = paths;
    this.rules = paths.rules();
    this.keysAreNames = keysAreNames;
  }

  /** The differences between {@code primary} and {@code candidate} under {@code rules}. */
  public static List<Difference> diff(JsonNode primary, JsonNode candidate, Rules rules) {
    return diff(primary, candidate, PathRules.of(rules));
  }

  static List<Difference> diff(JsonNode primary, JsonNode candidate, PathRules paths) {
    return diff(primary, candidate, paths, false);
  }

  /** With {@code keysAreNames}, no key counts as {@code *} in fields: not all digits, nor a map's. */
  static List<Difference> diff(JsonNode primary, JsonNode candidate, PathRules paths, boolean keysAreNames) {
    JsonDiff d = new JsonDiff(paths, keysAreNames);
    d.walk(primary, candidate, paths.root());
    return d.out;
  }

  private void push(String key, int index, boolean map) {
    if (depth == keys.length) {
      keys = Arrays.copyOf(keys, depth * 2);
      indices = Arrays.copyOf(indices, depth * 2);
      inMap = Arrays.copyOf(inMap, depth * 2);
    }
    keys[depth] = key;
    indices[depth] = index;
    inMap[depth] = map;
    depth++;
  }

  private void pop() {
    keys[--depth] = null;
  }

  private void report(Difference.Kind kind, JsonNode p, JsonNode c) {
    if (out.size() >= MAX_DIFFERENCES) {
      return;
    }
    out.add(new Difference(pointer(false), pointer(true), kind, json(p), json(c)));
  }

  /**
   * The node as JSON text, exactly as {@code toString()} writes it; scalars by hand, since {@code toString()} sets up
   * a whole serializer for each call.
   */
  static String json(JsonNode n) {
    if (n == null) {
      return null;
    }
    if (n.isTextual()) {
      StringBuilder sb = new StringBuilder(n.textValue().length() + 2).append('"');
      CharTypes.appendQuoted(sb, n.textValue());
      return sb.append('"').toString();
    }
    if (n.isInt() || n.isLong() || n.isBigInteger() || n.isBoolean() || n.isNull()
        || (n.isDouble() && Double.isFinite(n.doubleValue()))) {
      return n.asText();
    }
    return n.toString();
  }

  /** The current path as a JSON Pointer, or as its field (indices and id-like or map keys as {@code *}). */
  private String pointer(boolean field) {
    List<String> segments = new ArrayList<>(depth);
    for (int i = 0; i < depth; i++) {
      String k = keys[i];
      if (k == null) {
        segments.add(field ? "*" : Integer.toString(indices[i]));
      } else {
        segments.add(field && !keysAreNames && (inMap[i] || idLike(k)) ? "*" : k);
      }
    }
    return pointer(segments);
  }

  static String pointer(List<String> segments) {
    if (segments.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (String s : segments) {
      sb.append('/').append(s.replace("~", "~0").replace("/", "~1"));
    }
    return sb.toString();
  }

  private void walk(JsonNode p, JsonNode c, PathRules.State at) {
    if (at.ignored) {
      return;
    }
    Rules.Matcher m = at.matcher;
    if (m != null) {
      boolean holds = m.regex() == null
          || (p.isValueNode() && c.isValueNode() && m.regex().matcher(p.asText()).find()
              && m.regex().matcher(c.asText()).find());
      if (!holds) {
        report(Difference.Kind.MATCHER, p, c);
      }
      return;
    }
    if (p.isObject() && c.isObject()) {
      objects(p, c, at);
    } else if (p.isArray() && c.isArray()) {
      arrays(p, c, at);
    } else if (p.isNumber() && c.isNumber()) {
      if (!numbersEqual(p, c, at.tolerance)) {
        report(Difference.Kind.VALUE, p, c);
      }
    } else if (p.isTextual() && c.isTextual()) {
      if (!textEqual(p.textValue(), c.textValue(), at.caseInsensitive)) {
        report(Difference.Kind.VALUE, p, c);
      }
    } else if (p.isBoolean() && c.isBoolean()) {
      if (p.booleanValue() != c.booleanValue()) {
        report(Difference.Kind.VALUE, p, c);
      }
    } else if (p.isNull() && c.isNull()) {
      return;
    } else {
      report(Difference.Kind.TYPE, p, c);
    }
  }

  /** The primary's keys in its order, then the candidate's keys the primary lacks, in the candidate's order. */
  private void objects(JsonNode p, JsonNode c, PathRules.State at) {
    boolean map = !keysAreNames && isMap(p, c);
    for (Map.Entry<String, JsonNode> e : p.properties()) {
      String k = e.getKey();
      PathRules.State child = at.child(k);
      if (child.ignored) {
        continue;
      }
      JsonNode pv = e.getValue();
      JsonNode cv = c.get(k);
      push(k, 0, map);
      if (cv == null) {
        if (!(rules.nullEqualsMissing() && pv.isNull())) {
          report(Difference.Kind.MISSING, pv, null);
        }
      } else {
        walk(pv, cv, child);
      }
      pop();
    }
    for (Map.Entry<String, JsonNode> e : c.properties()) {
      String k = e.getKey();
      if (p.get(k) == null && !at.child(k).ignored) {
        push(k, 0, map);
        if (!(rules.nullEqualsMissing() && e.getValue().isNull())) {
          report(Difference.Kind.EXTRA, null, e.getValue());
        }
        pop();
      }
    }
  }

  /** Whether the two objects have more keys together than {@code mapKeyThreshold}. */
  private boolean isMap(JsonNode p, JsonNode c) {
    int threshold = rules.mapKeyThreshold();
    if (p.size() + c.size() <= threshold) {
      return false;
    }
    int keys = p.size();
    for (Iterator<String> it = c.fieldNames(); it.hasNext() && keys <= threshold; ) {
      if (p.get(it.next()) == null) {
        keys++;
      }
    }
    return keys > threshold;
  }

  private void arrays(JsonNode p, JsonNode c, PathRules.State at) {
    String key = at.arrayKey;
    if (key != null) {
      byKey(p, c, key, at);
      return;
    }
    List<JsonNode> ps = elements(p);
    List<JsonNode> cs = elements(c);
    if (at.unordered) {
      ps = canonicalOrder(ps);
      cs = canonicalOrder(cs);
    } else if (ps.size() == cs.size() && !ps.equals(cs) && sameElements(ps, cs)) {
      report(Difference.Kind.ORDER, p, c);
      return;
    }
    if (ps.size() != cs.size()) {
      out.add(new Difference(pointer(false), pointer(true), Difference.Kind.ARRAY_LENGTH,
          Integer.toString(ps.size()), Integer.toString(cs.size())));
    }
    int n = Math.min(ps.size(), cs.size());
    for (int i = 0; i < n; i++) {
      push(null, i, false);
      walk(ps.get(i), cs.get(i), at.index(i));
      pop();
    }
  }

  /** Elements matched on the value of {@code key}: each pair compared, the unmatched reported missing or extra. */
  private void byKey(JsonNode p, JsonNode c, String key, PathRules.State at) {
    // The last candidate with a key wins, and the unmatched are reported in this map's order, as they always were.
    Map<String, Integer> candidates = new HashMap<>();
    for (int i = 0; i < c.size(); i++) {
      JsonNode k = c.get(i).get(key);
      if (k != null) {
        candidates.put(k.asText(), i);
      }
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < p.size(); i++) {
      JsonNode element = p.get(i);
      JsonNode k = element.get(key);
      push(null, i, false);
      Integer match = k == null ? null : candidates.get(k.asText());
      if (match == null) {
        report(Difference.Kind.MISSING, element, null);
      } else {
        seen.add(k.asText());
        walk(element, c.get(match), at.index(i));
      }
      pop();
    }
    for (Map.Entry<String, Integer> e : candidates.entrySet()) {
      if (!seen.contains(e.getKey())) {
        push(null, e.getValue(), false);
        report(Difference.Kind.EXTRA, null, c.get(e.getValue()));
        pop();
      }
    }
  }

  private static List<JsonNode> elements(JsonNode array) {
    List<JsonNode> out = new ArrayList<>(array.size());
    Iterator<JsonNode> it = array.elements();
    while (it.hasNext()) {
      out.add(it.next());
    }
    return out;
  }

  /** The elements sorted by their JSON text, each text written once. */
  private static List<JsonNode> canonicalOrder(List<JsonNode> elements) {
    List<Map.Entry<String, JsonNode>> keyed = new ArrayList<>(elements.size());
    for (JsonNode e : elements) {
      keyed.add(new AbstractMap.SimpleImmutableEntry<>(json(e), e));
    }
    keyed.sort(Map.Entry.comparingByKey());
    List<JsonNode> out = new ArrayList<>(keyed.size());
    keyed.forEach(e -> out.add(e.getValue()));
    return out;
  }

  private static boolean sameElements(List<JsonNode> a, List<JsonNode> b) {
    List<String> x = new ArrayList<>(a.stream().map(JsonDiff::json).toList());
    List<String> y = new ArrayList<>(b.stream().map(JsonDiff::json).toList());
    x.sort(null);
    y.sort(null);
    return x.equals(y);
  }

  /** Two ints, or two doubles, that are equal need no BigDecimal; anything else is compared as decimals. */
  private static boolean numbersEqual(JsonNode p, JsonNode c, Rules.Tolerance t) {
    if (p.isIntegralNumber() && c.isIntegralNumber() && p.canConvertToLong() && c.canConvertToLong()
        && p.longValue() == c.longValue()) {
      return true;
    }
    if (p.isDouble() && c.isDouble() && p.doubleValue() == c.doubleValue() && Double.isFinite(p.doubleValue())) {
      return true;
    }
    return numbersEqual(p.decimalValue(), c.decimalValue(), t);
  }

  static boolean numbersEqual(BigDecimal a, BigDecimal b, Rules.Tolerance t) {
    int cmp = a.compareTo(b);
    if (cmp == 0) {
      return true; // 1 and 1.0 and 1.00 are one number
    }
    double diff = a.subtract(b).abs().doubleValue();
    double larger = Math.max(a.abs().doubleValue(), b.abs().doubleValue());
    return diff <= t.absolute() || diff <= t.relative() * larger;
  }

  private boolean textEqual(String a, String b, boolean caseInsensitive) {
    if (rules.trim()) {
      a = a.strip();
      b = b.strip();
    }
    if (a.equals(b) || (caseInsensitive && a.equalsIgnoreCase(b))) {
      return true;
    }
    if (rules.timestamps()) {
      Instant x = instant(a);
      if (x != null) {
        Instant y = instant(b);
        if (y != null) {
          long precision = Math.max(1, rules.timestampPrecision().toNanos());
          return Math.floorDiv(nanos(x), precision) == Math.floorDiv(nanos(y), precision);
        }
      }
    }
    return false;
  }

  private static long nanos(Instant i) {
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /** The instant an ISO-8601 date-time with an offset or zone names, or null. Cheap rejection first. */
  static Instant instant(String s) {
    if (s.length() < 20 || s.length() > 64 || s.charAt(4) != '-' || s.charAt(10) != 'T') {
      return null;
    }
    Instant fast = rfc3339(s);
    if (fast != null) {
      return fast;
    }
    try {
      return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return ZonedDateTime.parse(s, DateTimeFormatter.ISO_ZONED_DATE_TIME).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  /**
   * The common form {@code 2026-11-02T10:00:00[.123456789](Z|+01:00)} read by hand, or null for anything else (left
   * to the formatters, which accept more). Only values the formatter accepts too, to the same instant.
   */
  static Instant rfc3339(String s) {
    int n = s.length();
    if (s.charAt(7) != '-' || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59 || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
      return null;
    }
    int i = 19;
    int nanos = 0;
    if (i < n && s.charAt(i) == '.') {
      int from = ++i;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        i++;
      }
      int len = i - from;
      if (len < 1 || len > 9) {
        return null;
      }
      nanos = digits(s, from, len);
      for (int k = len; k < 9; k++) {
        nanos *= 10;
      }
    }
    int offset;
    if (i == n - 1 && s.charAt(i) == 'Z') {
      offset = 0;
    } else if (i == n - 6 && (s.charAt(i) == '+' || s.charAt(i) == '-') && s.charAt(i + 3) == ':') {
      int oh = digits(s, i + 1, 2);
      int om = digits(s, i + 4, 2);
      if (oh < 0 || oh > 17 || om < 0 || om > 59) {
        return null;
      }
      offset = (s.charAt(i) == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
      return null;
    }
    long days = java.time.LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(days * 86_400 + hour * 3600 + minute * 60 + second - offset, nanos);
  }

  /** The non-negative number written in {@code len} ASCII digits at {@code from}, or -1. */
  private static int digits(String s, int from, int len) {
    int v = 0;
    for (int i = from; i < from + len; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
