package dev.tandem.proxy.admin;

import dev.tandem.proxy.canary.ControlException;
import dev.tandem.proxy.canary.RouteControl;
import dev.tandem.proxy.config.Durations;
import dev.tandem.proxy.config.Percent;
import dev.tandem.proxy.config.RolloutConfig;
import dev.tandem.proxy.route.RouteTable;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The run-time control endpoints: canary weight, mirror percent, rollback, rollouts and the audit log. Every body
 * is checked before anything changes; a bad one gets a 400 that names the field and what was wrong with it.
 */
final class RouteControlApi {

  private static final int MAX_AUDIT_LIMIT = 10_000;

  private final RouteControl control;
  private final RouteTable routes;

  RouteControlApi(RouteControl control, RouteTable routes) {
    this.control = control;
    this.routes = routes;
  }

  /** A 400 with its message. */
  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  void mount(Router router) {
    BodyHandler body = BodyHandler.create().setBodyLimit(64 * 1024);
    router.get("/admin/routes").handler(ctx -> AdminServer.json(ctx, 200, RoutesView.routes(routes.routes(), control)));
    router.put("/admin/routes/:name/canary").handler(body).handler(ctx -> change(ctx, () -> {
      JsonObject b = object(ctx, Set.of("weight", "reason"));
      return control.setWeight(name(ctx), percent(b, "weight"), caller(ctx), reason(b));
    }));
    router.put("/admin/routes/:name/mirror").handler(body).handler(ctx -> change(ctx, () -> {
      JsonObject b = object(ctx, Set.of("percent", "reason"));
      return control.setMirror(name(ctx), percent(b, "percent"), caller(ctx), reason(b));
    }));
    router.post("/admin/routes/:name/rollback").handler(body).handler(ctx -> change(ctx, () -> {
      JsonObject b = object(ctx, Set.of("reason"));
      return control.rollback(name(ctx), caller(ctx), reason(b));
    }));
    router.post("/admin/routes/:name/reset").handler(body).handler(ctx -> change(ctx, () -> {
      JsonObject b = object(ctx, Set.of("reason"));
      return control.reset(name(ctx), caller(ctx), reason(b));
    }));
    router.post("/admin/routes/:name/rollout").handler(body).handler(ctx -> change(ctx, () -> {
      JsonObject b = object(ctx, Set.of("steps", "interval", "gates", "reason"));
      String route = name(ctx);
      RolloutConfig declared = routes.byName(route).map(r -> r.config().canary())
          .map(c -> c.rollout()).orElse(null);
      return control.startRollout(route, plan(b, declared), caller(ctx), reason(b));
    }));
    router.get("/admin/routes/:name/rollout").handler(ctx -> change(ctx,
        () -> Future.succeededFuture(control.rollout(name(ctx)))));
    router.post("/admin/routes/:name/rollout/:action").handler(body).handler(ctx -> change(ctx, () -> {
      JsonObject b = object(ctx, Set.of("reason"));
      String route = name(ctx);
      return switch (ctx.pathParam("action")) {
        case "pause" -> control.pauseRollout(route, caller(ctx), reason(b));
        case "resume" -> control.resumeRollout(route, caller(ctx), reason(b));
        case "abort" -> control.abortRollout(route, caller(ctx), reason(b));
        default -> throw new ControlException(404, "no rollout action '" + ctx.pathParam("action")
            + "' (pause, resume, abort)");
      };
    }));
    router.get("/admin/audit").handler(ctx -> change(ctx, () -> {
      int limit = 100;
      String l = ctx.request().getParam("limit");
      if (l != null) {
        try {
          limit = Integer.parseInt(l);
        } catch (NumberFormatException e) {
          throw new BadRequest("limit must be a whole number, got '" + l + "'");
        }
        if (limit < 1 || limit > MAX_AUDIT_LIMIT) {
          throw new BadRequest("limit must be between 1 and " + MAX_AUDIT_LIMIT + ", got " + limit);
        }
      }
      return control.audit(limit).map(entries -> new JsonObject().put("count", entries.size())
          .put("entries", new JsonArray(new ArrayList<>(entries))));
    }));
  }

