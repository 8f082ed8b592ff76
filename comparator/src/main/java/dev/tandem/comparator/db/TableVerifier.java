package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verifies one table pair without pulling every row into Tandem: the primary's keys are cut into chunks of
 * {@code chunkSize} (one key-only pass), each chunk's row count, distinct keys and an ordered md5 of every row's
 * canonical text are computed inside PostgreSQL on both sides, and only chunks whose checksums differ are fetched
 * and compared row by row — a chunk holding more than twice {@code chunkSize} rows on either side (the shadow's
 * rows past the primary's last key, say) is cut again by that side's keys first, so a fetch is always bounded. The
 * first and last chunks are open-ended, and rows whose key has a NULL form a chunk of their own, so every row of
 * both sides is in exactly one chunk. Text keys are ordered and ranged in the byte order of "C" on both sides, so
 * databases with different collations cut the same chunks. Findings on rows changed within the settle window are
 * fetched again after it before they count.
 */
final class TableVerifier {

  /**
   * A compared column. {@code primarySql}/{@code shadowSql}: what is canonicalised on each side;
   * {@code primaryKey}/{@code shadowKey}: for keys, the expression ranged and ordered on, with the type its
   * parameters are cast to on that side.
   */
  private record Col(String name, String type, Canonical.Kind kind, String primarySql, String shadowSql,
                     String primaryKey, String primaryKeyType, String shadowKey, String shadowKeyType) {
  }

  /** One fetched row: native key values (as text), canonical key, row hash, canonical values, recently changed. */
  private record FetchedRow(List<String> keyValues, String keyText, Map<String, String> key, String hash,
                            List<String> values, boolean recent) {
  }

  /** A key range; {@code nulls}: instead, the rows whose key has a NULL. */
  private record Chunk(List<String> lo, List<String> hi, boolean nulls) {
  }

  static final int MAX_RECHECK = 10_000;
  static final int RECHECK_BATCH = 200;
  /** A chunk is cut again at most this deep (keys that will not split further are fetched as they are). */
  static final int MAX_DEPTH = 6;

  private final Vertx vertx;
  private final Pool primary;
  private final Pool shadow;
  private final TableSpec spec;
  private final VerifyOptions options;
  private final Runnable onSettleWait;
  private final List<String> notes = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong transferred = new AtomicLong();
  private final AtomicLong identicalDuplicates = new AtomicLong();
  private List<Col> keys;
  private List<Col> values;

  /** @param onSettleWait told when the wait for suspect rows to settle begins (tests make a row converge then) */
  TableVerifier(Vertx vertx, Pool primary, Pool shadow, TableSpec spec, VerifyOptions options,
                Runnable onSettleWait) {
    this.onSettleWait = onSettleWait;
    this.vertx = vertx;
    this.primary = primary;
    this.shadow = shadow;
    this.spec = spec;
    this.options = options;
  }

  Future<TableResult> run() {
    long start = System.nanoTime();
    State state = new State();
    return Future.all(describe(primary, "primary", spec.primaryTable()), describe(shadow, "shadow", spec.shadowTable()))
        .compose(both -> {
          plan(both.resultAt(0), both.resultAt(1));
          return boundaries();
        })
        .compose(bounds -> checkChunks(bounds, state))
        .compose(v -> recheck(state))
        .map(v -> result(state, (System.nanoTime() - start) / 1_000_000));
  }

  // ---- schema ----

  /** Column name to {full type, type without modifiers}, in table order; fails when the table does not exist. */
  private Future<Map<String, String[]>> describe(Pool pool, String side, String table) {
    String sql = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), format_type(a.atttypid, NULL)"
        + " FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
        + " ORDER BY a.attnum";
    return pool.preparedQuery(sql).execute(Tuple.of(Canonical.table(table)))
        .recover(t -> Future.failedFuture(new VerifyException(side + " database: " + t.getMessage())))
        .compose(rows -> {
          Map<String, String[]> cols = new LinkedHashMap<>();
          rows.forEach(r -> cols.put(r.getString(0), new String[] {r.getString(1), r.getString(2)}));
          if (cols.isEmpty()) {
            return Future.failedFuture(new VerifyException(side + " database: table " + table + " does not exist"));
          }
          return Future.succeededFuture(cols);
        });
  }

  private void plan(Map<String, String[]> p, Map<String, String[]> s) {
    Set<String> shadowUsed = new HashSet<>();
    keys = new ArrayList<>();
    for (String k : spec.key()) {
      String[] type = p.get(k);
      if (type == null) {
        throw new VerifyException("primary database: table " + spec.primaryTable() + " has no key column '" + k
            + "' (columns: " + String.join(", ", p.keySet()) + ")");
      }
      String shadowKey = spec.shadowExprs().getOrDefault(k, k);
      boolean column = Canonical.isIdentifier(shadowKey);
      if (column && !s.containsKey(shadowKey)) {
        throw new VerifyException("shadow database: table " + spec.shadowTable() + " has no key column '"
            + shadowKey + "' (columns: " + String.join(", ", s.keySet()) + ")");
      }
      shadowUsed.add(shadowKey);
      Canonical.Kind kind = Canonical.kind(type[1]);
      boolean transformed = spec.primaryExprs().containsKey(k);
      // A bare column on each side, compared with parameters of its own type, so that its index serves the ranges;
      // an expression is compared in the primary's type.
      keys.add(new Col(k, type[0], kind, primaryExpr(k), column ? Canonical.quote(shadowKey) : shadowKey,
          transformed ? "(" + primaryExpr(k) + ")::" + type[0] : Canonical.quote(k), type[0],
          column ? Canonical.quote(shadowKey) : "(" + shadowKey + ")::" + type[0],
          column ? s.get(shadowKey)[0] : type[0]));
    }
    values = new ArrayList<>();
    for (Map.Entry<String, String[]> c : p.entrySet()) {
      String name = c.getKey();
      if (spec.key().contains(name) || spec.ignore().contains(name)) {
        shadowUsed.add(spec.shadowExprs().getOrDefault(name, name)); // an ignored column is not "extra" either
        continue;
      }
      String shadowExpr = spec.shadowExprs().getOrDefault(name, name);
      String shadowSql = Canonical.column(shadowExpr);
      if (Canonical.isIdentifier(shadowExpr) && !s.containsKey(shadowExpr)) {
        notes.add("column " + name + " has no counterpart in shadow " + spec.shadowTable()
            + ": compared as NULL (rename it with columns: {" + name + ": {shadow: ...}}, or ignore it)");
        shadowSql = "NULL";
      }
      shadowUsed.add(shadowExpr);
      values.add(new Col(name, c.getValue()[0], Canonical.kind(c.getValue()[1]), primaryExpr(name), shadowSql,
          null, null, null, null));
    }
    List<String> extra = s.keySet().stream().filter(x -> !shadowUsed.contains(x))
        .filter(x -> spec.shadowExprs().values().stream().noneMatch(e -> !Canonical.isIdentifier(e)
            && e.contains(x))).toList();
    if (!extra.isEmpty()) {
      notes.add("shadow " + spec.shadowTable() + " has columns the primary lacks, not compared: "
          + String.join(", ", extra));
    }
  }

  private String primaryExpr(String column) {
    return spec.primaryExprs().containsKey(column) ? spec.primaryExprs().get(column) : Canonical.quote(column);
  }

  // ---- SQL ----

  /** A key on one side, as ranged and ordered: text in the byte order of "C" on both sides. */
  private String keyExpr(Col k, boolean primarySide) {
    String e = primarySide ? k.primaryKey() : k.shadowKey();
    return k.kind() == Canonical.Kind.TEXT ? e + " COLLATE \"C\"" : e;
  }

  private String keyList(boolean primarySide) {
    List<String> out = new ArrayList<>();
    for (Col k : keys) {
      out.add(keyExpr(k, primarySide));
    }
    return String.join(", ", out);
  }

  private String keyTuple(boolean primarySide) {
    return keys.size() == 1 ? keyList(primarySide) : "(" + keyList(primarySide) + ")";
  }

  private String notNull(boolean primarySide) {
    List<String> c = new ArrayList<>();
    for (Col k : keys) {
      c.add((primarySide ? k.primaryKey() : k.shadowKey()) + " IS NOT NULL");
    }
    return "(" + String.join(" AND ", c) + ")";
  }

  private String rowText(boolean primarySide) {
    StringBuilder b = new StringBuilder("concat(");
    List<Col> all = new ArrayList<>(keys);
    all.addAll(values);
    for (int i = 0; i < all.size(); i++) {
      Col c = all.get(i);
      b.append(i == 0 ? "" : ", ").append(Canonical.piece(canonical(c, primarySide)));
    }
    return b.append(")").toString();
  }

  private String canonical(Col c, boolean primarySide) {
    return Canonical.text(primarySide ? c.primarySql() : c.shadowSql(), c.kind(), options.nullEqualsEmpty());
  }

  /** The chunk's rows on one side, parameters from {@code first}. */
  private String where(boolean primarySide, Chunk c, int first) {
    if (c.nulls()) {
      return "NOT " + notNull(primarySide);
    }
    List<String> conditions = new ArrayList<>();
    conditions.add(notNull(primarySide));
    int n = first;
    if (c.lo() != null) {
      conditions.add(keyTuple(primarySide) + " >= " + params(n, primarySide));
      n += keys.size();
    }
    if (c.hi() != null) {
      conditions.add(keyTuple(primarySide) + " < " + params(n, primarySide));
    }
    return String.join(" AND ", conditions);
  }

  /** Key parameters, sent as text and cast to the key's type on that side. */
  private String params(int first, boolean primarySide) {
    List<String> p = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      Col k = keys.get(i);
      String cast = "CAST($" + (first + i) + "::text AS " + (primarySide ? k.primaryKeyType() : k.shadowKeyType()) + ")";
      p.add(k.kind() == Canonical.Kind.TEXT ? cast + " COLLATE \"C\"" : cast);
    }
    return keys.size() == 1 ? p.get(0) : "(" + String.join(", ", p) + ")";
  }

  private static Tuple bindings(Chunk c) {
    Tuple t = Tuple.tuple();
    if (!c.nulls()) {
      if (c.lo() != null) {
        c.lo().forEach(t::addString);
      }
      if (c.hi() != null) {
        c.hi().forEach(t::addString);
      }
    }
    return t;
  }

  private String table(boolean primarySide) {
    return Canonical.table(primarySide ? spec.primaryTable() : spec.shadowTable());
  }

  private Pool pool(boolean primarySide) {
    return primarySide ? primary : shadow;
  }

  private VerifyException failure(boolean primarySide, Throwable t) {
    return t instanceof VerifyException v ? v : new VerifyException((primarySide ? "primary" : "shadow")
        + " database: " + (primarySide ? spec.primaryTable() : spec.shadowTable()) + ": " + t.getMessage());
  }

  // ---- the passes ----

  /** The first key of every {@code chunkSize} keys of {@code within}, as text, from one key-only pass on one side. */
  private Future<List<List<String>>> boundaries(boolean primarySide, Chunk within) {
    StringBuilder texts = new StringBuilder();
    StringBuilder names = new StringBuilder();
    List<String> order = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      texts.append(i == 0 ? "" : ", ").append("(s.k").append(i).append(")::text");
      names.append(i == 0 ? "" : ", ").append(keyExpr(keys.get(i), primarySide)).append(" AS k").append(i);
      order.add("s.k" + i); // by the keys themselves, not by their text, which the output columns are
    }
    String sql = "SELECT " + texts + " FROM (SELECT " + names + ", row_number() OVER (ORDER BY " + keyList(primarySide)
        + ") AS tandem_rn FROM " + table(primarySide) + " WHERE " + (within == null ? notNull(primarySide)
        : where(primarySide, within, 2)) + ") s WHERE s.tandem_rn % $1 = 1 ORDER BY " + String.join(", ", order);
    Tuple t = Tuple.of(options.chunkSize());
    if (within != null) {
      Tuple b = bindings(within);
      for (int i = 0; i < b.size(); i++) {
        t.addValue(b.getValue(i));
      }
    }
    return pool(primarySide).preparedQuery(sql).execute(t)
        .recover(x -> Future.failedFuture(failure(primarySide, x)))
        .map(rows -> {
          List<List<String>> out = new ArrayList<>();
          for (Row r : rows) {
            List<String> k = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
              k.add(r.getString(i));
            }
            out.add(k);
          }
          transferred.addAndGet(out.size());
          return out;
        });
  }

  private Future<List<Chunk>> boundaries() {
    return boundaries(true, null).map(bounds -> {
      List<Chunk> chunks = new ArrayList<>();
      int n = Math.max(1, bounds.size());
      for (int i = 0; i < n; i++) {
        chunks.add(new Chunk(i == 0 ? null : bounds.get(i), i + 1 >= bounds.size() ? null : bounds.get(i + 1), false));
      }
      chunks.add(new Chunk(null, null, true));
      return chunks;
    });
  }

  /** Everything the chunk pass found, for the recheck and the result. */
  private final class State {
    final AtomicLong primaryRows = new AtomicLong();
    final AtomicLong shadowRows = new AtomicLong();
    final AtomicInteger differing = new AtomicInteger();
    final Map<Finding.Kind, AtomicLong> counts = new EnumMap<>(Finding.Kind.class);
    /** Findings kept with their values, at most {@link #keep()}; all are counted. */
    final List<Pending> kept = new ArrayList<>();
    int chunks;

    State() {
      for (Finding.Kind k : Finding.Kind.values()) {
        counts.put(k, new AtomicLong());
      }
    }

    synchronized void add(Pending p) {
      counts.get(p.finding().kind()).incrementAndGet();
      if (kept.size() < keep()) {
        kept.add(p);
      }
    }

    int keep() {
      return Math.max(options.maxFindings(), MAX_RECHECK);
    }
  }

  /** A finding with the key values to fetch its row again, and whether its row changed recently. */
  private record Pending(Finding finding, List<String> keyValues, boolean recent) {
  }

  private Future<Void> checkChunks(List<Chunk> chunks, State state) {
    state.chunks = chunks.size() - 1; // the NULL-key chunk is not one of the primary's key chunks
    AtomicInteger next = new AtomicInteger();
    Promise<Void> done = Promise.promise();
    int workers = Math.min(options.concurrency(), chunks.size());
    AtomicInteger running = new AtomicInteger(workers);
    for (int w = 0; w < workers; w++) {
      worker(chunks, next, state, running, done);
    }
    return done.future();
  }

  private void worker(List<Chunk> chunks, AtomicInteger next, State state, AtomicInteger running, Promise<Void> done) {
    int i = next.getAndIncrement();
    if (i >= chunks.size() || done.future().isComplete()) {
      if (running.decrementAndGet() == 0) {
        done.tryComplete();
      }
      return;
    }
    chunk(chunks.get(i), state, 0).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      worker(chunks, next, state, running, done);
    });
  }

  private Future<Void> chunk(Chunk c, State state, int depth) {
    Future<Row> p = checksum(true, c);
    Future<Row> s = checksum(false, c);
    return Future.all(p, s).compose(both -> {
      Row a = p.result();
      Row b = s.result();
      long pn = a.getLong(0);
      long sn = b.getLong(0);
      if (depth == 0) {
        state.primaryRows.addAndGet(pn);
        state.shadowRows.addAndGet(sn);
        transferred.addAndGet(2);
      }
      if (pn == sn && a.getLong(1).equals(b.getLong(1)) && pn == a.getLong(1)
          && Objects.equals(a.getString(2), b.getString(2))) {
        return Future.succeededFuture();
      }
      if (depth == 0) {
        state.differing.incrementAndGet();
      }
      if (!c.nulls() && Math.max(pn, sn) > 2L * options.chunkSize() && depth < MAX_DEPTH) {
        return split(c, pn >= sn, state, depth);
      }
      return Future.all(fetch(true, c), fetch(false, c)).map(rows -> {
        compare(rows.resultAt(0), rows.resultAt(1), state::add);
        return null;
      });
    });
  }

  /** Cuts a chunk too large to fetch by the keys of its larger side, and checks each piece. */
  private Future<Void> split(Chunk c, boolean byPrimary, State state, int depth) {
    return boundaries(byPrimary, c).compose(bounds -> {
      if (bounds.size() <= 1) {
        // The keys will not split (one key, many rows): fetched as they are.
        return Future.all(fetch(true, c), fetch(false, c)).map(rows -> {
          compare(rows.resultAt(0), rows.resultAt(1), state::add);
          return (Void) null;
        });
      }
      List<Chunk> pieces = new ArrayList<>();
      for (int i = 0; i < bounds.size(); i++) {
        pieces.add(new Chunk(i == 0 ? c.lo() : bounds.get(i), i + 1 < bounds.size() ? bounds.get(i + 1) : c.hi(),
            false));
      }
      Future<Void> all = Future.succeededFuture();
      for (Chunk piece : pieces) {
        all = all.compose(v -> chunk(piece, state, depth + 1));
      }
      return all;
    });
  }

  private Future<Row> checksum(boolean primarySide, Chunk c) {
    StringBuilder names = new StringBuilder();
    List<String> order = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      names.append(i == 0 ? "" : ", ").append(keyExpr(keys.get(i), primarySide)).append(" AS k").append(i);
      order.add("k" + i);
    }
    String distinct = keys.size() == 1 ? "k0" : "(" + String.join(", ", order) + ")";
    // One md5 over the rows' texts in key order (each text is length-prefixed, so the concatenation is unambiguous);
    // an md5 per row would cost a third more and say nothing more.
    String sql = "SELECT count(*), count(DISTINCT " + distinct + "), md5(string_agg(h, '' ORDER BY "
        + String.join(", ", order) + ", h)) FROM (SELECT " + names + ", " + rowText(primarySide) + " AS h FROM "
        + table(primarySide) + " WHERE " + where(primarySide, c, 1) + ") s";
    return pool(primarySide).preparedQuery(sql).execute(bindings(c))
        .recover(t -> Future.failedFuture(failure(primarySide, t)))
        .map(rows -> rows.iterator().next());
  }

  private String rowSelect(boolean primarySide) {
    StringBuilder b = new StringBuilder("SELECT ");
    for (int i = 0; i < keys.size(); i++) {
      Col k = keys.get(i);
      b.append(i == 0 ? "" : ", ").append("(").append(primarySide ? k.primaryKey() : k.shadowKey()).append(")::text");
    }
    for (Col k : keys) {
      b.append(", ").append(canonical(k, primarySide));
    }
    b.append(", md5(").append(rowText(primarySide)).append(")");
    for (Col v : values) {
      b.append(", ").append(canonical(v, primarySide));
    }
    TableSpec.UpdatedAt u = spec.updatedAt();
    b.append(", ").append(u == null ? "FALSE"
        : "(" + Canonical.column(primarySide ? u.primary() : u.shadow()) + ") > now() - make_interval(secs => "
            + options.settle().toMillis() / 1000.0 + ")");
    return b.append(" FROM ").append(table(primarySide)).toString();
  }

  private Future<List<FetchedRow>> fetch(boolean primarySide, Chunk c) {
    String sql = rowSelect(primarySide) + " WHERE " + where(primarySide, c, 1);
    return pool(primarySide).preparedQuery(sql).execute(bindings(c))
        .recover(t -> Future.failedFuture(failure(primarySide, t)))
        .map(this::rows);
  }

  private List<FetchedRow> rows(RowSet<Row> rows) {
    List<FetchedRow> out = new ArrayList<>(rows.size());
    int nk = keys.size();
    for (Row r : rows) {
      List<String> native_ = new ArrayList<>(nk);
      Map<String, String> key = new LinkedHashMap<>();
      StringBuilder kt = new StringBuilder();
      for (int i = 0; i < nk; i++) {
        native_.add(r.getString(i));
        String canon = r.getString(nk + i);
        key.put(keys.get(i).name(), canon);
        kt.append(canon == null ? "N" : "V" + canon.length() + ":" + canon);
      }
      List<String> vals = new ArrayList<>(values.size());
      for (int i = 0; i < values.size(); i++) {
        vals.add(r.getString(2 * nk + 1 + i));
      }
      out.add(new FetchedRow(native_, kt.toString(), key, r.getString(2 * nk), vals,
          Boolean.TRUE.equals(r.getBoolean(2 * nk + 1 + values.size()))));
    }
    transferred.addAndGet(out.size());
    return out;
  }

  /** Classifies the rows of one key range on both sides. */
  private void compare(List<FetchedRow> p, List<FetchedRow> s, java.util.function.Consumer<Pending> into) {
    Map<String, List<FetchedRow>> byKeyP = group(p);
    Map<String, List<FetchedRow>> byKeyS = group(s);
    Set<String> all = new LinkedHashSet<>(byKeyP.keySet());
    all.addAll(byKeyS.keySet());
    for (String k : all) {
      List<FetchedRow> a = byKeyP.getOrDefault(k, List.of());
      List<FetchedRow> b = byKeyS.getOrDefault(k, List.of());
      FetchedRow any = a.isEmpty() ? b.get(0) : a.get(0);
      boolean recent = a.stream().anyMatch(FetchedRow::recent) || b.stream().anyMatch(FetchedRow::recent);
      Finding f = classify(a, b, any);
      if (f != null) {
        into.accept(new Pending(f, any.keyValues(), recent));
      }
    }
  }

  private Finding classify(List<FetchedRow> a, List<FetchedRow> b, FetchedRow any) {
    String table = spec.primaryTable();
    if (a.size() > 1 || b.size() > 1) {
      if (hashes(a).equals(hashes(b))) {
        identicalDuplicates.incrementAndGet(); // a legacy table without a unique key, mirrored faithfully
        return null;
      }
      return new Finding(Finding.Kind.DUPLICATE_KEY, table, any.key(), List.of(new Finding.Column("rows",
          Integer.toString(a.size()), Integer.toString(b.size()))), 1, false);
    }
    if (b.isEmpty()) {
      return new Finding(Finding.Kind.MISSING_IN_SHADOW, table, any.key(), List.of(), 1, false);
    }
    if (a.isEmpty()) {
      return new Finding(Finding.Kind.EXTRA_IN_SHADOW, table, any.key(), List.of(), 1, false);
    }
    FetchedRow x = a.get(0);
    FetchedRow y = b.get(0);
    if (x.hash().equals(y.hash())) {
      return null;
    }
    List<Finding.Column> cols = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      if (!Objects.equals(x.values().get(i), y.values().get(i))) {
        cols.add(new Finding.Column(values.get(i).name(), x.values().get(i), y.values().get(i)));
      }
    }
    return new Finding(Finding.Kind.VALUE_MISMATCH, table, x.key(), cols, 1, false);
  }

  private static List<String> hashes(List<FetchedRow> rows) {
    return rows.stream().map(FetchedRow::hash).sorted().toList();
  }

  private static Map<String, List<FetchedRow>> group(List<FetchedRow> rows) {
    Map<String, List<FetchedRow>> m = new LinkedHashMap<>();
    for (FetchedRow r : rows) {
      m.computeIfAbsent(r.keyText(), k -> new ArrayList<>(1)).add(r);
    }
    return m;
  }

  // ---- the race window ----

  /** Findings whose rows may still be settling: every one without an updatedAt column, else the recent ones. */
  private Future<Void> recheck(State state) {
    List<Pending> suspect = new ArrayList<>();
    long counted;
    synchronized (state) {
      for (Pending p : state.kept) {
        if ((spec.updatedAt() == null || p.recent()) && !p.keyValues().contains(null) && suspect.size() < MAX_RECHECK) {
          suspect.add(p);
        }
      }
      counted = state.counts.values().stream().mapToLong(AtomicLong::get).sum();
    }
    if (suspect.isEmpty()) {
      return Future.succeededFuture();
    }
    if (spec.updatedAt() == null && counted > suspect.size()) {
      notes.add((counted - suspect.size()) + " findings were not re-checked (at most " + MAX_RECHECK + " are)");
    }
    Promise<Void> waited = Promise.promise();
    if (onSettleWait != null) {
      onSettleWait.run();
    }
    vertx.setTimer(Math.max(1, options.settle().toMillis()), id -> waited.complete());
    return waited.future().compose(v -> {
      Future<Void> all = Future.succeededFuture();
      for (int i = 0; i < suspect.size(); i += RECHECK_BATCH) {
        List<Pending> batch = suspect.subList(i, Math.min(suspect.size(), i + RECHECK_BATCH));
        all = all.compose(x -> recheckBatch(batch, state));
      }
      return all;
    });
  }

  private final AtomicInteger rechecked = new AtomicInteger();
  private final AtomicInteger settledCount = new AtomicInteger();

  /** Fetches a batch of suspect rows again; what still differs replaces what was found, as it is now. */
  private Future<Void> recheckBatch(List<Pending> batch, State state) {
    return Future.all(byKeys(true, batch), byKeys(false, batch)).map(rows -> {
      List<Pending> now = new ArrayList<>();
      compare(rows.resultAt(0), rows.resultAt(1), now::add);
      Set<String> stillDiffering = new HashSet<>();
      now.forEach(p -> stillDiffering.add(p.finding().keyText()));
      synchronized (state) {
        Set<Pending> old = Collections.newSetFromMap(new IdentityHashMap<>());
        old.addAll(batch);
        state.kept.removeIf(old::contains);
        for (Pending p : batch) {
          rechecked.incrementAndGet();
          state.counts.get(p.finding().kind()).decrementAndGet();
          if (!stillDiffering.contains(p.finding().keyText())) {
            settledCount.incrementAndGet();
          }
        }
        for (Pending p : now) {
          state.counts.get(p.finding().kind()).incrementAndGet();
          state.kept.add(new Pending(p.finding(), p.keyValues(), false));
        }
      }
      return null;
    });
  }

  private Future<List<FetchedRow>> byKeys(boolean primarySide, List<Pending> batch) {
    StringBuilder in = new StringBuilder();
    Tuple t = Tuple.tuple();
    int n = 1;
    for (int i = 0; i < batch.size(); i++) {
      in.append(i == 0 ? "" : ", ").append(params(n, primarySide));
      n += keys.size();
      batch.get(i).keyValues().forEach(t::addString);
    }
    String sql = rowSelect(primarySide) + " WHERE " + keyTuple(primarySide) + " IN (" + in + ")";
    return pool(primarySide).preparedQuery(sql).execute(t)
        .recover(x -> Future.failedFuture(failure(primarySide, x)))
        .map(this::rows);
  }

  private TableResult result(State state, long millis) {
    Map<Finding.Kind, Long> counts = new EnumMap<>(Finding.Kind.class);
    List<Finding> kept = new ArrayList<>();
    synchronized (state) {
      state.counts.forEach((k, v) -> {
        if (v.get() > 0) {
          counts.put(k, v.get());
        }
      });
      for (Pending p : state.kept) {
        if (kept.size() >= options.maxFindings()) {
          break;
        }
        kept.add(p.finding());
      }
    }
    if (identicalDuplicates.get() > 0) {
      notes.add(identicalDuplicates.get() + " keys are duplicated, identically on both sides (the key is not unique;"
          + " not counted as divergent)");
    }
    return new TableResult(spec.primaryTable(), spec.shadowTable(), state.primaryRows.get(), state.shadowRows.get(),
        state.chunks, state.differing.get(), transferred.get(), counts, kept, rechecked.get(), settledCount.get(),
        new ArrayList<>(notes), millis);
  }
}
