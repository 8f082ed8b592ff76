package dev.tandem.comparator;

import dev.tandem.comparator.grpc.ProtoSchema;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compares recorded exchanges and keeps what was learned: per endpoint the stats, and samples of differing
 * exchanges with both sides (secrets redacted) and a {@code curl} command per side to reproduce the request. Safe
 * to call from several worker threads; each call is independent of the event loops.
 */
public final class ComparisonEngine {

  /** What became of one exchange; the values of {@code tandem_comparisons_total{result}}. */
  public enum Result {
    MATCH, DIFFER, NOISE, ERROR, SHED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Rules global;
  private final Map<String, Rules> endpointRules;
  private final EndpointGrouper grouper;
  private final NoiseRule noise;
  private final Redactor redactor;
  private final ResultStore store;
  private final Map<String, String> backendUrls;
  private final ProtoSchema protos;
  private final Map<String, EndpointStats> stats = new ConcurrentHashMap<>();
  private final Map<String, String[]> sideNames = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.LongAdder storeFailures = new java.util.concurrent.atomic.LongAdder();

  /**
   * @param endpointRules rules per endpoint template ({@code GET /orders/{id}}), added to the global ones
   * @param backendUrls   backend name to base URL, for the reproduction commands
   */
  public ComparisonEngine(Rules global, Map<String, Rules> endpointRules, EndpointGrouper grouper, NoiseRule noise,
                          Redactor redactor, ResultStore store, Map<String, String> backendUrls) {
    this(global, endpointRules, grouper, noise, redactor, store, backendUrls, ProtoSchema.NONE);
  }

  /**
   * @param protos the gRPC descriptor set ({@link ProtoSchema#load}): gRPC answers are compared by field name for the
   *               methods it has, by field number otherwise; {@link ProtoSchema#NONE} without one
   */
  public ComparisonEngine(Rules global, Map<String, Rules> endpointRules, EndpointGrouper grouper, NoiseRule noise,
                          Redactor redactor, ResultStore store, Map<String, String> backendUrls, ProtoSchema protos) {
    this.global = global;
    Map<String, Rules> combined = new LinkedHashMap<>();
    endpointRules.forEach((endpoint, rules) -> combined.put(endpoint, global.and(rules)));
    this.endpointRules = Map.copyOf(combined);
    this.grouper = grouper;
    this.noise = noise;
    this.redactor = redactor;
    this.store = store;
    this.backendUrls = Map.copyOf(backendUrls);
    this.protos = protos;
  }

  /** The result of one exchange and the endpoint it was counted under. */
  public record Outcome(Result result, String endpoint) {
  }

  public Outcome compare(RecordedExchange e) {
    String endpoint = grouper.endpoint(e.method(), e.path());
    return new Outcome(compare(e, endpoint), endpoint);
  }

  private Result compare(RecordedExchange e, String endpoint) {
    Rules rules = endpointRules.getOrDefault(endpoint, global);
    String path = e.path();
    ResponseDiff.Result raw = withEffects(ResponseDiff.compare(e.primary(), e.candidate(), rules, path, protos),
        e.effects());
    List<Difference> noiseDiffs = List.of();
    if (e.secondary() != null) {
      noiseDiffs = ResponseDiff.compare(e.primary(), e.secondary(), rules, path, protos).differences();
    }
    EndpointStats s = stats.computeIfAbsent(endpoint, EndpointStats::new);
    sideNames.putIfAbsent(endpoint, new String[] {e.primary().name(), e.candidate().name()});
    s.add(e.primary(), e.candidate(), raw.differences(), e.secondary(), noiseDiffs);
    store.count(e.time(), endpoint, fields(raw.differences()), fields(noiseDiffs));
    if (raw.matches()) {
      return Result.MATCH;
    }
    store.add(sample(e, endpoint, raw, noiseDiffs))
        .onFailure(x -> storeFailures.increment());
    return allNoise(raw.differences(), noiseDiffs, s) ? Result.NOISE : Result.DIFFER;
  }

  /** The response's differences and those of the rows the request wrote: an exchange differs if either does. */
  private static ResponseDiff.Result withEffects(ResponseDiff.Result response, List<DbEffect> effects) {
    if (effects.isEmpty()) {
      return response;
    }
    List<Difference> all = new ArrayList<>(response.differences());
    effects.forEach(x -> all.addAll(x.differences()));
    return new ResponseDiff.Result(all, response.truncated(), response.notes());
  }

  /**
   * Whether every differing field here also differed between the two primaries. Without a secondary nothing is
   * called noise here: a field flagged likely noise in the summary may still hide a regression, so the exchange
   * counts as differing (and the rollout's diff-rate gate sees it).
   */
  private static boolean allNoise(List<Difference> raw, List<Difference> noiseDiffs, EndpointStats s) {
    if (noiseDiffs.isEmpty()) {
      return false;
    }
    Set<String> noisy = new HashSet<>();
    noiseDiffs.forEach(d -> noisy.add(d.field()));
    return raw.stream().allMatch(d -> noisy.contains(d.field()));
  }

  private static Set<String> fields(List<Difference> diffs) {
    Set<String> out = new java.util.LinkedHashSet<>();
    diffs.forEach(d -> out.add(d.field()));
    return out;
  }

