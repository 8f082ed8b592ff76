package dev.tandem.proxy.canary;

import dev.tandem.proxy.config.RolloutConfig;
import dev.tandem.proxy.config.RolloutSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a rollout's metric gates: each PromQL query as an instant query against {@code rollout.prometheus}
 * ({@code GET /api/v1/query}), its one value against the gate's bounds. A query that fails, times out, returns no
 * series, more than one, or NaN gives {@code wait} with the reason: the step is held, never passed, on evidence
 * that is not there.
 */
public final class MetricGates {

  private final HttpClientAgent client;
  private final URI prometheus;
  private final long timeoutMillis;

  public MetricGates(Vertx vertx, RolloutSettings settings) {
    this.client = settings.prometheus() == null ? null : vertx.createHttpClient();
    this.prometheus = settings.prometheus() == null ? null : URI.create(settings.prometheus());
    this.timeoutMillis = settings.timeout().toMillis();
  }

  /** One result per gate, in order; never a failed future. */
  public Future<List<GateCheck.Gate>> check(List<RolloutConfig.MetricGate> gates, Map<String, String> vars) {
    List<Future<GateCheck.Gate>> checks = new ArrayList<>();
    for (RolloutConfig.MetricGate g : gates) {
      checks.add(check(g, fill(g.query(), vars)));
    }
    return Future.join(checks).transform(ignored -> {
      List<GateCheck.Gate> out = new ArrayList<>();
      checks.forEach(f -> out.add(f.result()));
      return Future.succeededFuture(out);
    });
  }

  static String fill(String query, Map<String, String> vars) {
    String q = query;
    for (Map.Entry<String, String> e : vars.entrySet()) {
      q = q.replace("{{" + e.getKey() + "}}", e.getValue()).replace("{{ " + e.getKey() + " }}", e.getValue());
    }
    return q;
  }

  private Future<GateCheck.Gate> check(RolloutConfig.MetricGate gate, String query) {
    String name = "metric:" + gate.name();
    if (client == null) {
      return Future.succeededFuture(new GateCheck.Gate(name, "wait", "no rollout.prometheus is configured"));
    }
    String path = (prometheus.getRawPath() == null ? "" : prometheus.getRawPath().replaceAll("/$", ""))
        + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8);
    int port = prometheus.getPort() > 0 ? prometheus.getPort() : prometheus.getScheme().equals("https") ? 443 : 80;
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(prometheus.getHost())
        .setPort(port).setSsl(prometheus.getScheme().equals("https")).setURI(path).setTimeout(timeoutMillis);
    return client.request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("Prometheus answered " + resp.statusCode() + ": "
                + abbreviate(body.toString()));
          }
          return body.toJsonObject();
        }))
        .timeout(timeoutMillis + 1000, TimeUnit.MILLISECONDS)
        .map(json -> judge(gate, name, query, json))
        .otherwise(e -> new GateCheck.Gate(name, "wait", "query '" + query + "' failed: " + e.getMessage()));
  }

  /** The gate's result from Prometheus's answer to an instant query. */
  static GateCheck.Gate judge(RolloutConfig.MetricGate gate, String name, String query, JsonObject answer) {
    if (!"success".equals(answer.getString("status"))) {
      return new GateCheck.Gate(name, "wait", "query '" + query + "' failed: " + answer.getString("error"));
    }
    JsonObject data = answer.getJsonObject("data", new JsonObject());
    Object result = data.getValue("result");
    String text;
    if ("scalar".equals(data.getString("resultType")) && result instanceof JsonArray pair) {
      text = pair.getString(1);
    } else if (result instanceof JsonArray series) {
      if (series.isEmpty()) {
        return new GateCheck.Gate(name, "wait", "query '" + query + "' returned no data");
      }
      if (series.size() > 1) {
        return new GateCheck.Gate(name, "wait", "query '" + query + "' returned " + series.size()
            + " series; aggregate it to one (sum(...), max(...))");
      }
      JsonArray value = series.getJsonObject(0).getJsonArray("value");
      text = value == null ? null : value.getString(1);
    } else {
      return new GateCheck.Gate(name, "wait", "query '" + query + "' returned a " + data.getString("resultType")
          + ", not one value");
    }
    double v;
    try {
      v = Double.parseDouble(text);
    } catch (RuntimeException e) {
      return new GateCheck.Gate(name, "wait", "query '" + query + "' returned '" + text + "', not a number");
    }
    if (Double.isNaN(v)) {
      return new GateCheck.Gate(name, "wait", "query '" + query + "' returned NaN (no traffic to divide?)");
    }
    boolean low = gate.min() != null && v < gate.min();
    boolean high = gate.max() != null && v > gate.max();
    String bounds = (gate.min() == null ? "" : "at least " + gate.min()) + (gate.min() != null && gate.max() != null
        ? " and " : "") + (gate.max() == null ? "" : "at most " + gate.max());
    return new GateCheck.Gate(name, low || high ? "fail" : "pass", "'" + query + "' = " + GateCheck.round(v) + " ("
        + bounds + ")");
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  public Future<Void> close() {
    return client == null ? Future.succeededFuture() : client.close();
  }
}
