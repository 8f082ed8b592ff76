package dev.tandem.comparator.db;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
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
 * and compared row by row. The first and last chunks are open-ended, so shadow rows outside the primary's key range
 * are found too. Findings on rows changed within the settle window are fetched again after it before they count.
 */
final class TableVerifier {

  /** A compared column: its name in the primary, and the SQL giving its canonical text on each side. */
  private record Col(String name, String type, Canonical.Kind kind, String primarySql, String shadowSql) {
  }

  /** One fetched row: native key values (as text), canonical key, row hash, canonical values, recently changed. */
  private record FetchedRow(List<String> keyValues, String keyText, Map<String, String> key, String hash,
                            List<String> values, boolean recent) {
  }

  private final Vertx vertx;
  private final Pool primary;
  private final Pool shadow;
  private final TableSpec spec;
  private final VerifyOptions options;
  private final List<String> notes = new ArrayList<>();
  private final AtomicLong transferred = new AtomicLong();
  private final Runnable onSettleWait;
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
    return Future.all(describe(primary, "primary", spec.primaryTable()), describe(shadow, "shadow", spec.shadowTable()))
        .compose(both -> {
          plan(both.resultAt(0), both.resultAt(1));
          return boundaries();
        })
        .compose(this::checkChunks)
        .compose(state -> recheck(state).map(v -> result(state, (System.nanoTime() - start) / 1_000_000)));
  }

  // ---- schema ----

  /** Column name to SQL type, in table order; fails when the table does not exist. */
  private Future<Map<String, String>> describe(Pool pool, String side, String table) {
    String sql = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
        + " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
    return pool.preparedQuery(sql).execute(Tuple.of(Canonical.table(table)))
        .recover(t -> Future.failedFuture(new VerifyException(side + " database: " + t.getMessage())))
        .compose(rows -> {
          Map<String, String> cols = new LinkedHashMap<>();
          rows.forEach(r -> cols.put(r.getString(0), r.getString(1)));
          if (cols.isEmpty()) {
            return Future.failedFuture(new VerifyException(side + " database: table " + table + " does not exist"));
          }
          return Future.succeededFuture(cols);
        });
  }

  private void plan(Map<String, String> p, Map<String, String> s) {
    Set<String> shadowUsed = new HashSet<>();
    keys = new ArrayList<>();
    for (String k : spec.key()) {
      String type = p.get(k);
      if (type == null) {
        throw new VerifyException("primary database: table " + spec.primaryTable() + " has no key column '" + k
            + "' (columns: " + String.join(", ", p.keySet()) + ")");
      }
      String shadowKey = spec.shadowExprs().getOrDefault(k, k);
      if (Canonical.isIdentifier(shadowKey) && !s.containsKey(shadowKey)) {
        throw new VerifyException("shadow database: table " + spec.shadowTable() + " has no key column '"
            + shadowKey + "' (columns: " + String.join(", ", s.keySet()) + ")");
      }
      shadowUsed.add(shadowKey);
      keys.add(new Col(k, type, Canonical.kind(baseType(type)), primaryExpr(k),
          "(" + Canonical.column(shadowKey) + ")::" + type));
    }
    values = new ArrayList<>();
    for (Map.Entry<String, String> c : p.entrySet()) {
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
      values.add(new Col(name, c.getValue(), Canonical.kind(baseType(c.getValue())), primaryExpr(name), shadowSql));
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

  private static String baseType(String formatted) {
    int paren = formatted.indexOf('(');
    String t = paren < 0 ? formatted : formatted.substring(0, paren).trim();
    return t.endsWith("[]") ? "array" : t;
  }

  // ---- SQL ----

  /**
   * A key column on one side, in the primary's type. Ordered ({@code collate}) in the byte order of "C", so that
   * two databases with different collations list the rows of a chunk alike; ranges use the column's own collation,
   * so that its index serves them (a collation that differs between the sides only moves rows between chunks,
   * which the row-by-row pass then sorts out).
   */
  private String keyExpr(Col k, boolean primarySide, boolean collate) {
    String e = primarySide ? "(" + k.primarySql() + ")::" + k.type() : k.shadowSql();
    return collate && k.kind() == Canonical.Kind.TEXT ? "(" + e + ") COLLATE \"C\"" : e;
  }

  private String keyList(boolean primarySide) {
    List<String> out = new ArrayList<>();
    for (Col k : keys) {
      out.add(keyExpr(k, primarySide, false));
    }
    return String.join(", ", out);
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

  /** The chunk's key range with parameters from {@code first}: {@code lo <= key < hi}, either bound absent. */
  private String range(boolean primarySide, boolean lo, boolean hi, int first) {
    List<String> conditions = new ArrayList<>();
    String tuple = "(" + keyList(primarySide) + ")";
    if (keys.size() == 1) {
      tuple = keyList(primarySide);
    }
    int n = first;
    if (lo) {
      conditions.add(tuple + " >= " + params(n));
      n += keys.size();
    }
    if (hi) {
      conditions.add(tuple + " < " + params(n));
    }
    return conditions.isEmpty() ? "TRUE" : String.join(" AND ", conditions);
  }

  private String params(int first) {
    List<String> p = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      p.add("CAST($" + (first + i) + "::text AS " + keys.get(i).type() + ")"); // keys travel as text
    }
    return keys.size() == 1 ? p.get(0) : "(" + String.join(", ", p) + ")";
  }

  private String table(boolean primarySide) {
    return Canonical.table(primarySide ? spec.primaryTable() : spec.shadowTable());
  }

  // ---- the passes ----

  /** The first key of every chunk, as text, from one key-only pass over the primary. */
  private Future<List<List<String>>> boundaries() {
    StringBuilder texts = new StringBuilder();
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < keys.size(); i++) {
      texts.append(i == 0 ? "" : ", ").append("k").append(i).append("::text");
      names.append(i == 0 ? "" : ", ").append(keyExpr(keys.get(i), true, false)).append(" AS k").append(i);
    }
    // By the keys themselves (s.k0), not by their text, which the output columns are.
    String order = orderBy().replaceAll("k(\\d+)", "s.k$1");
    String sql = "SELECT " + texts + " FROM (SELECT " + names + ", row_number() OVER (ORDER BY " + keyList(true)
        + ") AS tandem_rn FROM " + table(true) + ") s WHERE tandem_rn % $1 = 1 ORDER BY " + order;
    return primary.preparedQuery(sql).execute(Tuple.of(options.chunkSize()))
        .recover(t -> Future.failedFuture(new VerifyException("primary database: cannot read the keys of "
            + spec.primaryTable() + ": " + t.getMessage())))
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

  private String orderBy() {
    List<String> o = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      o.add("k" + i);
    }
    return String.join(", ", o);
  }

  /** Everything the chunk pass found, for the recheck and the result. */
  private final class State {
    final AtomicLong primaryRows = new AtomicLong();
    final AtomicLong shadowRows = new AtomicLong();
    final AtomicInteger differing = new AtomicInteger();
    int chunks;
    final List<Pending> findings = java.util.Collections.synchronizedList(new ArrayList<>());
  }

  /** A finding with the key values to fetch its row again, and whether its row changed recently. */
  private record Pending(Finding finding, List<String> keyValues, boolean recent) {
  }

  private Future<State> checkChunks(List<List<String>> bounds) {
    State state = new State();
    int n = Math.max(1, bounds.size());
    state.chunks = n;
    AtomicInteger next = new AtomicInteger();
    Promise<State> done = Promise.promise();
    AtomicInteger running = new AtomicInteger(Math.min(options.concurrency(), n));
    int workers = running.get();
    for (int w = 0; w < workers; w++) {
      worker(bounds, n, next, state, running, done);
    }
    return done.future();
  }

  private void worker(List<List<String>> bounds, int n, AtomicInteger next, State state, AtomicInteger running,
                      Promise<State> done) {
    int i = next.getAndIncrement();
    if (i >= n || done.future().isComplete()) {
      if (running.decrementAndGet() == 0) {
        done.tryComplete(state);
      }
      return;
    }
    List<String> lo = i == 0 ? null : bounds.get(i);
    List<String> hi = i + 1 >= bounds.size() ? null : bounds.get(i + 1);
    chunk(lo, hi, state).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      worker(bounds, n, next, state, running, done);
    });
  }

  private Tuple bindings(List<String> lo, List<String> hi) {
    Tuple t = Tuple.tuple();
    if (lo != null) {
      lo.forEach(t::addString);
    }
    if (hi != null) {
      hi.forEach(t::addString);
    }
    return t;
  }

  private Future<Void> chunk(List<String> lo, List<String> hi, State state) {
    Future<Row> p = checksum(true, lo, hi);
    Future<Row> s = checksum(false, lo, hi);
    return Future.all(p, s).compose(both -> {
      Row a = p.result();
      Row b = s.result();
      state.primaryRows.addAndGet(a.getLong(0));
      state.shadowRows.addAndGet(b.getLong(0));
      transferred.addAndGet(2);
      if (a.getLong(0).equals(b.getLong(0)) && a.getLong(1).equals(b.getLong(1)) && a.getLong(0).equals(a.getLong(1))
          && Objects.equals(a.getString(2), b.getString(2))) {
        return Future.succeededFuture();
      }
      state.differing.incrementAndGet();
      return Future.all(fetch(true, lo, hi), fetch(false, lo, hi))
          .map(rows -> {
            compare(rows.resultAt(0), rows.resultAt(1), state.findings);
            return null;
          });
    });
  }

  private Future<Row> checksum(boolean primarySide, List<String> lo, List<String> hi) {
    String keyTuple = keys.size() == 1 ? "k0" : "(" + orderBy() + ")";
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < keys.size(); i++) {
      names.append(i == 0 ? "" : ", ").append(keyExpr(keys.get(i), primarySide, false)).append(" AS k").append(i)
          .append(", ").append(keyExpr(keys.get(i), primarySide, true)).append(" AS c").append(i);
    }
    List<String> byteOrder = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      byteOrder.add("c" + i);
    }
    String sql = "SELECT count(*), count(DISTINCT " + keyTuple + "), md5(string_agg(h, '' ORDER BY "
        + String.join(", ", byteOrder) + ")) FROM (SELECT " + names + ", md5(" + rowText(primarySide) + ") AS h FROM " + table(primarySide)
        + " WHERE " + range(primarySide, lo != null, hi != null, 1) + ") s";
    return (primarySide ? primary : shadow).preparedQuery(sql).execute(bindings(lo, hi))
        .recover(t -> Future.failedFuture(failure(primarySide, t)))
        .map(rows -> rows.iterator().next());
  }

  private VerifyException failure(boolean primarySide, Throwable t) {
    return t instanceof VerifyException v ? v : new VerifyException((primarySide ? "primary" : "shadow")
        + " database: " + (primarySide ? spec.primaryTable() : spec.shadowTable()) + ": " + t.getMessage());
  }

  private String rowSelect(boolean primarySide) {
    StringBuilder b = new StringBuilder("SELECT ");
    for (int i = 0; i < keys.size(); i++) {
      b.append(i == 0 ? "" : ", ").append("(").append(primarySide ? "(" + keys.get(i).primarySql() + ")::"
          + keys.get(i).type() : keys.get(i).shadowSql()).append(")::text");
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

  private Future<List<FetchedRow>> fetch(boolean primarySide, List<String> lo, List<String> hi) {
    String sql = rowSelect(primarySide) + " WHERE " + range(primarySide, lo != null, hi != null, 1);
    return (primarySide ? primary : shadow).preparedQuery(sql).execute(bindings(lo, hi))
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
  private void compare(List<FetchedRow> p, List<FetchedRow> s, List<Pending> into) {
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
        into.add(new Pending(f, any.keyValues(), recent));
      }
    }
  }

  private Finding classify(List<FetchedRow> a, List<FetchedRow> b, FetchedRow any) {
    String table = spec.primaryTable();
    if (a.size() > 1 || b.size() > 1) {
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
    synchronized (state.findings) {
      for (Pending p : state.findings) {
        if (spec.updatedAt() == null || p.recent()) {
          suspect.add(p);
        }
      }
    }
    if (suspect.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Pending> capped = suspect.subList(0, Math.min(suspect.size(), MAX_RECHECK));
    if (suspect.size() > MAX_RECHECK) {
      notes.add((suspect.size() - MAX_RECHECK) + " findings were not re-checked (more than " + MAX_RECHECK + ")");
    }
    Promise<Void> waited = Promise.promise();
    if (onSettleWait != null) {
      onSettleWait.run();
    }
    vertx.setTimer(Math.max(1, options.settle().toMillis()), id -> waited.complete());
    return waited.future().compose(v -> {
      List<Future<Void>> batches = new ArrayList<>();
      for (int i = 0; i < capped.size(); i += RECHECK_BATCH) {
        List<Pending> batch = capped.subList(i, Math.min(capped.size(), i + RECHECK_BATCH));
        batches.add(recheckBatch(batch, state));
      }
      return Future.all(batches).mapEmpty();
    });
  }

  static final int MAX_RECHECK = 10_000;
  static final int RECHECK_BATCH = 200;
  private final AtomicInteger rechecked = new AtomicInteger();
  private final AtomicInteger settledCount = new AtomicInteger();

  private Future<Void> recheckBatch(List<Pending> batch, State state) {
    return Future.all(byKeys(true, batch), byKeys(false, batch)).map(rows -> {
      List<Pending> now = new ArrayList<>();
      compare(rows.resultAt(0), rows.resultAt(1), now);
      Set<String> stillDiffering = new HashSet<>();
      now.forEach(p -> stillDiffering.add(p.finding().keyText()));
      synchronized (state.findings) {
        for (Pending old : batch) {
          rechecked.incrementAndGet();
          state.findings.remove(old);
          if (!stillDiffering.contains(old.finding().keyText())) {
            settledCount.incrementAndGet();
          }
        }
        // The rows as they are now: a mismatch may have changed its values, or its class.
        now.forEach(p -> state.findings.add(new Pending(p.finding(), p.keyValues(), false)));
      }
      return null;
    });
  }

  private Future<List<FetchedRow>> byKeys(boolean primarySide, List<Pending> batch) {
    StringBuilder in = new StringBuilder();
    Tuple t = Tuple.tuple();
    int n = 1;
    for (int i = 0; i < batch.size(); i++) {
      in.append(i == 0 ? "" : ", ").append(params(n));
      n += keys.size();
      batch.get(i).keyValues().forEach(t::addString);
    }
    String tuple = keys.size() == 1 ? keyList(primarySide) : "(" + keyList(primarySide) + ")";
    String sql = rowSelect(primarySide) + " WHERE " + tuple + " IN (" + in + ")";
    return (primarySide ? primary : shadow).preparedQuery(sql).execute(t)
        .recover(x -> Future.failedFuture(failure(primarySide, x)))
        .map(this::rows);
  }

  private TableResult result(State state, long millis) {
    Map<Finding.Kind, Long> counts = new EnumMap<>(Finding.Kind.class);
    List<Finding> kept = new ArrayList<>();
    synchronized (state.findings) {
      for (Pending p : state.findings) {
        counts.merge(p.finding().kind(), 1L, Long::sum);
        if (kept.size() < options.maxFindings()) {
          kept.add(p.finding());
        }
      }
    }
    return new TableResult(spec.primaryTable(), spec.shadowTable(), state.primaryRows.get(), state.shadowRows.get(),
        state.chunks, state.differing.get(), transferred.get(), counts, kept, rechecked.get(), settledCount.get(),
        notes, millis);
  }
}