  /** Per endpoint: counts, fields with verdicts, status and latency by side; busiest endpoints first. */
  public JsonObject summary() {
    // Snapshot first: workers keep counting while this sorts.
    List<JsonObject> all = new ArrayList<>();
    for (Map.Entry<String, EndpointStats> e : stats.entrySet()) {
      String[] names = sideNames.getOrDefault(e.getKey(), new String[] {"primary", "candidate"});
      all.add(e.getValue().toJson(noise, names[0], names[1]));
    }
    all.sort((a, b) -> Long.compare(b.getLong("compared"), a.getLong("compared")));
    JsonArray endpoints = new JsonArray();
    all.forEach(endpoints::add);
    return new JsonObject().put("endpoints", endpoints).put("noise", new JsonObject()
        .put("relativeThreshold", noise.relative()).put("absoluteThreshold", noise.absolute()));
  }

  /** Samples the store could not keep (a database down); the comparisons themselves still count. */
  public long storeFailures() {
    return storeFailures.sum();
  }

  public ResultStore store() {
    return store;
  }

  private JsonObject sample(RecordedExchange e, String endpoint, ResponseDiff.Result raw, List<Difference> noiseDiffs) {
    List<Map.Entry<String, String>> headers = redactor.headers(e.headers());
    byte[] body = redactor.body(e.body());
    JsonObject sides = new JsonObject();
    sides.put(e.primary().name(), side(e.primary(), "primary"));
    sides.put(e.candidate().name(), side(e.candidate(), "candidate"));
    if (e.secondary() != null) {
      sides.put(e.secondary().name() + " (secondary)", side(e.secondary(), "secondary"));
    }
    JsonObject curl = new JsonObject();
    for (Side s : new Side[] {e.primary(), e.candidate()}) {
      String base = backendUrls.get(s.name());
      if (base != null) {
        curl.put(s.name(), curl(e.method(), base + e.uri(), headers, body));
      }
    }
    return new JsonObject().put("id", e.id()).put("time", e.time().toString()).put("route", e.route())
        .put("endpoint", endpoint).put("primary", e.primary().name()).put("candidate", e.candidate().name())
        .put("request", new JsonObject().put("method", e.method()).put("uri", e.uri()).put("headers", pairs(headers))
            .put("body", text(cap(body))))
        .put("sides", sides).put("differences", diffs(raw.differences())).put("noise", diffs(noiseDiffs))
        .put("effects", effects(e.effects()))
        .put("truncated", raw.truncated()).put("notes", new JsonArray(new ArrayList<>(raw.notes())))
        .put("curl", curl);
  }

  private static JsonArray effects(List<DbEffect> effects) {
    JsonArray a = new JsonArray();
    effects.forEach(x -> a.add(x.toJson()));
    return a;
  }

  private JsonObject side(Side s, String role) {
    return new JsonObject().put("role", role).put("status", s.status()).put("error", s.error())
        .put("millis", s.nanos() / 1_000_000.0).put("headers", pairs(redactor.headers(s.headers())))
        .put("body", text(cap(redactor.body(s.body())))).put("truncated", s.truncated());
  }

  private static JsonArray pairs(List<Map.Entry<String, String>> headers) {
    JsonArray a = new JsonArray();
    headers.forEach(h -> a.add(new JsonArray().add(h.getKey()).add(h.getValue())));
    return a;
  }

  private JsonArray diffs(List<Difference> diffs) {
    JsonArray a = new JsonArray();
    for (Difference d : diffs) {
      boolean secret = redactor.redacts(d.path());
      a.add(new JsonObject().put("path", d.path()).put("field", d.field()).put("kind", d.kind().label())
          .put("primary", secret ? Redactor.hash(String.valueOf(d.primary())) : capText(d.primary()))
          .put("candidate", secret ? Redactor.hash(String.valueOf(d.candidate())) : capText(d.candidate())));
    }
    return a;
  }

  /** Most of a body kept in a sample; the comparison itself saw up to maxBodyBytes. */
  static final int SAMPLE_BODY_BYTES = 64 * 1024;

  private static byte[] cap(byte[] body) {
    return body == null || body.length <= SAMPLE_BODY_BYTES ? body : java.util.Arrays.copyOf(body, SAMPLE_BODY_BYTES);
  }

  private static String capText(String s) {
    return s == null || s.length() <= 4096 ? s : s.substring(0, 4096) + "…";
  }

  /** UTF-8 text as is; anything else as {"base64": ...}. */
  static Object text(byte[] body) {
    if (body == null || body.length == 0) {
      return "";
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      return new JsonObject().put("base64", Base64.getEncoder().encodeToString(body));
    }
  }

  /** A shell command that sends the same request (secrets as redacted) to {@code url}. */
  static String curl(String method, String url, List<Map.Entry<String, String>> headers, byte[] body) {
    StringBuilder sb = new StringBuilder("curl -sS -X ").append(method).append(' ').append(quote(url));
    for (Map.Entry<String, String> h : headers) {
      String n = h.getKey().toLowerCase(Locale.ROOT);
      if (n.equals("host") || n.equals("content-length") || n.equals("connection") || n.startsWith("x-shadow")
          || n.startsWith("x-original") || n.equals("transfer-encoding")) {
        continue;
      }
      sb.append(" -H ").append(quote(h.getKey() + ": " + h.getValue()));
    }
    if (body != null && body.length > 0) {
      Object t = text(body);
      sb.append(" --data-binary ").append(t instanceof String s ? quote(s) : "@body.bin");
    }
    return sb.toString();
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
