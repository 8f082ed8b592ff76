package dev.tandem.proxy.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.TestCertificates;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard in k8s/grafana asks only for series a real Tandem serves. One Tandem runs everything the
 * dashboard shows (TLS, canary with a rollout, mirror, comparison, capture), takes traffic so that the labelled
 * series exist, and its {@code GET /metrics} is the reference every panel's query is checked against.
 */
class GrafanaDashboardTest {

  private static final Path DASHBOARD = Path.of("..", "k8s", "grafana", "tandem-dashboard.json");
  private static final String DATASOURCE = "${datasource}";
  /** Labels Prometheus adds when it scrapes, which Tandem itself never serves. */
  private static final Set<String> TARGET_LABELS = Set.of("instance", "job");
  /** Grafana's own variables, filled in by Grafana rather than defined in the dashboard's templating. */
  private static final Set<String> GRAFANA_VARIABLES = Set.of("__rate_interval", "__interval", "__range");
  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)(?::\\w+)?}?");
  private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*(\\w+)\\s*\\)\\s*$");

  private static TandemHarness h;
  private static Served served;
  private static JsonNode dashboard;

  @BeforeAll
  static void scrapeATandemThatDoesEverything() throws IOException {
    h = new TandemHarness();
    Path dir = Files.createTempDirectory(h.stateDir(), "grafana");
    TestCertificates ca = TestCertificates.authority("Grafana Test CA");
    Path caFile = ca.writeCa(dir.resolve("ca.crt"));
    TestCertificates.Issued cert = ca.issue(dir, "tls", "tandem.test", BigInteger.ONE, "IP:127.0.0.1");
    // The two sides disagree on one field, so that comparisons differ and the per-endpoint series exist.
    int legacy = h.backend(req -> req.response().putHeader("Content-Type", "application/json")
        .end("{\"id\":1,\"status\":\"NEW\"}")).actualPort();
    int candidate = h.backend(req -> req.response().putHeader("Content-Type", "application/json")
        .end("{\"id\":1,\"status\":\"PENDING\"}")).actualPort();
    // TLS on the data listener, a canary with a rollout and capture on: their series exist only then.
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, tls: { cert: "%s", key: "%s" } }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends: { legacy: "http://127.0.0.1:%d", candidate: "http://127.0.0.1:%d" }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, percent: 100, compare: true }
            canary:
              backend: candidate
              weight: 0
              rollout: { steps: [10, 50, 100], interval: 100ms, gates: { minRequests: 0 } }
        capture: { enabled: true, dir: "%s" }
        deadLetters: { file: "%s" }
        """.formatted(cert.cert(), cert.key(), TandemHarness.TOKEN, legacy, candidate, dir.resolve("captures"),
        dir.resolve("dead-letters.jsonl")));

    HttpClientAgent tls = h.vertx.createHttpClient(new HttpClientOptions().setSsl(true).setKeepAlive(false)
        .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString())));
    for (int i = 1; i <= 10; i++) {
      RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.port()).setURI("/orders/" + i);
      if (i % 3 == 0) {
        o.putHeader("X-Canary", "always"); // the candidate answers these: its own request and latency series
      }
      int status = h.call(() -> tls.request(o).compose(r -> r.send()).map(r -> r.statusCode()));
      assertThat(status).isEqualTo(200);
    }
    // A gate check counts each gate's verdict, so that tandem_rollout_gates_total has its labelled series.
    TandemHarness.Admin started = h.admin(t, HttpMethod.POST, "/admin/routes/orders/rollout", null);
    assertThat(started.status()).as(started.json().encode()).isEqualTo(200);
    eventually("comparisons, a difference per endpoint and a rollout gate check", () -> {
      String text = scrape(t);
      return text.contains("tandem_comparisons_total{") && text.contains("tandem_differences_total{")
          && text.contains("tandem_rollout_gates_total{");
    });
    served = Served.parse(scrape(t));
    dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
  }

  @AfterAll
  static void close() {
    if (h != null) {
      h.close();
    }
  }

  private static String scrape(Tandem t) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(t.adminPort()).setURI("/metrics");
    return h.call(() -> h.client().request(o).compose(r -> r.send()).compose(r -> r.body())).toString();
  }

  @Test
  @DisplayName("every metric a panel or a variable queries is one Tandem serves")
  void everyMetricIsServed() {
    Map<String, Set<String>> missing = new LinkedHashMap<>();
    for (Query q : queries()) {
      for (String name : metricNames(q.expr())) {
        if (!served.labels.containsKey(name)) {
          missing.computeIfAbsent(name, k -> new TreeSet<>()).add(q.where());
        }
      }
    }
    assertThat(missing).as("metrics the dashboard queries that Tandem does not serve (name=[where]); served: %s",
        new TreeSet<>(served.labels.keySet())).isEmpty();
  }

  @Test
  @DisplayName("every label a query matches or groups by is one the metric carries")
  void everyLabelIsServed() {
    List<String> wrong = new ArrayList<>();
    for (Query q : queries()) {
      String expr = withoutStrings(q.expr());
      Set<String> metrics = metricNames(q.expr());
      Matcher s = SELECTOR.matcher(expr);
      while (s.find()) {
        if (!served.labels.containsKey(s.group(1))) {
          continue; // everyMetricIsServed names it; its labels would only repeat that
        }
        for (String matcher : s.group(2).split(",")) {
          String label = matcher.replaceAll("[=!~].*", "").trim();
          if (!label.isEmpty() && !labelsOf(s.group(1)).contains(label)) {
            wrong.add(q.where() + ": " + s.group(1) + " has no label '" + label + "' (it has "
                + labelsOf(s.group(1)) + ")");
          }
        }
      }
      Matcher g = GROUPING.matcher(expr);
      while (g.find()) {
        for (String label : g.group(1).split(",")) {
          String l = label.trim();
          if (!l.isEmpty() && metrics.stream().anyMatch(served.labels::containsKey)
              && metrics.stream().noneMatch(m -> labelsOf(m).contains(l))) {
            wrong.add(q.where() + ": no metric of " + metrics + " has the label '" + l + "' it groups by");
          }
        }
      }
    }
    assertThat(wrong).as("labels no served series carries").isEmpty();
  }

  @Test
  @DisplayName("histogram_quantile reads the _bucket series of a histogram, by le")
  void quantilesReadBuckets() {
    List<String> wrong = new ArrayList<>();
    for (Query q : queries()) {
      if (!q.expr().contains("histogram_quantile")) {
        continue;
      }
      Set<String> names = metricNames(q.expr());
      if (names.isEmpty() || !names.stream().allMatch(n -> n.endsWith("_bucket")
          && "histogram".equals(served.types.get(n.substring(0, n.length() - "_bucket".length()))))) {
        wrong.add(q.where() + ": " + names + " is not a histogram's _bucket");
      }
      if (!Pattern.compile("\\bby\\s*\\([^)]*\\ble\\b").matcher(q.expr()).find()) {
        wrong.add(q.where() + ": the buckets are not summed by le");
      }
    }
    assertThat(wrong).isEmpty();
  }

  @Test
  @DisplayName("Grafana can import it: unique panel ids, a gridPos each, every query on the ${datasource} variable")
  void importable() {
    Set<String> wrong = new java.util.LinkedHashSet<>();
    assertThat(dashboard.path("schemaVersion").asInt()).as("schemaVersion").isBetween(36, 41);
    assertThat(dashboard.path("title").asText()).isNotBlank();
    assertThat(dashboard.path("uid").asText()).isNotBlank();
    Map<String, JsonNode> variables = new HashMap<>();
    for (JsonNode v : dashboard.path("templating").path("list")) {
      variables.put(v.path("name").asText(), v);
    }
    assertThat(variables).containsKeys("datasource", "route");
    assertThat(variables.get("datasource").path("type").asText()).isEqualTo("datasource");
    assertThat(variables.get("datasource").path("query").asText()).isEqualTo("prometheus");
    assertThat(queryOf(variables.get("route"))).isEqualTo("label_values(tandem_requests_total, route)");
    variables.values().stream().filter(v -> "query".equals(v.path("type").asText()))
        .filter(v -> !DATASOURCE.equals(v.path("datasource").path("uid").asText()))
        .forEach(v -> wrong.add("variable " + v.path("name").asText() + ": datasource is not " + DATASOURCE));
    for (JsonNode a : dashboard.path("annotations").path("list")) {
      if (a.has("expr") && !DATASOURCE.equals(a.path("datasource").path("uid").asText())) {
        wrong.add("annotation '" + a.path("name").asText() + "': datasource is not " + DATASOURCE);
      }
    }

    Set<Integer> ids = new HashSet<>();
    List<JsonNode> placed = new ArrayList<>();
    List<JsonNode> panels = panels();
    assertThat(panels).isNotEmpty();
    for (JsonNode p : panels) {
      String where = "panel " + p.path("id") + " '" + p.path("title").asText() + "'";
      if (!p.path("id").isInt() || !ids.add(p.path("id").asInt())) {
        wrong.add(where + ": id missing or not unique");
      }
      JsonNode grid = p.path("gridPos");
      for (String k : List.of("h", "w", "x", "y")) {
        if (!grid.path(k).isInt()) {
          wrong.add(where + ": gridPos." + k + " missing");
        }
      }
      if (grid.path("x").asInt() + grid.path("w").asInt() > 24) {
        wrong.add(where + ": wider than Grafana's 24 columns");
      }
      // Grafana moves overlapping panels on import, so the layout seen would not be the one written.
      for (JsonNode other : placed) {
        JsonNode o = other.path("gridPos");
        if (grid.path("x").asInt() < o.path("x").asInt() + o.path("w").asInt()
            && o.path("x").asInt() < grid.path("x").asInt() + grid.path("w").asInt()
            && grid.path("y").asInt() < o.path("y").asInt() + o.path("h").asInt()
            && o.path("y").asInt() < grid.path("y").asInt() + grid.path("h").asInt()) {
          wrong.add(where + ": overlaps panel " + other.path("id"));
        }
      }
      placed.add(p);
      String type = p.path("type").asText();
      if (type.equals("row") || type.equals("text")) {
        continue;
      }
      if (!DATASOURCE.equals(p.path("datasource").path("uid").asText())
          || !"prometheus".equals(p.path("datasource").path("type").asText())) {
        wrong.add(where + ": datasource is not {type: prometheus, uid: " + DATASOURCE + "}");
      }
      if (p.path("targets").isEmpty()) {
        wrong.add(where + ": no targets");
      }
      Set<String> refIds = new HashSet<>();
      for (JsonNode target : p.path("targets")) {
        if (target.path("expr").asText().isBlank()) {
          wrong.add(where + ": a target without expr");
        }
        if (!refIds.add(target.path("refId").asText()) || target.path("refId").asText().isEmpty()) {
          wrong.add(where + ": refId missing or repeated");
        }
        if (target.has("datasource") && !DATASOURCE.equals(target.path("datasource").path("uid").asText())) {
          wrong.add(where + ": a target's datasource is not " + DATASOURCE);
        }
      }
    }
    for (Query q : queries()) {
      Matcher m = VARIABLE.matcher(q.expr());
      while (m.find()) {
        if (!variables.containsKey(m.group(1)) && !GRAFANA_VARIABLES.contains(m.group(1))) {
          wrong.add(q.where() + ": $" + m.group(1) + " is not a variable of the dashboard");
        }
      }
    }
    assertThat(wrong).as("what Grafana would not show as meant").isEmpty();
  }

  @Test
  @DisplayName("the name check itself catches a name Tandem does not serve")
  void catchesABadName() {
    assertThat(metricNames("sum by (route, backend) (rate(tandem_request_total{route=~\"$route\"}[$__rate_interval]))"))
        .containsExactly("tandem_request_total");
    assertThat(served.labels).doesNotContainKey("tandem_request_total");
    assertThat(metricNames("histogram_quantile(0.99, sum by (le) (rate(x_bucket{le=\"+Inf\"}[5m]))) / on(route) y"))
        .containsExactlyInAnyOrder("x_bucket", "y");
    assertThat(metricNames("label_values(tandem_requests_total{route=~\"$route\"}, instance)"))
        .containsExactly("tandem_requests_total");
  }

  /** Every panel, those inside collapsed rows too. */
  private static List<JsonNode> panels() {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      p.path("panels").forEach(out::add);
    }
    return out;
  }

  /** One PromQL query of the dashboard and where it is, for messages. */
  private record Query(String where, String expr) {
  }

  private static List<Query> queries() {
    List<Query> out = new ArrayList<>();
    for (JsonNode p : panels()) {
      for (JsonNode target : p.path("targets")) {
        out.add(new Query("panel '" + p.path("title").asText() + "' " + target.path("refId").asText(),
            target.path("expr").asText()));
      }
    }
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if ("query".equals(v.path("type").asText())) {
        out.add(new Query("variable " + v.path("name").asText(), queryOf(v)));
      }
    }
    for (JsonNode a : dashboard.path("annotations").path("list")) {
      if (a.has("expr")) {
        out.add(new Query("annotation '" + a.path("name").asText() + "'", a.path("expr").asText()));
      }
    }
    assertThat(out).as("queries in the dashboard").isNotEmpty();
    return out;
  }

  /** A query variable's PromQL: Grafana 10 writes an object with a query, earlier versions a string. */
  private static String queryOf(JsonNode variable) {
    JsonNode q = variable.path("query");
    return q.isObject() ? q.path("query").asText() : q.asText();
  }

  /**
   * The metric names in a PromQL expression or a {@code label_values(selector, label)} variable query: identifiers
   * left once strings, variables, label matchers, groupings, ranges, numbers, keywords and function calls are gone.
   */
  static Set<String> metricNames(String expr) {
    Matcher lv = LABEL_VALUES.matcher(expr);
    String e = withoutStrings(lv.matches() ? lv.group(1) : expr);
    e = e.replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll(GROUPING.pattern(), " ")
        .replaceAll("\\$\\{?\\w+(:\\w+)?}?", " ")
        .replaceAll("\\b\\d+(\\.\\d+)?([eE][+-]?\\d+)?[smhdwy]?\\b", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(e);
    while (m.find()) {
      String rest = e.substring(m.end()).stripLeading();
      if (!rest.startsWith("(") && !PROMQL_WORDS.contains(m.group().toLowerCase(java.util.Locale.ROOT))) {
        names.add(m.group());
      }
    }
    return names;
  }

  /** The expression with every quoted string emptied, so that a regex or a value never reads as a name. */
  private static String withoutStrings(String expr) {
    return expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("'(?:[^'\\\\]|\\\\.)*'", "''");
  }

  private static Set<String> labelsOf(String metric) {
    Set<String> labels = new TreeSet<>(served.labels.getOrDefault(metric, Set.of()));
    labels.addAll(TARGET_LABELS);
    return labels;
  }

  /** What a scrape serves: each sample name with the labels its series carry, and each family's type. */
  private record Served(Map<String, Set<String>> labels, Map<String, String> types) {

    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

    static Served parse(String text) {
      Map<String, Set<String>> labels = new HashMap<>();
      Map<String, String> types = new HashMap<>();
      for (String line : text.split("\n")) {
        if (line.startsWith("# TYPE ")) {
          String[] parts = line.split(" ");
          types.put(parts[2], parts[3]);
        } else if (!line.isBlank() && !line.startsWith("#")) {
          int brace = line.indexOf('{');
          int space = line.indexOf(' ');
          String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
          Set<String> l = labels.computeIfAbsent(name, k -> new TreeSet<>());
          if (brace >= 0 && brace < space) {
            Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}')));
            while (m.find()) {
              l.add(m.group(1));
            }
          }
        }
      }
      return new Served(labels, types);
    }
  }
}
