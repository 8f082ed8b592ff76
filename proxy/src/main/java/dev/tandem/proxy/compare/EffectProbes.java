package dev.tandem.proxy.compare;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.comparator.DbEffect;
import dev.tandem.comparator.Difference;
import dev.tandem.comparator.JsonDiff;
import dev.tandem.comparator.RecordedExchange;
import dev.tandem.comparator.Rules;
import dev.tandem.comparator.Side;
import dev.tandem.proxy.config.EffectsConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads back what one compared request wrote, with the route's SQL probes, from the primary's and the shadow's
 * database, after a settle delay, and again (up to {@code retries} times) while the rows differ — a write behind a
 * queue lands late. Rows are compared as JSON under the comparator's rules; a probe that cannot run (a parameter not
 * in the request, a database down) says why and adds no difference. At most {@link #MAX_IN_FLIGHT} exchanges are
 * being probed; beyond, an exchange is compared without its effects, and says so.
 */
final class EffectProbes {

  static final int MAX_IN_FLIGHT = 256;
  /** Rows kept per side and probe; a probe meant to read one request's rows reads a few. */
  static final int MAX_ROWS = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final EffectsConfig config;
  private final Pool primary;
  private final Pool shadow;
  private final Rules rules;
  private final java.util.concurrent.atomic.AtomicInteger inFlight;
  private final java.util.concurrent.atomic.LongAdder reads;

  /** @param reads counts every read of both databases (a probe and its retries) */
  EffectProbes(Vertx vertx, EffectsConfig config, Pool primary, Pool shadow, Rules rules,
               java.util.concurrent.atomic.AtomicInteger inFlight, java.util.concurrent.atomic.LongAdder reads) {
    this.reads = reads;
    this.vertx = vertx;
    this.config = config;
    this.primary = primary;
    this.shadow = shadow;
    this.rules = rules;
    this.inFlight = inFlight;
  }

  /** Whether any probe applies to this exchange. */
  boolean applies(RecordedExchange e) {
    return config.probes().stream().anyMatch(p -> p.applies(e.method(), e.path()));
  }

  /** The effects of every probe that applies; never fails. */
  Future<List<DbEffect>> run(RecordedExchange e) {
    List<EffectsConfig.Probe> probes = config.probes().stream().filter(p -> p.applies(e.method(), e.path())).toList();
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      return Future.succeededFuture(probes.stream().map(p -> failed(p, 0, "not read: " + MAX_IN_FLIGHT
          + " exchanges were already being probed")).toList());
    }
    List<Future<DbEffect>> all = new ArrayList<>();
    for (EffectsConfig.Probe p : probes) {
      all.add(attempt(p, e, 1));
    }
    return Future.join(all).transform(ar -> {
      inFlight.decrementAndGet();
      List<DbEffect> out = new ArrayList<>();
      all.forEach(f -> out.add(f.result()));
      return Future.succeededFuture(out);
    });
  }

  private Future<DbEffect> attempt(EffectsConfig.Probe p, RecordedExchange e, int n) {
    Promise<Void> settled = Promise.promise();
    vertx.setTimer(Math.max(1, config.settle().toMillis()), id -> settled.complete());
    return settled.future().compose(v -> read(p, e, n)).compose(effect -> {
      boolean again = effect.error() == null && !effect.differences().isEmpty() && n <= config.retries();
      return again ? attempt(p, e, n + 1) : Future.succeededFuture(effect);
    });
  }

  private Future<DbEffect> read(EffectsConfig.Probe p, RecordedExchange e, int attempt) {
    List<String> primaryParams;
    List<String> shadowParams;
    try {
      primaryParams = params(p.params(), e);
      shadowParams = params(p.shadowParams(), e);
    } catch (IllegalArgumentException x) {
      return Future.succeededFuture(failed(p, attempt, x.getMessage()));
    }
    Future<JsonArray> a = query(primary, "primary", p.sql(), primaryParams);
    Future<JsonArray> b = query(shadow, "shadow", p.shadowSql(), shadowParams);
    reads.increment();
    return Future.join(a, b).transform(ar -> {
      if (a.failed() || b.failed()) {
        return Future.succeededFuture(failed(p, attempt, (a.failed() ? a.cause() : b.cause()).getMessage()));
      }
      List<Difference> diffs = new ArrayList<>();
      for (Difference d : JsonDiff.diff(tree(a.result()), tree(b.result()), rules)) {
        String prefix = "db:" + p.name();
        diffs.add(new Difference(prefix + d.path(), prefix + d.field(), d.kind(), d.primary(), d.candidate()));
      }
      return Future.succeededFuture(new DbEffect(p.name(), a.result(), b.result(), diffs, attempt, null));
    });
  }

  private static DbEffect failed(EffectsConfig.Probe p, int attempts, String why) {
    return new DbEffect(p.name(), new JsonArray(), new JsonArray(), List.of(), attempts, why);
  }

  private static JsonNode tree(JsonArray rows) {
    try {
      return JSON.readTree(rows.encode());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("rows encode as JSON", e);
    }
  }

  /**
   * Runs a probe. PostgreSQL infers each parameter's type from the query and the client checks the value against
   * it: a value that looks like a number (or a UUID) goes as one, and as text when the query wants text.
   */
  private static Future<JsonArray> query(Pool pool, String side, String sql, List<String> params) {
    return pool.preparedQuery(sql).execute(typed(params))
        .recover(t -> t.getMessage() != null && t.getMessage().contains("can not be coerced")
            ? pool.preparedQuery(sql).execute(Tuple.from(new ArrayList<Object>(params))) : Future.failedFuture(t))
        .recover(t -> Future.failedFuture(side + " database: " + t.getMessage()))
        .map(EffectProbes::rows);
  }

  private static Tuple typed(List<String> params) {
    Tuple t = Tuple.tuple();
    params.forEach(v -> t.addValue(typed(v)));
    return t;
  }

  /** Rows as JSON objects by column, values in the comparator's terms: numbers, UTC instants, text. */
  static JsonArray rows(RowSet<Row> rows) {
    JsonArray out = new JsonArray();
    List<String> names = rows.columnsNames();
    for (Row r : rows) {
      if (out.size() >= MAX_ROWS) {
        out.add(new JsonObject().put("_truncated", "more than " + MAX_ROWS + " rows; the rest not compared"));
        break;
      }
      JsonObject o = new JsonObject();
      for (int i = 0; i < names.size(); i++) {
        o.put(names.get(i), value(r.getValue(i)));
      }
      out.add(o);
    }
    return out;
  }

  private static Object value(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof JsonObject || v instanceof JsonArray) {
      return v;
    }
    if (v instanceof io.vertx.sqlclient.data.Numeric n) {
      BigDecimal d = n.bigDecimalValue();
      return d == null ? n.toString() : d.stripTrailingZeros();
    }
    if (v instanceof BigDecimal d) {
      return d.stripTrailingZeros();
    }
    if (v instanceof Number) {
      return v;
    }
    if (v instanceof OffsetDateTime t) {
      return t.toInstant().truncatedTo(ChronoUnit.MICROS).toString();
    }
    if (v instanceof LocalDateTime t) {
      return t.toInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS).toString(); // a time without zone: UTC
    }
    if (v instanceof Buffer b) {
      return HexFormat.of().formatHex(b.getBytes());
    }
    if (v instanceof Object[] array) {
      JsonArray a = new JsonArray();
      for (Object x : array) {
        a.add(value(x));
      }
      return a;
    }
    return v.toString();
  }

  /** Each parameter from where the probe says; fails naming the one that is not there. */
  static List<String> params(List<String> sources, RecordedExchange e) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) {
      String s = sources.get(i);
      String v = param(s, e);
      if (v == null) {
        throw new IllegalArgumentException("parameter $" + (i + 1) + " (" + s + ") has no value in this exchange");
      }
      out.add(v);
    }
    return out;
  }

  private static String param(String source, RecordedExchange e) {
    int colon = source.indexOf(':');
    String kind = source.substring(0, colon);
    String arg = source.substring(colon + 1);
    return switch (kind) {
      case "path" -> {
        String[] parts = e.path().replaceAll("^/+", "").split("/");
        int n = Integer.parseInt(arg);
        yield n < parts.length && !parts[n].isEmpty() ? URLDecoder.decode(parts[n], StandardCharsets.UTF_8) : null;
      }
      case "query" -> query(e.uri(), arg);
      case "header" -> e.headers().stream().filter(h -> h.getKey().equalsIgnoreCase(arg)).map(Map.Entry::getValue)
          .findFirst().orElse(null);
      case "request.json" -> pointer(e.body(), arg);
      case "primary.json" -> pointer(body(e.primary()), arg);
      case "shadow.json" -> pointer(body(e.candidate()), arg);
      default -> null;
    };
  }

  private static byte[] body(Side s) {
    return s == null ? new byte[0] : s.body();
  }

  private static String query(String uri, String name) {
    int q = uri.indexOf('?');
    if (q < 0) {
      return null;
    }
    for (String pair : uri.substring(q + 1).split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      if (k.equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static String pointer(byte[] body, String ptr) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null) {
        return null;
      }
      JsonNode v = n.at(JsonPointer.compile(ptr.isEmpty() ? "" : ptr));
      return v.isMissingNode() || v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString();
    } catch (java.io.IOException | IllegalArgumentException x) {
      return null;
    }
  }

  /** A parameter as PostgreSQL's binary protocol wants it for the usual key columns: a number, a UUID, or text. */
  private static Object typed(String v) {
    if (v.matches("-?\\d{1,18}")) {
      return Long.parseLong(v);
    }
    if (v.matches("-?\\d+\\.\\d+")) {
      return io.vertx.sqlclient.data.Numeric.create(new BigDecimal(v));
    }
    if (v.matches("(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")) {
      return UUID.fromString(v);
    }
    return v;
  }
}
