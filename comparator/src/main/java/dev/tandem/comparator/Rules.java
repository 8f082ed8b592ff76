package dev.tandem.comparator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How two answers are compared: what to ignore, what counts as equal, how arrays line up. Global rules and an
 * endpoint's rules combine with {@link #and(Rules)}: lists add up, and the endpoint's settings win.
 *
 * @param ignore             body paths whose differences do not count
 * @param ignoreHeaders      headers not compared (lower case), on top of {@link #VOLATILE_HEADERS}
 * @param compareHeaders     headers compared even though volatile by default (lower case)
 * @param tolerances         numeric tolerance per path; {@code defaultTolerance} elsewhere
 * @param unorderedArrays    arrays whose order does not matter
 * @param arrayKeys          arrays matched element by element on a key field ({@code /items} by {@code sku})
 * @param timestamps         strings that both parse as date-times are compared as UTC instants at
 *                           {@code timestampPrecision}
 * @param nullEqualsMissing  a null field equals an absent one
 * @param caseInsensitive    strings compared ignoring case at these paths
 * @param trim               strings compared without leading and trailing spaces
 * @param matchers           per path: a regex both values must match, or {@code present}: both must exist
 * @param mapKeyThreshold    objects with more keys than this are maps: their keys count as {@code *} in fields
 * @param maxBodyBytes       bodies are compared up to this size
 */
public record Rules(
    List<PathPattern> ignore,
    Set<String> ignoreHeaders,
    Set<String> compareHeaders,
    Map<PathPattern, Tolerance> tolerances,
    Tolerance defaultTolerance,
    List<PathPattern> unorderedArrays,
    Map<PathPattern, String> arrayKeys,
    boolean timestamps,
    Duration timestampPrecision,
    boolean nullEqualsMissing,
    List<PathPattern> caseInsensitive,
    boolean trim,
    Map<PathPattern, Matcher> matchers,
    int mapKeyThreshold,
    long maxBodyBytes) {

  /** Headers that differ between any two servers and say nothing about the answer; not compared by default. */
  public static final Set<String> VOLATILE_HEADERS = Set.of("date", "server", "x-request-id", "content-length",
      "transfer-encoding", "content-encoding", "vary", "connection", "keep-alive", "age", "via", "expires", "last-modified", "etag",
      "x-runtime", "x-response-time", "traceparent", "tracestate", "x-trace-id", "x-amzn-trace-id");

  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  /** Numbers within {@code absolute} of each other, or within {@code relative} × the larger, are equal. */
  public record Tolerance(double absolute, double relative) {
    public static final Tolerance EXACT = new Tolerance(0, 0);
  }

  /** A regex both sides' values must match, or, with a null pattern, only presence on both sides. */
  public record Matcher(Pattern regex) {
    public static Matcher present() {
      return new Matcher(null);
    }
  }

  public static final Rules DEFAULT = new Rules(List.of(), Set.of(), Set.of(), Map.of(), Tolerance.EXACT, List.of(),
      Map.of(), true, Duration.ofMillis(1), false, List.of(), false, Map.of(), 50, DEFAULT_MAX_BODY_BYTES);

  public Rules {
    ignore = List.copyOf(ignore);
    ignoreHeaders = lower(ignoreHeaders);
    compareHeaders = lower(compareHeaders);
    tolerances = ordered(tolerances);
    unorderedArrays = List.copyOf(unorderedArrays);
    arrayKeys = ordered(arrayKeys);
    caseInsensitive = List.copyOf(caseInsensitive);
    matchers = ordered(matchers);
  }

  /** Patterns are tried in the order written, so the copies keep it. */
  private static <K, V> Map<K, V> ordered(Map<K, V> m) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  private static Set<String> lower(Set<String> names) {
    Set<String> out = new LinkedHashSet<>();
    names.forEach(n -> out.add(n.toLowerCase(Locale.ROOT)));
    return Set.copyOf(out);
  }

  /** These rules with {@code more} (an endpoint's) added: lists and maps combined, settings from {@code more}. */
  public Rules and(Rules more) {
    return new Rules(concat(ignore, more.ignore), union(ignoreHeaders, more.ignoreHeaders),
        union(compareHeaders, more.compareHeaders), merge(tolerances, more.tolerances), more.defaultTolerance,
        concat(unorderedArrays, more.unorderedArrays), merge(arrayKeys, more.arrayKeys), more.timestamps,
        more.timestampPrecision, more.nullEqualsMissing, concat(caseInsensitive, more.caseInsensitive), more.trim,
        merge(matchers, more.matchers), more.mapKeyThreshold, more.maxBodyBytes);
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> out = new LinkedHashSet<>(a);
    out.addAll(b);
    return out;
  }

  private static <K, V> Map<K, V> merge(Map<K, V> a, Map<K, V> b) {
    Map<K, V> out = new LinkedHashMap<>(a);
    out.putAll(b);
    return out;
  }

  /** Whether the header {@code name} is compared. */
  public boolean comparesHeader(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (ignoreHeaders.contains(n)) {
      return false;
    }
    return compareHeaders.contains(n) || !VOLATILE_HEADERS.contains(n);
  }

  boolean ignored(List<String> path) {
    return any(ignore, path);
  }

  boolean unordered(List<String> path) {
    return any(unorderedArrays, path);
  }

  boolean caseInsensitive(List<String> path) {
    return any(caseInsensitive, path);
  }

  String arrayKey(List<String> path) {
    return first(arrayKeys, path);
  }

  Matcher matcher(List<String> path) {
    return first(matchers, path);
  }

  Tolerance tolerance(List<String> path) {
    Tolerance t = first(tolerances, path);
    return t == null ? defaultTolerance : t;
  }

  private static boolean any(List<PathPattern> patterns, List<String> path) {
    for (PathPattern p : patterns) {
      if (p.matches(path)) {
        return true;
      }
    }
    return false;
  }

  private static <V> V first(Map<PathPattern, V> byPattern, List<String> path) {
    for (Map.Entry<PathPattern, V> e : byPattern.entrySet()) {
      if (e.getKey().matches(path)) {
        return e.getValue();
      }
    }
    return null;
  }
}
