package dev.tandem.comparator;

import java.util.ArrayList;
import java.util.List;

/**
 * A JSON Pointer with wildcards, as rules name places in a body: {@code *} stands for one segment (a key or an
 * index), {@code **} for any number of segments, so {@code /items/*}{@code /updatedAt} and {@code /**}{@code /etag}
 * work. Matching splits neither strings nor allocates per call beyond the segment list of the path.
 */
public final class PathPattern {

  private final String text;
  private final String[] segments;
  /** No {@code **}: only paths of exactly this many segments can match. */
  private final boolean fixedLength;
  /** The last segment when it is a plain name, checked first: most paths fail on it at once. */
  private final String last;

  private PathPattern(String text, String[] segments) {
    this.text = text;
    this.segments = segments;
    this.fixedLength = java.util.Arrays.stream(segments).noneMatch("**"::equals);
    String l = segments.length == 0 ? null : segments[segments.length - 1];
    this.last = l == null || l.equals("*") || l.equals("**") ? null : l;
  }

  /** Parses {@code /a/*}{@code /b}; the empty string or {@code /} is the whole document. */
  public static PathPattern of(String text) {
    String t = text.trim();
    if (!t.isEmpty() && !t.startsWith("/")) {
      throw new IllegalArgumentException("a path must start with '/', got '" + text + "'");
    }
    return new PathPattern(t, split(t).toArray(new String[0]));
  }

  /** The segments of a concrete JSON Pointer, unescaped ({@code ~1} is {@code /}, {@code ~0} is {@code ~}). */
  public static List<String> split(String pointer) {
    List<String> out = new ArrayList<>();
    if (pointer.isEmpty() || pointer.equals("/")) {
      return out;
    }
    for (String s : pointer.substring(1).split("/", -1)) {
      out.add(s.replace("~1", "/").replace("~0", "~"));
    }
    return out;
  }

  public boolean matches(List<String> path) {
    // Cheap rejections first: rules are checked at every node of every body compared.
    if (fixedLength && path.size() != segments.length) {
      return false;
    }
    if (last != null && (path.isEmpty() || !last.equals(path.get(path.size() - 1)))) {
      return false;
    }
    return matches(0, path, 0);
  }

  private boolean matches(int pi, List<String> path, int si) {
    if (pi == segments.length) {
      return si == path.size();
    }
    String p = segments[pi];
    if (p.equals("**")) {
      for (int k = si; k <= path.size(); k++) {
        if (matches(pi + 1, path, k)) {
          return true;
        }
      }
      return false;
    }
    if (si == path.size()) {
      return false;
    }
    return (p.equals("*") || p.equals(path.get(si))) && matches(pi + 1, path, si + 1);
  }

  /** The pattern's segments, {@code *} and {@code **} included, for {@link PathRules}; not to be changed. */
  String[] segments() {
    return segments;
  }

  @Override
  public String toString() {
    return text;
  }
}
