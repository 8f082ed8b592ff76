package dev.tandem.comparator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The path rules of a {@link Rules} resolved once per path instead of at every node: the patterns run as one
 * automaton whose states say which rules hold at a path, and a child's state is looked up from its parent's state
 * and the child's key. A state only names the keys some pattern spells out; every other key (and every array index
 * unless a pattern names one) leads to one shared "other" state, so the table stays as small as the rules. It is
 * built up front, at most {@link #MAX_STATES} states; past that, states are computed when reached and not kept.
 */
final class PathRules {

  /** Most states kept per rule set; a rule set with more still compares correctly, only slower past the bound. */
  static final int MAX_STATES = 1024;
  /** Most rule sets kept compiled; the table is emptied when full. */
  static final int MAX_COMPILED = 256;

  private static final Map<Rules, PathRules> COMPILED = new ConcurrentHashMap<>();

  private final Rules rules;
  /** Every pattern of the rules; the positions of pattern i in a state's bit set start at {@code offsets[i]}. */
  private final String[][] patterns;
  private final int[] offsets;
  private final int bits;
  private final int ignore;
  private final int unordered;
  private final int caseInsensitive;
  private final List<Rules.Tolerance> tolerances;
  private final List<String> arrayKeys;
  private final List<Rules.Matcher> matchers;
  private final Map<Key, State> states = new HashMap<>();
  private final State root;

  private PathRules(Rules rules, int maxStates) {
    this.rules = rules;
    List<String[]> all = new ArrayList<>();
    rules.ignore().forEach(p -> all.add(p.segments()));
    ignore = all.size();
    rules.unorderedArrays().forEach(p -> all.add(p.segments()));
    unordered = all.size();
    rules.caseInsensitive().forEach(p -> all.add(p.segments()));
    caseInsensitive = all.size();
    tolerances = new ArrayList<>(rules.tolerances().values());
    rules.tolerances().keySet().forEach(p -> all.add(p.segments()));
    arrayKeys = new ArrayList<>(rules.arrayKeys().values());
    rules.arrayKeys().keySet().forEach(p -> all.add(p.segments()));
    matchers = new ArrayList<>(rules.matchers().values());
    rules.matchers().keySet().forEach(p -> all.add(p.segments()));
    patterns = all.toArray(new String[0][]);
    offsets = new int[patterns.length];
    int b = 0;
    for (int i = 0; i < patterns.length; i++) {
      offsets[i] = b;
      b += patterns[i].length + 1;
    }
    bits = b;
    long[] start = new long[(bits + 63) / 64];
    for (int i = 0; i < patterns.length; i++) {
      set(start, offsets[i]);
    }
    root = build(closure(start), maxStates);
  }

  /** The compiled form of {@code rules}, from a bounded table. */
  static PathRules of(Rules rules) {
    PathRules p = COMPILED.get(rules);
    if (p == null) {
      if (COMPILED.size() >= MAX_COMPILED) {
        COMPILED.clear();
      }
      p = new PathRules(rules, MAX_STATES);
      COMPILED.putIfAbsent(rules, p);
    }
    return p;
  }

  /** Not kept in the table, with at most {@code maxStates} states kept: for tests of the bound. */
  static PathRules compile(Rules rules, int maxStates) {
    return new PathRules(rules, maxStates);
  }

  static int compiledCount() {
    return COMPILED.size();
  }

  Rules rules() {
    return rules;
  }

  /** The state of the whole document (the empty path). */
  State root() {
    return root;
  }

  /** States kept in the table. */
  int states() {
    return states.size();
  }

  /** Which rules hold at one path, and where its children lead. */
  final class State {
    private final long[] positions;
    final boolean ignored;
    final boolean unordered;
    final boolean caseInsensitive;
    final Rules.Tolerance tolerance;
    final String arrayKey;
    final Rules.Matcher matcher;
    /** Children under a key some pattern names here; null while not expanded (past the bound: never). */
    private Map<String, State> named;
    private State other;

    private State(long[] positions) {
      this.positions = positions;
      ignored = any(0, ignore);
      unordered = any(ignore, PathRules.this.unordered);
      caseInsensitive = any(PathRules.this.unordered, PathRules.this.caseInsensitive);
      int t = first(PathRules.this.caseInsensitive, tolerances.size());
      tolerance = t < 0 ? rules.defaultTolerance() : tolerances.get(t);
      int base = PathRules.this.caseInsensitive + tolerances.size();
      int k = first(base, arrayKeys.size());
      arrayKey = k < 0 ? null : arrayKeys.get(k);
      int m = first(base + arrayKeys.size(), matchers.size());
      matcher = m < 0 ? null : matchers.get(m);
    }

    private boolean any(int from, int to) {
      for (int i = from; i < to; i++) {
        if (accepts(i)) {
          return true;
        }
      }
      return false;
    }

    private int first(int from, int count) {
      for (int i = 0; i < count; i++) {
        if (accepts(from + i)) {
          return i;
        }
      }
      return -1;
    }

    private boolean accepts(int pattern) {
      return get(positions, offsets[pattern] + patterns[pattern].length);
    }

    /** The state of this path's child under {@code key}. */
    State child(String key) {
      if (named == null) {
        return new State(step(positions, key));
      }
      State s = named.get(key);
      return s != null ? s : other;
    }

    /** The state of this path's element {@code index}. */
    State index(int index) {
      if (named == null || !named.isEmpty()) {
        return child(Integer.toString(index));
      }
      return other;
    }
  }

  /** The states reachable from {@code start}, breadth first, while the table has room. */
  private State build(long[] start, int max) {
    ArrayDeque<State> todo = new ArrayDeque<>();
    State first = next(start, max, todo);
    while (!todo.isEmpty()) {
      State s = todo.poll();
      Map<String, State> named = new HashMap<>();
      for (String key : literals(s.positions)) {
        named.put(key, next(step(s.positions, key), max, todo));
      }
      s.other = next(step(s.positions, null), max, todo);
      s.named = named;
    }
    return first;
  }

  /** The state for {@code positions}: the kept one, a new one kept (and queued) while there is room, or a loose one. */
  private State next(long[] positions, int max, ArrayDeque<State> todo) {
    Key key = new Key(positions);
    State s = states.get(key);
    if (s == null) {
      s = new State(positions);
      if (states.size() < max) {
        states.put(key, s);
        todo.add(s);
      }
    }
    return s;
  }

  /** The keys some pattern names at these positions; any other key leads to the same state. */
  private Set<String> literals(long[] positions) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i < patterns.length; i++) {
      String[] segs = patterns[i];
      for (int j = 0; j < segs.length; j++) {
        if (get(positions, offsets[i] + j) && !segs[j].equals("*") && !segs[j].equals("**")) {
          out.add(segs[j]);
        }
      }
    }
    return out;
  }

  /** Positions after one more segment {@code key}; a null key is one no pattern names. */
  private long[] step(long[] from, String key) {
    long[] to = new long[from.length];
    for (int i = 0; i < patterns.length; i++) {
      String[] segs = patterns[i];
      for (int j = 0; j < segs.length; j++) {
        if (get(from, offsets[i] + j)) {
          String s = segs[j];
          if (s.equals("**")) {
            set(to, offsets[i] + j);
          } else if (s.equals("*") || s.equals(key)) {
            set(to, offsets[i] + j + 1);
          }
        }
      }
    }
    return closure(to);
  }

  /** Adds the positions past each {@code **}, which may match no segment at all. */
  private long[] closure(long[] positions) {
    for (int i = 0; i < patterns.length; i++) {
      String[] segs = patterns[i];
      for (int j = 0; j < segs.length; j++) {
        if (segs[j].equals("**") && get(positions, offsets[i] + j)) {
          set(positions, offsets[i] + j + 1);
        }
      }
    }
    return positions;
  }

  private static boolean get(long[] b, int i) {
    return (b[i >>> 6] & (1L << i)) != 0;
  }

  private static void set(long[] b, int i) {
    b[i >>> 6] |= 1L << i;
  }

  private record Key(long[] positions) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(positions, k.positions);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(positions);
    }
  }
}
