package dev.tandem.comparator;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
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

  private final Rules rules;
  private final List<Difference> out = new ArrayList<>();

  private JsonDiff(Rules rules) {
    this.rules = rules;
  }

  /** The differences between {@code primary} and {@code candidate} under {@code rules}. */
  public static List<Difference> diff(JsonNode primary, JsonNode candidate, Rules rules) {
    JsonDiff d = new JsonDiff(rules);
    d.walk(primary, candidate, new ArrayList<>(), new ArrayList<>());
    return d.out;
  }

  private void report(List<String> path, List<String> field, Difference.Kind kind, JsonNode p, JsonNode c) {
    if (out.size() >= MAX_DIFFERENCES) {
      return;
    }
    out.add(new Difference(pointer(path), pointer(field), kind, p == null ? null : p.toString(),
        c == null ? null : c.toString()));
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

  private void walk(JsonNode p, JsonNode c, List<String> path, List<String> field) {
    if (rules.ignored(path)) {
      return;
    }
    Rules.Matcher m = rules.matcher(path);
    if (m != null) {
      boolean holds = m.regex() == null
          || (p.isValueNode() && c.isValueNode() && m.regex().matcher(p.asText()).find()
              && m.regex().matcher(c.asText()).find());
      if (!holds) {
        report(path, field, Difference.Kind.MATCHER, p, c);
      }
      return;
    }
    if (p.isObject() && c.isObject()) {
      objects(p, c, path, field);
    } else if (p.isArray() && c.isArray()) {
      arrays(p, c, path, field);
    } else if (p.isNumber() && c.isNumber()) {
      if (!numbersEqual(p.decimalValue(), c.decimalValue(), rules.tolerance(path))) {
        report(path, field, Difference.Kind.VALUE, p, c);
      }
    } else if (p.isTextual() && c.isTextual()) {
      if (!textEqual(p.textValue(), c.textValue(), path)) {
        report(path, field, Difference.Kind.VALUE, p, c);
      }
    } else if (p.isBoolean() && c.isBoolean()) {
      if (p.booleanValue() != c.booleanValue()) {
        report(path, field, Difference.Kind.VALUE, p, c);
      }
    } else if (p.isNull() && c.isNull()) {
      return;
    } else {
      report(path, field, Difference.Kind.TYPE, p, c);
    }
  }

  private void objects(JsonNode p, JsonNode c, List<String> path, List<String> field) {
    Set<String> keys = new LinkedHashSet<>();
    p.fieldNames().forEachRemaining(keys::add);
    c.fieldNames().forEachRemaining(keys::add);
    boolean map = keys.size() > rules.mapKeyThreshold();
    for (String k : keys) {
      JsonNode pv = p.get(k);
      JsonNode cv = c.get(k);
      path.add(k);
      field.add(map || idLike(k) ? "*" : k);
      if (!rules.ignored(path)) {
        if (pv == null && cv != null) {
          if (!(rules.nullEqualsMissing() && cv.isNull())) {
            report(path, field, Difference.Kind.EXTRA, null, cv);
          }
        } else if (cv == null && pv != null) {
          if (!(rules.nullEqualsMissing() && pv.isNull())) {
            report(path, field, Difference.Kind.MISSING, pv, null);
          }
        } else if (pv != null) {
          walk(pv, cv, path, field);
        }
      }
      path.remove(path.size() - 1);
      field.remove(field.size() - 1);
    }
  }

  private void arrays(JsonNode p, JsonNode c, List<String> path, List<String> field) {
    String key = rules.arrayKey(path);
    if (key != null) {
      byKey(p, c, key, path, field);
      return;
    }
    List<JsonNode> ps = elements(p);
    List<JsonNode> cs = elements(c);
    if (rules.unordered(path)) {
      Comparator<JsonNode> canonical = Comparator.comparing(JsonNode::toString);
      ps.sort(canonical);
      cs.sort(canonical);
    } else if (ps.size() == cs.size() && !ps.equals(cs) && sameElements(ps, cs)) {
      report(path, field, Difference.Kind.ORDER, p, c);
      return;
    }
    if (ps.size() != cs.size()) {
      out.add(new Difference(pointer(path), pointer(field), Difference.Kind.ARRAY_LENGTH,
          Integer.toString(ps.size()), Integer.toString(cs.size())));
    }
    int n = Math.min(ps.size(), cs.size());
    for (int i = 0; i < n; i++) {
      path.add(Integer.toString(i));
      field.add("*");
      walk(ps.get(i), cs.get(i), path, field);
      path.remove(path.size() - 1);
      field.remove(field.size() - 1);
    }
  }

  /** Elements matched on the value of {@code key}: each pair compared, the unmatched reported missing or extra. */
  private void byKey(JsonNode p, JsonNode c, String key, List<String> path, List<String> field) {
    Map<String, JsonNode> candidates = new HashMap<>();
    Map<String, Integer> candidateIndex = new HashMap<>();
    for (int i = 0; i < c.size(); i++) {
      JsonNode k = c.get(i).get(key);
      if (k != null) {
        candidates.put(k.asText(), c.get(i));
        candidateIndex.put(k.asText(), i);
      }
    }
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < p.size(); i++) {
      JsonNode element = p.get(i);
      JsonNode k = element.get(key);
      path.add(Integer.toString(i));
      field.add("*");
      JsonNode match = k == null ? null : candidates.get(k.asText());
      if (match == null) {
        report(path, field, Difference.Kind.MISSING, element, null);
      } else {
        seen.add(k.asText());
        walk(element, match, path, field);
      }
      path.remove(path.size() - 1);
      field.remove(field.size() - 1);
    }
    for (Map.Entry<String, JsonNode> e : candidates.entrySet()) {
      if (!seen.contains(e.getKey())) {
        path.add(Integer.toString(candidateIndex.get(e.getKey())));
        field.add("*");
        report(path, field, Difference.Kind.EXTRA, null, e.getValue());
        path.remove(path.size() - 1);
        field.remove(field.size() - 1);
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

  private static boolean sameElements(List<JsonNode> a, List<JsonNode> b) {
    List<String> x = new ArrayList<>(a.stream().map(JsonNode::toString).toList());
    List<String> y = new ArrayList<>(b.stream().map(JsonNode::toString).toList());
    x.sort(null);
    y.sort(null);
    return x.equals(y);
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

  private boolean textEqual(String a, String b, List<String> path) {
    if (rules.trim()) {
      a = a.strip();
      b = b.strip();
    }
    if (a.equals(b) || (rules.caseInsensitive(path) && a.equalsIgnoreCase(b))) {
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
}