  /** Runs a change and answers: 200 with its result, 400/404/409 for what the caller got wrong, 500 otherwise. */
  private static void change(RoutingContext ctx, Supplier<Future<JsonObject>> action) {
    Future<JsonObject> result;
    try {
      result = action.get();
    } catch (BadRequest e) {
      AdminServer.json(ctx, 400, error("bad_request", e.getMessage()));
      return;
    } catch (ControlException e) {
      AdminServer.json(ctx, e.status(), error(e.status() == 404 ? "not_found" : "conflict", e.getMessage()));
      return;
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        AdminServer.json(ctx, 200, ar.result());
      } else if (ar.cause() instanceof ControlException e) {
        // Refused once the state store answered (the lease is another instance's, say).
        AdminServer.json(ctx, e.status(), error(e.status() == 404 ? "not_found" : "conflict", e.getMessage()));
      } else {
        // The change is applied; saving it (state store down) is what failed.
        AdminServer.json(ctx, 500, error("state_not_saved", "the change applies on this instance, but saving it "
            + "failed: " + ar.cause().getMessage()));
      }
    });
  }

  private static JsonObject error(String code, String message) {
    return new JsonObject().put("error", code).put("message", message);
  }

  private static String name(RoutingContext ctx) {
    return ctx.pathParam("name");
  }

  private static String caller(RoutingContext ctx) {
    String caller = ctx.get(BearerAuth.CALLER);
    return caller == null ? "unknown" : caller;
  }

  /** The body as a JSON object with only {@code allowed} fields; an empty body is an empty object. */
  private static JsonObject object(RoutingContext ctx, Set<String> allowed) {
    io.vertx.core.buffer.Buffer raw = ctx.body() == null ? null : ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      return new JsonObject();
    }
    Object parsed;
    try {
      parsed = raw.toJsonValue();
    } catch (RuntimeException e) {
      throw new BadRequest("the body is not valid JSON: " + e.getMessage());
    }
    if (!(parsed instanceof JsonObject o)) {
      throw new BadRequest("the body must be a JSON object such as " + example(allowed));
    }
    for (String f : o.fieldNames()) {
      if (!allowed.contains(f)) {
        throw new BadRequest("unknown field '" + f + "'; allowed: " + String.join(", ", allowed.stream().sorted()
            .toList()));
      }
    }
    return o;
  }

  private static String example(Set<String> allowed) {
    if (allowed.contains("weight")) {
      return "{\"weight\": 12.5}";
    }
    return allowed.contains("percent") ? "{\"percent\": 50}" : "{\"reason\": \"...\"}";
  }

  private static double percent(JsonObject b, String field) {
    Object v = b.getValue(field);
    if (v == null) {
      throw new BadRequest(field + " is required, e.g. {\"" + field + "\": 12.5}");
    }
    if (!(v instanceof Number n)) {
      throw new BadRequest(field + " must be a number between 0 and 100, got " + describe(v));
    }
    String problem = Percent.problem(n.doubleValue());
    if (problem != null) {
      throw new BadRequest(field + " " + problem);
    }
    return n.doubleValue();
  }

  private static String reason(JsonObject b) {
    Object v = b.getValue("reason");
    String problem = AuditReason.problem(v);
    if (problem != null) {
      throw new BadRequest(problem);
    }
    return AuditReason.of(v);
  }

  private static String describe(Object v) {
    return v instanceof String s ? "the string \"" + s + "\"" : String.valueOf(v);
  }

  /** The rollout plan from the body, each part defaulting to the one declared in the configuration. */
  private static RolloutConfig plan(JsonObject b, RolloutConfig declared) {
    List<Double> steps = new ArrayList<>();
    if (b.containsKey("steps")) {
      if (!(b.getValue("steps") instanceof JsonArray list) || list.isEmpty()) {
        throw new BadRequest("steps must be a non-empty list of weights, e.g. [5, 10, 25, 50, 100]");
      }
      for (Object o : list) {
        if (!(o instanceof Number n)) {
          throw new BadRequest("steps must hold numbers, got " + describe(o));
        }
        String problem = Percent.problem(n.doubleValue());
        if (problem != null) {
          throw new BadRequest("steps: " + problem);
        }
        if (!steps.isEmpty() && n.doubleValue() <= steps.get(steps.size() - 1)) {
          throw new BadRequest("steps must go up, got " + Percent.plain(n.doubleValue()) + " after "
              + Percent.plain(steps.get(steps.size() - 1)));
        }
        steps.add(n.doubleValue());
      }
    } else if (declared != null) {
      steps.addAll(declared.steps());
    } else {
      throw new BadRequest("steps are required (the route's configuration declares no rollout), e.g. "
          + "{\"steps\": [5, 10, 25, 50, 100], \"interval\": \"5m\"}");
    }
    Duration interval = declared == null ? RolloutConfig.DEFAULT_INTERVAL : declared.interval();
    if (b.containsKey("interval")) {
      if (!(b.getValue("interval") instanceof String s)) {
        throw new BadRequest("interval must be a duration such as \"5m\" or \"30s\"");
      }
      try {
        interval = Durations.parse(s);
      } catch (ArithmeticException | NumberFormatException e) {
        interval = null;
      }
      if (interval == null) {
        throw new BadRequest("interval must be a duration such as \"5m\" or \"30s\", got \"" + s + "\"");
      }
      if (interval.compareTo(RolloutConfig.MIN_INTERVAL) < 0 || interval.compareTo(RolloutConfig.MAX_INTERVAL) > 0) {
        throw new BadRequest("interval must be from 100ms to 7d, got \"" + s + "\"");
      }
    }
    RolloutConfig.Gates d = declared == null ? RolloutConfig.Gates.DEFAULT : declared.gates();
    if (b.containsKey("gates")) {
      if (!(b.getValue("gates") instanceof JsonObject g)) {
        throw new BadRequest("gates must be an object such as {\"maxErrorRateIncrease\": 1, \"maxP99Ratio\": 1.5}");
      }
      Set<String> known = Set.of("maxErrorRateIncrease", "maxP99Ratio", "maxDiffRate", "minRequests", "metrics");
      for (String f : g.fieldNames()) {
        if (!known.contains(f)) {
          throw new BadRequest("unknown gate '" + f + "'; known: " + String.join(", ", known.stream().sorted().toList()));
        }
      }
      double maxP99Ratio = nonNegative(g, "maxP99Ratio", d.maxP99Ratio());
      if (maxP99Ratio < 1) {
        throw new BadRequest("gates.maxP99Ratio must be at least 1 (the canary as fast as the primary), got "
            + Percent.plain(maxP99Ratio));
      }
      double maxDiffRate = nonNegative(g, "maxDiffRate", d.maxDiffRate());
      if (Percent.problem(maxDiffRate) != null) {
        throw new BadRequest("gates.maxDiffRate " + Percent.problem(maxDiffRate));
      }
      double minRequests = nonNegative(g, "minRequests", d.minRequests());
      if (minRequests != Math.rint(minRequests) || minRequests > Integer.MAX_VALUE) {
        throw new BadRequest("gates.minRequests must be a whole number, got " + Percent.plain(minRequests));
      }
      d = new RolloutConfig.Gates(nonNegative(g, "maxErrorRateIncrease", d.maxErrorRateIncrease()), maxP99Ratio,
          maxDiffRate, (int) minRequests, g.containsKey("metrics") ? metrics(g.getValue("metrics")) : d.metrics());
    }
    return new RolloutConfig(steps, interval, d);
  }

  /** {@code [{"name": ..., "query": ..., "max": ..., "min": ...}]}: the rollout's metric gates. */
  private static List<RolloutConfig.MetricGate> metrics(Object v) {
    if (!(v instanceof JsonArray list)) {
      throw new BadRequest("gates.metrics must be a list such as [{\"name\": \"errors\", \"query\": \"...\","
          + " \"max\": 0.01}]");
    }
    List<RolloutConfig.MetricGate> out = new ArrayList<>();
    Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject m)) {
        throw new BadRequest("gates.metrics[" + i + "] must be an object with name, query and max and/or min");
      }
      for (String f : m.fieldNames()) {
        if (!Set.of("name", "query", "min", "max").contains(f)) {
          throw new BadRequest("gates.metrics[" + i + "]: unknown field '" + f + "'; allowed: name, query, min, max");
        }
      }
      Object given = m.getValue("name", RolloutConfig.MetricGate.defaultName(i));
      if (!(given instanceof String name) || name.isBlank() || !names.add(name)) {
        throw new BadRequest("gates.metrics[" + i + "].name must be a string, unique among the gates (without one,"
            + " the gate is called " + RolloutConfig.MetricGate.defaultName(i) + ")");
      }
      if (!(m.getValue("query") instanceof String query) || query.isBlank()) {
        throw new BadRequest("gates.metrics[" + i + "].query must be a PromQL query");
      }
      Double min = bound(m, "min", i);
      Double max = bound(m, "max", i);
      if (min == null && max == null) {
        throw new BadRequest("gates.metrics[" + i + "] gives no bound: add max and/or min");
      }
      out.add(new RolloutConfig.MetricGate(name, query, min, max));
    }
    return out;
  }

  private static Double bound(JsonObject m, String field, int i) {
    Object v = m.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || Double.isNaN(n.doubleValue()) || Double.isInfinite(n.doubleValue())) {
      throw new BadRequest("gates.metrics[" + i + "]." + field + " must be a number, got " + describe(v));
    }
    return n.doubleValue();
  }

  private static double nonNegative(JsonObject g, String field, double dflt) {
    Object v = g.getValue(field);
    if (v == null) {
      return dflt;
    }
    if (!(v instanceof Number n) || n.doubleValue() < 0 || Double.isNaN(n.doubleValue())) {
      throw new BadRequest("gates." + field + " must be a number ≥ 0, got " + describe(v));
    }
    return n.doubleValue();
  }
}
