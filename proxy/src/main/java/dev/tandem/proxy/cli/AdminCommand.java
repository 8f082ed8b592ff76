package dev.tandem.proxy.cli;

import dev.tandem.proxy.config.AdminConfig;
import dev.tandem.proxy.config.TandemConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tandem admin}: the admin API from a terminal, for operators who prefer one to curl. */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Call a running Tandem's admin API: routes, weights, rollbacks, rollouts, audit.",
    subcommands = {AdminCommand.Routes.class, AdminCommand.SetWeight.class, AdminCommand.SetMirror.class,
        AdminCommand.Rollback.class, AdminCommand.Reset.class, AdminCommand.Rollout.class, AdminCommand.Audit.class})
final class AdminCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Console.EXIT_USAGE;
  }

  /** Where the admin API is and the token to call it with. */
  static final class Target {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
        description = "Take the admin address and token from this configuration file.")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "The admin API, e.g. http://127.0.0.1:8081.")
    String url;

    @Option(names = "--token", paramLabel = "TOKEN",
        description = "Bearer token (default: $TANDEM_ADMIN_TOKEN, or the configuration's).")
    String token;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** Calls the API; prints the problem and returns null when it cannot or the answer is an error. */
    JsonObject call(HttpMethod method, String path, JsonObject body) throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      String base = url;
      String bearer = token != null ? token : System.getenv("TANDEM_ADMIN_TOKEN");
      if (config != null) {
        TandemConfig c = DlqCommand.load(spec, config);
        if (c == null) {
          throw new Console.UsageProblem();
        }
        AdminConfig a = c.admin();
        if (base == null) {
          String host = a.host().equals("0.0.0.0") || a.host().equals("::") ? "127.0.0.1" : a.host();
          base = "http://" + host + ":" + a.port();
        }
        if (bearer == null && !a.tokens().isEmpty()) {
          bearer = a.tokens().values().iterator().next();
        }
      }
      if (base == null) {
        err.println("tandem admin: say where the admin API is: --config FILE or --url http://host:port");
        throw new Console.UsageProblem();
      }
      URI u;
      try {
        u = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
      } catch (IllegalArgumentException e) {
        err.println("tandem admin: --url is not a URL: " + base);
        throw new Console.UsageProblem();
      }
      CliRuntime runtime = CliRuntime.create();
      try {
        HttpClientAgent client = runtime.vertx().createHttpClient();
        RequestOptions o = new RequestOptions().setMethod(method).setHost(u.getHost())
            .setPort(u.getPort() > 0 ? u.getPort() : 80).setURI(u.getRawPath() + path);
        if (bearer != null) {
          o.putHeader("Authorization", "Bearer " + bearer);
        }
        Answer answer;
        try {
          answer = Blocking.await(client.request(o)
              .compose(r -> body == null ? r.send() : r.putHeader("Content-Type", "application/json")
                  .send(body.toBuffer()))
              .compose(r -> r.body().map(b -> new Answer(r.statusCode(), b))));
        } catch (Exception e) {
          err.println("tandem admin: cannot reach " + base + ": " + Console.describe(e));
          return null;
        }
        JsonObject json;
        try {
          json = answer.body.length() == 0 ? new JsonObject() : answer.body.toJsonObject();
        } catch (RuntimeException e) {
          err.println("tandem admin: " + base + path + " answered " + answer.status + " with a body that is not JSON");
          return null;
        }
        if (answer.status >= 400) {
          err.println("tandem admin: " + answer.status + " " + json.getString("message", json.encode()));
          return null;
        }
        return json;
      } finally {
        Blocking.await(runtime.vertx().close());
      }
    }

    private record Answer(int status, Buffer body) {
    }
  }

  /** Prints the answer as JSON; exit 0 with an answer, 1 without. */
  static int print(CommandSpec spec, JsonObject answer) {
    if (answer == null) {
      return Console.EXIT_FAILED;
    }
    spec.commandLine().getOut().println(answer.encodePrettily());
    return Console.EXIT_OK;
  }

  static JsonObject withReason(JsonObject body, String reason) {
    return reason == null ? body : body.put("reason", reason);
  }

  @Command(name = "routes", mixinStandardHelpOptions = true, description = "Every route with its weight and mirror.")
  static final class Routes implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      JsonObject answer = target.call(HttpMethod.GET, "/admin/routes", null);
      if (answer == null || json) {
        return print(spec, answer);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%-20s %-12s %-22s %-10s %s%n", "ROUTE", "PRIMARY", "CANARY (WEIGHT)", "ROLLOUT", "MIRROR (PERCENT)");
      for (Object o : answer.getJsonArray("routes", new JsonArray())) {
        JsonObject r = (JsonObject) o;
        JsonObject c = r.getJsonObject("canary");
        JsonObject m = r.getJsonObject("mirror");
        out.printf("%-20s %-12s %-22s %-10s %s%n", r.getString("name"), r.getString("primary"),
            c == null ? "-" : c.getString("backend") + " (" + c.getValue("weight") + "%)",
            c == null ? "-" : c.getString("rollout", "none"),
            m == null ? "-" : m.getString("backend") + " (" + m.getValue("percent") + "%)");
      }
      return Console.EXIT_OK;
    }
  }

  @Command(name = "set-weight", mixinStandardHelpOptions = true, description = "Set a route's canary weight.")
  static final class SetWeight implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Parameters(index = "0", paramLabel = "ROUTE")
    String route;
    @Parameters(index = "1", paramLabel = "WEIGHT", description = "Percent, 0 to 100, two decimals at most.")
    double weight;
    @Option(names = "--reason", description = "Why, for the audit log.")
    String reason;

    @Override
    public Integer call() throws Exception {
      return print(spec, target.call(HttpMethod.PUT, "/admin/routes/" + route + "/canary",
          withReason(new JsonObject().put("weight", weight), reason)));
    }
  }

  @Command(name = "set-mirror", mixinStandardHelpOptions = true, description = "Set a route's mirror percent.")
  static final class SetMirror implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Parameters(index = "0", paramLabel = "ROUTE")
    String route;
    @Parameters(index = "1", paramLabel = "PERCENT")
    double percent;
    @Option(names = "--reason", description = "Why, for the audit log.")
    String reason;

    @Override
    public Integer call() throws Exception {
      return print(spec, target.call(HttpMethod.PUT, "/admin/routes/" + route + "/mirror",
          withReason(new JsonObject().put("percent", percent), reason)));
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Send every user of a route back to the primary (weight 0) and stop its rollout.")
  static final class Rollback implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Parameters(index = "0", paramLabel = "ROUTE")
    String route;
    @Option(names = "--reason", description = "Why, for the audit log.")
    String reason;

    @Override
    public Integer call() throws Exception {
      return print(spec, target.call(HttpMethod.POST, "/admin/routes/" + route + "/rollback",
          withReason(new JsonObject(), reason)));
    }
  }

  @Command(name = "reset", mixinStandardHelpOptions = true,
      description = "Drop what operators changed on a route at run time: its weight and mirror percent are the"
          + " configuration's again.")
  static final class Reset implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Parameters(index = "0", paramLabel = "ROUTE")
    String route;
    @Option(names = "--reason", description = "Why, for the audit log.")
    String reason;

    @Override
    public Integer call() throws Exception {
      return print(spec, target.call(HttpMethod.POST, "/admin/routes/" + route + "/reset",
          withReason(new JsonObject(), reason)));
    }
  }

  @Command(name = "rollout", mixinStandardHelpOptions = true,
      description = "Show, start, pause, resume or abort a route's progressive rollout.")
  static final class Rollout implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Parameters(index = "0", paramLabel = "ROUTE")
    String route;
    @Parameters(index = "1", paramLabel = "ACTION", defaultValue = "status",
        description = "status (default), start, pause, resume or abort.")
    String action;
    @Option(names = "--steps", split = ",", paramLabel = "W", description = "For start: weights, e.g. 5,10,25,50,100.")
    List<Double> steps;
    @Option(names = "--interval", paramLabel = "DURATION", description = "For start: time per step, e.g. 5m.")
    String interval;
    @Option(names = "--reason", description = "Why, for the audit log.")
    String reason;

    @Override
    public Integer call() throws Exception {
      String path = "/admin/routes/" + route + "/rollout";
      return switch (action) {
        case "status" -> print(spec, target.call(HttpMethod.GET, path, null));
        case "start" -> {
          JsonObject body = withReason(new JsonObject(), reason);
          if (steps != null) {
            body.put("steps", new JsonArray(steps));
          }
          if (interval != null) {
            body.put("interval", interval);
          }
          yield print(spec, target.call(HttpMethod.POST, path, body));
        }
        case "pause", "resume", "abort" -> print(spec, target.call(HttpMethod.POST, path + "/" + action,
            withReason(new JsonObject(), reason)));
        default -> {
          spec.commandLine().getErr().println("tandem admin rollout: unknown action '" + action
              + "' (status, start, pause, resume, abort)");
          yield Console.EXIT_USAGE;
        }
      };
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true, description = "Who changed what, newest first.")
  static final class Audit implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Target target;
    @Option(names = "--limit", defaultValue = "20")
    int limit;

    @Override
    public Integer call() throws Exception {
      JsonObject answer = target.call(HttpMethod.GET, "/admin/audit?limit=" + limit, null);
      if (answer == null) {
        return Console.EXIT_FAILED;
      }
      PrintWriter out = spec.commandLine().getOut();
      for (Object o : answer.getJsonArray("entries", new JsonArray())) {
        JsonObject e = (JsonObject) o;
        out.printf("%s  %-8s %-12s %-18s %s → %s%s%n", e.getString("time"), e.getString("caller"),
            e.getString("route"), e.getString("action"), compact(e.getValue("old")), compact(e.getValue("new")),
            e.getString("reason") == null ? "" : "  (" + e.getString("reason") + ")");
      }
      return Console.EXIT_OK;
    }

    private static String compact(Object v) {
      if (v instanceof JsonObject o) {
        JsonObject small = o.copy();
        small.remove("rollout");
        return small.encode();
      }
      return v == null ? "-" : v.toString();
    }
  }
}
