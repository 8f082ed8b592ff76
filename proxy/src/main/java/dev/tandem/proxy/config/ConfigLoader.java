package dev.tandem.proxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import dev.tandem.comparator.NoiseRule;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a YAML configuration, expands environment variables, and validates the whole of it, reporting every problem
 * with its key path before anything starts.
 */
public final class ConfigLoader {

  private static final YAMLMapper YAML = new YAMLMapper();
  private static final java.util.regex.Pattern GRPC_NAME =
      java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
  private static final java.util.regex.Pattern GRPC_METHOD = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT");

  private final EnvExpander env;
  private final boolean verifyOnly;

  public ConfigLoader() {
    this(EnvExpander.fromSystem(), false);
  }

  private ConfigLoader(EnvExpander env, boolean verifyOnly) {
    this.env = env;
    this.verifyOnly = verifyOnly;
  }

  /**
   * A loader for {@code tandem verify-db}: a file with only {@code verify:} (and perhaps {@code admin:}) is whole;
   * backends and routes, when given, are checked as usual.
   */
  public ConfigLoader forVerify() {
    return new ConfigLoader(env, true);
  }

  /** A loader that resolves {@code ${VAR}} from the given function instead of the process environment. */
  public static ConfigLoader withEnvironment(Function<String, String> env) {
    return new ConfigLoader(new EnvExpander(env), false);
  }

  public LoadedConfig load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), "no such file");
    } catch (IOException e) {
      throw new ConfigException(file.toString(), "cannot be read: " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  public LoadedConfig parse(String yaml, String source) throws ConfigException {
    JsonNode root;
    EnvExpander.Protected text = env.protect(yaml);
    try {
      root = YAML.readTree(text.yaml());
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? source : source + ":" + at.getLineNr() + ":" + at.getColumnNr();
      throw new ConfigException(where, "not valid YAML: " + e.getOriginalMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException(source, "is empty");
    }
    if (!root.isObject()) {
      throw new ConfigException(source, "must be a mapping of keys to values at the top level");
    }
    Problems problems = new Problems();
    expand(root, "", text, problems);
    TandemConfig config = read(new Node(root, "", problems), problems);
    if (!problems.errors().isEmpty()) {
      throw new ConfigException(problems.errors());
    }
    return new LoadedConfig(config, problems.warnings());
  }

  private void expand(JsonNode node, String path, EnvExpander.Protected text, Problems problems) {
    if (node instanceof ObjectNode object) {
      Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
      List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
      fields.forEachRemaining(entries::add);
      for (Map.Entry<String, JsonNode> e : entries) {
        String childPath = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        JsonNode replaced = expandValue(e.getValue(), childPath, text, problems);
        if (replaced != null) {
          object.set(e.getKey(), replaced);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        JsonNode replaced = expandValue(array.get(i), path + "[" + i + "]", text, problems);
        if (replaced != null) {
          array.set(i, replaced);
        }
      }
    }
  }

  private JsonNode expandValue(JsonNode value, String path, EnvExpander.Protected text, Problems problems) {
    if (value.isTextual()) {
      List<String> unset = new ArrayList<>();
      String expanded = env.restore(value.asText(), text, unset);
      for (String name : unset) {
        problems.warn(path, "environment variable " + name + " is not set");
      }
      return expanded.equals(value.asText()) ? null : TextNode.valueOf(expanded);
    }
    expand(value, path, text, problems);
    return null;
  }

  private TandemConfig read(Node root, Problems problems) {
    ServerConfig server = readServer(root.child("server"));
    AdminConfig admin = readAdmin(root.child("admin"));
    Map<String, BackendConfig> backends = readBackends(root);
    List<RouteConfig> routes = readRoutes(root, backends.keySet(), server.limits());
    IdempotencyConfig idempotency = readIdempotency(root.child("idempotency"));
    Node comparatorNode = root.child("comparator");
    StoreConfig comparator = readStoreKind(comparatorNode, List.of(StoreConfig.MEMORY, StoreConfig.POSTGRES));
    CompareConfig compare = readCompare(comparatorNode);
    comparatorNode.rejectUnknownKeys();
    VerifyConfig verify = readVerify(root.child("verify"));
    DeadLetterConfig deadLetters = readDeadLetters(root.child("deadLetters"));
    StateConfig state = readState(root.scalarOrChild("state"), idempotency);
    if (verifyOnly && !root.has("verify")) {
      root.error("verify", "is required by tandem verify-db: { primary, shadow, tables } (see conf/verify.yaml)");
    }
    CaptureConfig capture = readCapture(root.child("capture"), routes);
    RolloutSettings rollout = readRolloutSettings(root.child("rollout"), routes);
    root.rejectUnknownKeys();
    checkGrpcBackends(routes, backends, problems);
    for (int i = 0; i < routes.size(); i++) {
      if (routes.get(i).effects() != null && verify == null) {
        problems.error("routes[" + i + "].effects", "reads each side's database: it needs verify: { primary:"
            + " postgresql://..., shadow: postgresql://... }");
      }
    }

    if (server.port() != 0 && server.port() == admin.port()
        && (server.host().equals(admin.host()) || server.host().equals("0.0.0.0") || admin.host().equals("0.0.0.0"))) {
      problems.error("admin.port", "must differ from server.port (" + server.port() + ")");
    }
    return new TandemConfig(server, admin, backends, routes, idempotency, comparator, verify, deadLetters, state,
        compare, capture, rollout);
  }

  private static EffectsConfig readEffects(Node n) {
    java.time.Duration settle = n.duration("settle", EffectsConfig.DEFAULT_SETTLE);
    int retries = n.integer("retries", EffectsConfig.DEFAULT_RETRIES, 0, 100);
    List<EffectsConfig.Probe> probes = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Node p : n.list("probes")) {
      String name = p.requiredString("name");
      if (name != null && !names.add(name)) {
        p.error("name", "probe '" + name + "' is defined twice");
      }
      String sql = p.requiredString("sql");
      String shadowSql = p.string("shadowSql", sql);
      List<String> params = p.strings("params");
      List<String> shadowParams = p.has("shadowParams") ? p.strings("shadowParams")
          : params.stream().map(x -> x.startsWith("primary.json:") ? "shadow.json:" + x.substring(13) : x).toList();
      for (String key : List.of("params", "shadowParams")) {
        List<String> list = key.equals("params") ? params : shadowParams;
        for (int i = 0; i < list.size(); i++) {
          if (!EffectsConfig.PARAM.matcher(list.get(i)).matches()) {
            p.error(key, "[" + i + "] '" + list.get(i) + "' is not a parameter source: path:N, query:NAME,"
                + " header:NAME, request.json:/ptr, primary.json:/ptr or shadow.json:/ptr");
          }
        }
      }
      for (String q : new String[] {sql, shadowSql}) {
        if (q != null) {
          int highest = 0;
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$(\\d+)").matcher(q);
          while (m.find()) {
            highest = Math.max(highest, Integer.parseInt(m.group(1)));
          }
          int given = q == sql ? params.size() : shadowParams.size();
          if (highest != given) {
            p.error(q == sql ? "params" : "shadowParams", "the query uses " + highest + " parameter(s) ($1..), "
                + given + " given");
          }
        }
      }
      probes.add(new EffectsConfig.Probe(name, methods(p, "methods"), pattern(p, "path"), sql, shadowSql, params,
          shadowParams));
      p.rejectUnknownKeys();
    }
    if (probes.isEmpty()) {
      n.error("probes", "list at least one probe: { name, sql, params }");
    }
    n.rejectUnknownKeys();
    return new EffectsConfig(settle, retries, probes);
  }

  private CaptureConfig readCapture(Node n, List<RouteConfig> routes) {
    CaptureConfig d = CaptureConfig.DEFAULT;
    if (!n.isPresent()) {
      return d;
    }
    Set<String> names = new LinkedHashSet<>(n.strings("routes"));
    Set<String> known = new LinkedHashSet<>();
    routes.forEach(r -> known.add(r.name()));
    for (String r : names) {
      if (!known.contains(r)) {
        n.error("routes", "unknown route '" + r + "'; routes: " + String.join(", ", known));
      }
    }
    Node file = n.child("file");
    long maxFileBytes = file.bytes("maxBytes", d.maxFileBytes());
    java.time.Duration maxFileAge = file.duration("maxAge", d.maxFileAge());
    int maxFiles = file.integer("maxFiles", d.maxFiles(), 0, 1_000_000);
    boolean gzip = file.bool("gzip", d.gzip());
    if (maxFileBytes < 4096) {
      file.error("maxBytes", "must be at least 4KB, got " + maxFileBytes);
    }
    if (maxFileAge != null && maxFileAge.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
      file.error("maxAge", "must be at least 1s");
    }
    file.rejectUnknownKeys();
    Node queue = n.child("queue");
    int records = queue.integer("records", d.queue(), 1, 10_000_000);
    long queueBytes = queue.bytes("bytes", d.queueBytes());
    queue.rejectUnknownKeys();
    Node redact = n.child("redact");
    Set<String> headers = new LinkedHashSet<>(dev.tandem.comparator.Redactor.DEFAULT_HEADERS);
    redact.strings("headers").forEach(h -> headers.add(h.toLowerCase(Locale.ROOT)));
    Set<String> query = new LinkedHashSet<>(redact.strings("query"));
    List<dev.tandem.comparator.PathPattern> json = pointers(redact, "json");
    redact.rejectUnknownKeys();
    CaptureConfig c = new CaptureConfig(n.bool("enabled", d.enabled()), n.string("dir", d.dir()),
        n.percent("percent", d.percent()), names, n.bytes("maxBodyBytes", d.maxBodyBytes()), maxFileBytes,
        maxFileAge == null ? d.maxFileAge() : maxFileAge, maxFiles, gzip, records, queueBytes, headers, query, json);
    n.rejectUnknownKeys();
    return c;
  }

  private StateConfig defaultState() {
    return new StateConfig(StateConfig.FILE, stateFile(StateConfig.DEFAULT_FILE), null, StateConfig.DEFAULT_PREFIX);
  }

  /**
   * Where Tandem keeps a file of its own unless told otherwise (state, dead letters, verdict history): never the
   * working directory. {@code $TANDEM_STATE_DIR}, else {@code $XDG_STATE_HOME/tandem}, else
   * {@code ~/.local/state/tandem}.
   */
  String stateFile(String name) {
    return stateDir().resolve(name).toString();
  }

  public Path stateDir() {
    String property = System.getProperty("tandem.stateDir"); // tests point it into target/
    if (property != null && !property.isBlank()) {
      return Path.of(property);
    }
    String dir = env.get("TANDEM_STATE_DIR");
    if (dir != null && !dir.isBlank()) {
      return Path.of(dir);
    }
    String xdg = env.get("XDG_STATE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "tandem");
    }
    String home = env.get("HOME");
    return home != null && !home.isBlank() ? Path.of(home, ".local", "state", "tandem")
        : Path.of(System.getProperty("java.io.tmpdir"), "tandem-state");
  }

  private ServerConfig readServer(Node n) {
    String host = n.string("host", ServerConfig.DEFAULT_HOST);
    int port = n.integer("port", ServerConfig.DEFAULT_PORT, 0, 65535);
    int instances = n.integer("instances", Runtime.getRuntime().availableProcessors(), 1, 1024);
    var idle = n.duration("idleTimeout", ServerConfig.DEFAULT_IDLE_TIMEOUT);
    EdgeLimits limits = EdgeReader.limits(n);
    ListenerTls tls = EdgeReader.listener(n.child("tls"));
    Node s = n.child("shutdown");
    var delay = s.duration("delay", ServerConfig.Shutdown.DEFAULT.delay());
    var timeout = s.duration("timeout", ServerConfig.Shutdown.DEFAULT.timeout());
    if (timeout.isZero() || timeout.isNegative()) {
      s.error("timeout", "must be more than 0s, got " + Durations.format(timeout));
    } else if (delay.compareTo(timeout) >= 0) {
      s.error("delay", "must be shorter than shutdown.timeout (" + Durations.format(timeout) + "), got "
          + Durations.format(delay));
    }
    s.rejectUnknownKeys();
    String dataPlane = n.oneOf("dataPlane", ServerConfig.DATA_PLANE_NETTY,
        List.of(ServerConfig.DATA_PLANE_NETTY, ServerConfig.DATA_PLANE_VERTX));
    Http2Config http2 = EdgeReader.http2(n.child("http2"), limits.maxHeaderBytes());
    n.rejectUnknownKeys();
    return new ServerConfig(host, port, instances, idle, limits, tls, new ServerConfig.Shutdown(delay, timeout),
        http2, dataPlane);
  }

  private AdminConfig readAdmin(Node n) {
    String host = n.string("host", AdminConfig.DEFAULT_HOST);
    int port = n.integer("port", AdminConfig.DEFAULT_PORT, 0, 65535);
    Map<String, String> tokens = new LinkedHashMap<>();
    String token = n.string("token", "");
    if (!token.isBlank()) {
      tokens.put("admin", token);
    }
    Set<String> seen = new HashSet<>(tokens.values());
    n.entries("tokens").forEach((name, value) -> {
      String t = value.text();
      if (t == null) {
        value.error("must be a token string");
      } else if (!t.isBlank()) {
        if (!seen.add(t)) {
          value.error("the same token is given to two callers; each caller needs its own");
        }
        tokens.put(name, t);
      }
    });
    for (String t : tokens.values()) {
      if (t.length() < 8) {
        n.error("token", "is shorter than 8 characters; use a long random value");
        break;
      }
    }
    ListenerTls tls = EdgeReader.listener(n.child("tls"));
    String reports = n.string("replayReports", null);
    if (reports != null && reports.isBlank()) {
      n.error("replayReports", "must name a directory (where tandem replay --report DIR/NAME.json writes)");
      reports = null;
    }
    Node th = n.child("trafficHistory");
    AdminConfig.TrafficHistory d = AdminConfig.TrafficHistory.DEFAULT;
    java.time.Duration every = th.duration("interval", d.interval());
    if (every.compareTo(AdminConfig.TrafficHistory.MIN_INTERVAL) < 0
        || every.compareTo(AdminConfig.TrafficHistory.MAX_INTERVAL) > 0) {
      th.error("interval", "must be from 10ms to 1h, got " + Durations.format(every));
      every = d.interval();
    }
    int points = th.integer("points", d.points(), 1, AdminConfig.TrafficHistory.MAX_POINTS);
    th.rejectUnknownKeys();
    n.rejectUnknownKeys();
    return new AdminConfig(host, port, tokens, tls, reports, new AdminConfig.TrafficHistory(every, points));
  }

  private Map<String, BackendConfig> readBackends(Node root) {
    Map<String, BackendConfig> out = new LinkedHashMap<>();
    Map<String, Node> entries = root.entries("backends");
    if (entries.isEmpty() && !(verifyOnly && !root.has("backends"))) {
      root.error("backends", "at least one backend is required, e.g. 'legacy: http://127.0.0.1:9001'");
    }
    entries.forEach((name, n) -> {
      BackendConfig b = n.isObject() ? readBackendObject(name, n) : readBackendUrl(name, n, n.text(), n.path());
      if (b != null) {
        out.put(name, b);
      }
    });
    return out;
  }

  private BackendConfig readBackendObject(String name, Node n) {
    String url = n.requiredString("url");
    var connectTimeout = n.duration("connectTimeout", BackendConfig.DEFAULT_CONNECT_TIMEOUT);
    var timeout = n.duration("timeout", BackendConfig.DEFAULT_TIMEOUT);
    int maxConnections = n.integer("maxConnections", BackendConfig.DEFAULT_MAX_CONNECTIONS, 1, 100_000);
    String hostHeader = n.string("hostHeader", BackendConfig.HOST_PRESERVE);
    String protocol = n.oneOf("protocol", BackendConfig.HTTP1,
        List.of(BackendConfig.HTTP1, BackendConfig.H2C, BackendConfig.H2));
    BackendConfig b = readBackendUrl(name, n, url, n.pathOf("url"));
    BackendTls tls = EdgeReader.backend(n.child("tls"), b == null || b.ssl());
    n.rejectUnknownKeys();
    if (b == null) {
      return null;
    }
    if (protocol.equals(BackendConfig.H2) && !b.ssl()) {
      n.error("protocol", "h2 is HTTP/2 over TLS and needs an https:// URL; for cleartext HTTP/2 say h2c");
    } else if (protocol.equals(BackendConfig.H2C) && b.ssl()) {
      n.error("protocol", "h2c is cleartext HTTP/2 and needs an http:// URL; over TLS say h2");
    }
    return new BackendConfig(name, b.url(), b.host(), b.port(), b.ssl(), b.basePath(), connectTimeout, timeout,
        maxConnections, hostHeader, protocol, tls);
  }

  private BackendConfig readBackendUrl(String name, Node n, String url, String path) {
    if (url == null) {
      if (!n.isObject()) {
        n.error("must be a URL such as http://127.0.0.1:9001, or a mapping with 'url'");
      }
      return null;
    }
    String problem = null;
    URI uri = null;
    try {
      uri = new URI(url.trim());
      if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
        problem = "must be an http:// or https:// URL, got '" + url + "'";
      } else if (uri.getHost() == null) {
        problem = "has no host, got '" + url + "'";
      } else if (uri.getQuery() != null || uri.getFragment() != null) {
        problem = "must not have a query or fragment, got '" + url + "'";
      }
    } catch (URISyntaxException e) {
      problem = "is not a valid URL: " + e.getMessage();
    }
    if (problem != null) {
      n.problemsAt(path, problem);
      return null;
    }
    boolean ssl = uri.getScheme().equals("https");
    int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
    String basePath = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (basePath.endsWith("/")) {
      basePath = basePath.substring(0, basePath.length() - 1);
    }
    return new BackendConfig(name, url.trim(), uri.getHost(), port, ssl, basePath,
        BackendConfig.DEFAULT_CONNECT_TIMEOUT, BackendConfig.DEFAULT_TIMEOUT, BackendConfig.DEFAULT_MAX_CONNECTIONS,
        BackendConfig.HOST_PRESERVE, BackendConfig.HTTP1, ssl ? BackendTls.DEFAULT : null);
  }

  private List<RouteConfig> readRoutes(Node root, Set<String> backends, EdgeLimits limits) {
    List<RouteConfig> out = new ArrayList<>();
    List<Node> nodes = root.list("routes");
    if (nodes.isEmpty() && !(verifyOnly && !root.has("routes"))) {
      root.error("routes", "at least one route is required");
    }
    Set<String> names = new HashSet<>();
    for (Node n : nodes) {
      String name = n.requiredString("name");
      if (name != null && !names.add(name)) {
        n.error("name", "route '" + name + "' is defined twice; route names must be unique");
      }
      if (name != null && !name.matches("[A-Za-z0-9._-]+")) {
        n.error("name", "may contain only letters, digits, '.', '_' and '-', got '" + name + "'");
      }
      MatchConfig match = readMatch(n.child("match"));
      String primary = n.requiredString("primary");
      checkBackend(n, "primary", primary, backends);
      CanaryConfig canary = null;
      Node c = n.child("canary");
      if (c.isPresent()) {
        canary = readCanary(c, backends);
      }
      MirrorConfig mirror = null;
      Node m = n.child("mirror");
      if (m.isPresent()) {
        mirror = readMirror(m, backends);
      }
      EffectsConfig effects = null;
      Node e = n.child("effects");
      if (e.isPresent()) {
        effects = readEffects(e);
        if (mirror == null || !mirror.compare()) {
          e.error("compares what the request wrote on both sides: it needs mirror: { ..., compare: true }");
        }
      }
      long maxBodyBytes = n.bytes("maxBodyBytes", limits.maxBodyBytes());
      boolean buffering = n.bool("requestBuffering", false);
      if (buffering && maxBodyBytes > limits.requestBufferBytes()) {
        n.error("requestBuffering", "holds a whole body of up to maxBodyBytes (" + maxBodyBytes + " bytes) in memory,"
            + " more than server.requestBufferBytes (" + limits.requestBufferBytes() + ") allows for all of them:"
            + " lower the route's maxBodyBytes or raise server.requestBufferBytes");
      }
      n.rejectUnknownKeys();
      out.add(new RouteConfig(name, match, primary, canary, mirror, effects, maxBodyBytes, buffering));
    }
    return out;
  }

  private CanaryConfig readCanary(Node c, Set<String> backends) {
    String backend = c.requiredString("backend");
    checkBackend(c, "backend", backend, backends);
    double weight;
    if (c.has("weightTotal")) {
      // NGINX ingress's canary-weight-total: weight counts out of this total instead of 100.
      int total = c.integer("weightTotal", 100, 1, 1_000_000);
      double w = c.number("weight", 0);
      if (w < 0 || w > total) {
        c.error("weight", "must be between 0 and weightTotal (" + total + "), got " + w);
        w = 0;
      }
      weight = Math.rint(w * 100.0 / total * 100) / 100;
    } else {
      weight = c.percent("weight", 0);
    }
    String header = c.string("header", CanaryConfig.DEFAULT_HEADER);
    String headerValue = c.string("headerValue", null);
    java.util.regex.Pattern headerPattern = pattern(c, "headerPattern");
    Map<String, java.util.regex.Pattern> matchHeaders = new LinkedHashMap<>();
    c.entries("matchHeaders").forEach((name, v) -> {
      try {
        matchHeaders.put(name, java.util.regex.Pattern.compile(v.text() == null ? "" : v.text()));
      } catch (java.util.regex.PatternSyntaxException e) {
        v.error("is not a valid regex: " + e.getDescription());
      }
    });
    String cookie = c.string("cookie", CanaryConfig.DEFAULT_COOKIE);
    CanaryConfig.Sticky sticky = CanaryConfig.Sticky.DEFAULT;
    Node st = c.child("sticky");
    if (st.isPresent()) {
      sticky = new CanaryConfig.Sticky(st.string("header", null),
          st.string("cookie", CanaryConfig.Sticky.DEFAULT_COOKIE),
          st.duration("maxAge", CanaryConfig.Sticky.DEFAULT_MAX_AGE));
      if (!sticky.cookie().matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
        st.error("cookie", "is not a valid cookie name, got '" + sticky.cookie() + "'");
      }
      st.rejectUnknownKeys();
    }
    String backendHeader = c.string("backendHeader", null);
    RolloutConfig rollout = null;
    Node r = c.child("rollout");
    if (r.isPresent()) {
      rollout = readRollout(r);
    }
    c.rejectUnknownKeys();
    return new CanaryConfig(backend, weight, header, headerValue, headerPattern, matchHeaders, cookie, sticky,
        backendHeader == null || backendHeader.isBlank() ? null : backendHeader, rollout);
  }

  private RolloutConfig readRollout(Node r) {
    List<Double> steps = new ArrayList<>();
    List<String> stepValues = r.strings("steps");
    if (stepValues.isEmpty()) {
      r.error("steps", "at least one step is required, e.g. [5, 10, 25, 50, 100]");
    }
    for (String step : stepValues) {
      String problem = Percent.problem(step);
      if (problem != null) {
        r.error("steps", problem);
        continue;
      }
      double w = Double.parseDouble(step.trim());
      if (!steps.isEmpty() && w <= steps.get(steps.size() - 1)) {
        r.error("steps", "must go up, got " + Percent.plain(w) + " after " + Percent.plain(steps.get(steps.size() - 1)));
      }
      steps.add(w);
    }
    var interval = r.duration("interval", RolloutConfig.DEFAULT_INTERVAL);
    if (interval.compareTo(RolloutConfig.MIN_INTERVAL) < 0 || interval.compareTo(RolloutConfig.MAX_INTERVAL) > 0) {
      r.error("interval", "must be from 100ms to 7d, got " + Durations.format(interval));
    }
    RolloutConfig.Gates gates = readGates(r.child("gates"));
    r.rejectUnknownKeys();
    return new RolloutConfig(steps, interval, gates);
  }

  private static RolloutConfig.Gates readGates(Node g) {
    RolloutConfig.Gates d = RolloutConfig.Gates.DEFAULT;
    List<RolloutConfig.MetricGate> metrics = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<Node> list = g.list("metrics");
    for (int i = 0; i < list.size(); i++) {
      Node m = list.get(i);
      String name = m.string("name", RolloutConfig.MetricGate.defaultName(i));
      if (name.isBlank()) {
        m.error("name", "must not be empty (without a name the gate is called "
            + RolloutConfig.MetricGate.defaultName(i) + ")");
      } else if (!names.add(name)) {
        m.error("name", "metric gate '" + name + "' is defined twice" + (name.startsWith("metric-")
            ? " (metric-N is the name a gate without one gets from its position)" : ""));
      }
      String query = m.requiredString("query");
      Double min = m.has("min") ? m.signedNumber("min") : null;
      Double max = m.has("max") ? m.signedNumber("max") : null;
      if (min == null && max == null && !m.has("min") && !m.has("max")) {
        m.error("gives no bound: add max (the value must stay at or below it) and/or min");
      } else if (min != null && max != null && min > max) {
        m.error("min", "must not be above max (" + max + "), got " + min);
      }
      m.rejectUnknownKeys();
      metrics.add(new RolloutConfig.MetricGate(name, query, min, max));
    }
    var gates = new RolloutConfig.Gates(g.number("maxErrorRateIncrease", d.maxErrorRateIncrease()),
        g.number("maxP99Ratio", d.maxP99Ratio()), g.percent("maxDiffRate", d.maxDiffRate()),
        g.integer("minRequests", d.minRequests(), 0, Integer.MAX_VALUE), metrics);
    g.rejectUnknownKeys();
    return gates;
  }

  private static RolloutSettings readRolloutSettings(Node n, List<RouteConfig> routes) {
    String prometheus = n.string("prometheus", null);
    if (prometheus != null && !prometheus.matches("https?://[^\\s/]+(/.*)?")) {
      n.error("prometheus", "must be an http(s) URL such as http://prometheus:9090, got '" + prometheus + "'");
    }
    java.time.Duration timeout = n.duration("timeout", RolloutSettings.DEFAULT_TIMEOUT);
    n.rejectUnknownKeys();
    if (prometheus == null) {
      for (int i = 0; i < routes.size(); i++) {
        CanaryConfig c = routes.get(i).canary();
        if (c != null && c.rollout() != null && !c.rollout().gates().metrics().isEmpty()) {
          n.problemsAt("routes[" + i + "].canary.rollout.gates.metrics", "query Prometheus: set rollout:"
              + " { prometheus: http://prometheus:9090 }");
        }
      }
    }
    return new RolloutSettings(prometheus, timeout);
  }

  private static java.util.regex.Pattern pattern(Node n, String key) {
    String v = n.string(key, null);
    if (v == null) {
      return null;
    }
    try {
      return java.util.regex.Pattern.compile(v);
    } catch (java.util.regex.PatternSyntaxException e) {
      n.error(key, "is not a valid regex: " + e.getDescription());
      return null;
    }
  }

  private CompareConfig readCompare(Node n) {
    CompareConfig d = CompareConfig.DEFAULT;
    if (!n.isPresent()) {
      return d;
    }
    long maxBody = n.bytes("maxBodyBytes", dev.tandem.comparator.Rules.DEFAULT_MAX_BODY_BYTES);
    dev.tandem.comparator.Rules global = readRules(n.child("rules"), dev.tandem.comparator.Rules.DEFAULT, maxBody);
    Map<String, dev.tandem.comparator.Rules> endpoints = new LinkedHashMap<>();
    for (Node e : n.list("endpoints")) {
      String endpoint = e.requiredString("endpoint");
      if (endpoint != null && !endpoint.matches("([A-Za-z]+|\\*) /.*")) {
        e.error("endpoint", "must be 'METHOD /path/{param}', e.g. 'GET /orders/{id}', got '" + endpoint + "'");
      } else if (endpoint != null) {
        String t = endpoint.trim();
        int space = t.indexOf(' ');
        // Named as the grouper names endpoints: the method upper-case.
        endpoints.put(t.substring(0, space).toUpperCase(Locale.ROOT) + t.substring(space),
            readRules(e.child("rules"), global, maxBody));
      }
      e.rejectUnknownKeys();
    }
    Node noise = n.child("noise");
    NoiseRule nr = new NoiseRule(noise.percent("relative", d.noise().relative() * 100) / 100,
        noise.percent("absolute", d.noise().absolute() * 100) / 100,
        noise.percent("likelyNoise", d.noise().likelyNoiseRate() * 100) / 100);
    noise.rejectUnknownKeys();
    Node redact = n.child("redact");
    Set<String> redactHeaders = new LinkedHashSet<>(dev.tandem.comparator.Redactor.DEFAULT_HEADERS);
    redact.strings("headers").forEach(h -> redactHeaders.add(h.toLowerCase(Locale.ROOT)));
    List<dev.tandem.comparator.PathPattern> redactJson = pointers(redact, "json");
    redact.rejectUnknownKeys();
    Node grpc = n.child("grpc");
    dev.tandem.comparator.grpc.ProtoSchema protos = d.protos();
    String descriptors = grpc.string("descriptorSet", null);
    if (descriptors != null && !descriptors.isBlank()) {
      try {
        protos = dev.tandem.comparator.grpc.ProtoSchema.load(Path.of(descriptors));
      } catch (dev.tandem.comparator.grpc.ProtoSchemaException e) {
        grpc.error("descriptorSet", e.getMessage());
      }
    }
    grpc.rejectUnknownKeys();
    return new CompareConfig(global, endpoints, nr, redactHeaders, redactJson,
        n.integer("maxSamples", d.maxSamples(), 0, 10_000_000), n.duration("maxAge", d.maxAge()),
        n.integer("maxEndpoints", d.maxEndpoints(), 1, 100_000),
        n.integer("workers", d.workers(), 1, 64), n.integer("queue", d.queue(), 0, 1_000_000), protos);
  }

  /** Comparison rules; unset keys keep {@code base}'s values (so an endpoint's rules add to the global ones). */
  private static dev.tandem.comparator.Rules readRules(Node r, dev.tandem.comparator.Rules base, long maxBody) {
    if (!r.isPresent()) {
      return new dev.tandem.comparator.Rules(List.of(), Set.of(), Set.of(), Map.of(), base.defaultTolerance(),
          List.of(), Map.of(), base.timestamps(), base.timestampPrecision(), base.nullEqualsMissing(), List.of(),
          base.trim(), Map.of(), base.mapKeyThreshold(), maxBody);
    }
    Map<dev.tandem.comparator.PathPattern, dev.tandem.comparator.Rules.Tolerance> tolerances = new LinkedHashMap<>();
    r.entries("tolerances").forEach((path, t) -> {
      dev.tandem.comparator.PathPattern p = pointer(t, path);
      if (p != null) {
        tolerances.put(p, new dev.tandem.comparator.Rules.Tolerance(t.number("absolute", 0), t.number("relative", 0)));
      }
      t.rejectUnknownKeys();
    });
    Node tol = r.child("tolerance");
    var defaultTolerance = tol.isPresent()
        ? new dev.tandem.comparator.Rules.Tolerance(tol.number("absolute", 0), tol.number("relative", 0))
        : base.defaultTolerance();
    tol.rejectUnknownKeys();
    Map<dev.tandem.comparator.PathPattern, String> arrayKeys = new LinkedHashMap<>();
    r.stringMap("arrayKeys").forEach((path, key) -> {
      dev.tandem.comparator.PathPattern p = pointer(r, path);
      if (p != null) {
        arrayKeys.put(p, key);
      }
    });
    Map<dev.tandem.comparator.PathPattern, dev.tandem.comparator.Rules.Matcher> matchers = new LinkedHashMap<>();
    r.stringMap("matchers").forEach((path, m) -> {
      dev.tandem.comparator.PathPattern p = pointer(r, path);
      if (p == null) {
        return;
      }
      if (m.equals("present")) {
        matchers.put(p, dev.tandem.comparator.Rules.Matcher.present());
      } else {
        try {
          matchers.put(p, new dev.tandem.comparator.Rules.Matcher(java.util.regex.Pattern.compile(m)));
        } catch (java.util.regex.PatternSyntaxException e) {
          r.error("matchers", "'" + path + "' is not 'present' or a valid regex: " + e.getDescription());
        }
      }
    });
    var rules = new dev.tandem.comparator.Rules(pointers(r, "ignore"), new LinkedHashSet<>(r.strings("ignoreHeaders")),
        new LinkedHashSet<>(r.strings("compareHeaders")), tolerances, defaultTolerance, pointers(r, "unorderedArrays"),
        arrayKeys, r.bool("timestamps", base.timestamps()), r.duration("timestampPrecision", base.timestampPrecision()),
        r.bool("nullEqualsMissing", base.nullEqualsMissing()), pointers(r, "caseInsensitive"),
        r.bool("trim", base.trim()), matchers, r.integer("mapKeyThreshold", base.mapKeyThreshold(), 1, 1_000_000),
        maxBody);
    r.rejectUnknownKeys();
    return rules;
  }

  private static List<dev.tandem.comparator.PathPattern> pointers(Node n, String key) {
    List<dev.tandem.comparator.PathPattern> out = new ArrayList<>();
    for (String s : n.strings(key)) {
      dev.tandem.comparator.PathPattern p = pointer(n, s, key);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  private static dev.tandem.comparator.PathPattern pointer(Node n, String path) {
    return pointer(n, path, null);
  }

  private static dev.tandem.comparator.PathPattern pointer(Node n, String path, String key) {
    try {
      return dev.tandem.comparator.PathPattern.of(path);
    } catch (IllegalArgumentException e) {
      if (key == null) {
        n.error(e.getMessage() + " (a JSON Pointer such as /items/*/price or /**/etag)");
      } else {
        n.error(key, e.getMessage() + " (a JSON Pointer such as /items/*/price or /**/etag)");
      }
      return null;
    }
  }

  private StateConfig readState(Node n, IdempotencyConfig idempotency) {
    if (!n.isPresent()) {
      return defaultState();
    }
    String text = n.text();
    if (text != null) {
      // The short form, state: redis, shares the idempotency store's Redis.
      if (text.equalsIgnoreCase(StateConfig.FILE)) {
        return defaultState();
      }
      if (text.equalsIgnoreCase(StateConfig.REDIS)) {
        String url = StoreConfig.REDIS.equals(idempotency.store().kind()) ? idempotency.store().url() : null;
        if (url == null) {
          n.error("'state: redis' uses idempotency.redis, which is not set; write state: { store: redis, "
              + "redis: redis://host:6379 }");
        }
        return new StateConfig(StateConfig.REDIS, stateFile(StateConfig.DEFAULT_FILE), url, StateConfig.DEFAULT_PREFIX);
      }
      n.error("must be file, redis, or { store: ..., ... }, got '" + text + "'");
      return defaultState();
    }
    String store = n.oneOf("store", StateConfig.FILE, List.of(StateConfig.FILE, StateConfig.REDIS));
    String file = n.string("file", stateFile(StateConfig.DEFAULT_FILE));
    String redis = n.string("redis", null);
    String prefix = n.string("prefix", StateConfig.DEFAULT_PREFIX);
    if (store.equals(StateConfig.REDIS) && (redis == null || !redis.startsWith("redis"))) {
      n.error("redis", "is required when store is redis (a URL such as redis://127.0.0.1:6379)");
    }
    n.rejectUnknownKeys();
    return new StateConfig(store, file, redis, prefix);
  }

  private MirrorConfig readMirror(Node m, Set<String> backends) {
    List<MirrorConfig.Shadow> shadows = new ArrayList<>();
    double rate = m.number("rateLimit", 0);
    var timeout = m.duration("timeout", MirrorConfig.Shadow.DEFAULT_TIMEOUT);
    int inFlight = m.integer("maxInFlight", MirrorConfig.Shadow.DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000);
    if (m.has("shadows")) {
      for (Node sh : m.list("shadows")) {
        String b = sh.requiredString("backend");
        checkBackend(sh, "backend", b, backends);
        shadows.add(new MirrorConfig.Shadow(b, sh.number("rateLimit", rate), sh.duration("timeout", timeout),
            sh.integer("maxInFlight", inFlight, 1, 1_000_000)));
        sh.rejectUnknownKeys();
      }
      if (m.has("backend")) {
        m.error("backend", "give either backend or shadows, not both");
      }
    } else {
      String b = m.requiredString("backend");
      checkBackend(m, "backend", b, backends);
      shadows.add(new MirrorConfig.Shadow(b, rate, timeout, inFlight));
    }
    Set<String> methods = methods(m, "methods");
    Set<String> excludeMethods = methods(m, "excludeMethods");
    List<java.util.regex.Pattern> paths = patterns(m, "paths");
    List<java.util.regex.Pattern> excludePaths = patterns(m, "excludePaths");
    String send = m.oneOf("send", MirrorConfig.SEND_AUTO,
        List.of(MirrorConfig.SEND_AUTO, MirrorConfig.SEND_IMMEDIATE, MirrorConfig.SEND_AFTER_PRIMARY));
    List<String> afterStatus = m.strings("afterStatus");
    if (afterStatus.isEmpty()) {
      afterStatus = List.of("2xx");
    }
    for (String st : afterStatus) {
      if (!st.matches("[1-5]([0-9]{2}|xx)")) {
        m.error("afterStatus", "must list statuses such as 201 or classes such as 2xx, got '" + st + "'");
      }
    }
    MirrorConfig mirror = new MirrorConfig(shadows, m.percent("percent", 100), m.bool("compare", false), methods,
        excludeMethods, paths, excludePaths, m.bytes("maxBodyBytes", MirrorConfig.DEFAULT_MAX_BODY_BYTES), send,
        afterStatus, m.strings("stripHeaders"), m.stringMap("setHeaders"), m.string("secondary", null),
        readRewrite(m.child("rewrite")));
    if (mirror.secondary() != null) {
      checkBackend(m, "secondary", mirror.secondary(), backends);
      if (!mirror.compare()) {
        m.error("secondary", "is only used to compare: set compare: true, or remove secondary");
      }
    }
    m.rejectUnknownKeys();
    return mirror;
  }

  private static dev.tandem.proxy.mirror.ShadowRewrite readRewrite(Node r) {
    if (!r.isPresent()) {
      return dev.tandem.proxy.mirror.ShadowRewrite.NONE;
    }
    String from = null;
    String to = null;
    Node prefix = r.child("pathPrefix");
    if (prefix.isPresent()) {
      from = prefix.requiredString("from");
      to = prefix.requiredString("to");
      for (String[] p : new String[][] {{"from", from}, {"to", to}}) {
        if (p[1] != null && !p[1].startsWith("/")) {
          prefix.error(p[0], "must start with '/', got '" + p[1] + "'");
        }
      }
      prefix.rejectUnknownKeys();
    }
    var rewrite = new dev.tandem.proxy.mirror.ShadowRewrite(from, to, r.stringMap("setQuery"),
        new LinkedHashSet<>(r.strings("removeQuery")));
    r.rejectUnknownKeys();
    return rewrite;
  }

  private static Set<String> methods(Node n, String key) {
    Set<String> out = new LinkedHashSet<>();
    for (String v : n.strings(key)) {
      String upper = v.trim().toUpperCase(Locale.ROOT);
      if (!METHODS.contains(upper)) {
        n.error(key, "unknown HTTP method '" + v + "'");
      }
      out.add(upper);
    }
    return out;
  }

  private static List<java.util.regex.Pattern> patterns(Node n, String key) {
    List<java.util.regex.Pattern> out = new ArrayList<>();
    for (String v : n.strings(key)) {
      try {
        out.add(java.util.regex.Pattern.compile(v));
      } catch (java.util.regex.PatternSyntaxException e) {
        n.error(key, "'" + v + "' is not a valid regular expression: " + e.getDescription());
      }
    }
    return out;
  }

  private IdempotencyConfig readIdempotency(Node n) {
    StoreConfig store = readStoreKind(n, List.of(StoreConfig.MEMORY, StoreConfig.REDIS));
    String prefix = n.string("prefix", "idempotency:");
    var ttl = n.duration("ttl", java.time.Duration.ofHours(1));
    String key = n.string("key", dev.tandem.idempotency.KeyStrategy.DEFAULT_TEMPLATE);
    try {
      dev.tandem.idempotency.KeyStrategy.parse(key);
    } catch (IllegalArgumentException e) {
      n.error("key", e.getMessage());
    }
    String onDown = n.oneOf("onStoreDown", "failClosed", List.of("failClosed", "failOpen"));
    int maxKeys = n.integer("maxKeys", dev.tandem.idempotency.MemoryIdempotencyStore.DEFAULT_MAX_KEYS, 1, 100_000_000);
    n.rejectUnknownKeys();
    return new IdempotencyConfig(store, prefix, ttl, key, onDown.equals("failOpen"), maxKeys);
  }

  private DeadLetterConfig readDeadLetters(Node n) {
    String store = n.oneOf("store", DeadLetterConfig.FILE,
        List.of(DeadLetterConfig.FILE, DeadLetterConfig.REDIS, DeadLetterConfig.POSTGRES));
    String file = n.string("file", stateFile(DeadLetterConfig.DEFAULT_FILE));
    String redis = n.string("redis", null);
    String stream = n.string("stream", DeadLetterConfig.DEFAULT_STREAM);
    String postgres = n.string("postgres", null);
    String table = n.string("table", DeadLetterConfig.DEFAULT_TABLE);
    if (store.equals(DeadLetterConfig.REDIS) && (redis == null || !redis.startsWith("redis"))) {
      n.error("redis", "is required when store is redis (a URL such as redis://127.0.0.1:6379)");
    }
    if (store.equals(DeadLetterConfig.POSTGRES) && (postgres == null || !postgres.startsWith("postgres"))) {
      n.error("postgres", "is required when store is postgres (a URL such as postgresql://postgres@127.0.0.1:5432/tandem)");
    }
    if (!table.matches("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?")) {
      n.error("table", "must be a plain SQL table name, optionally schema.table (letters, digits, _), got '" + table + "'");
    }
    n.rejectUnknownKeys();
    return new DeadLetterConfig(store, file, redis, stream, postgres, table);
  }

  /** gRPC needs HTTP/2 (its status comes in trailers): a gRPC route's backends must be spoken to in it. */
  private static void checkGrpcBackends(List<RouteConfig> routes, Map<String, BackendConfig> backends,
                                        Problems problems) {
    for (int index = 0; index < routes.size(); index++) {
      int i = index;
      RouteConfig r = routes.get(i);
      if (r.match().grpcService() == null) {
        continue;
      }
      Map<String, String> used = new LinkedHashMap<>();
      used.put("primary", r.primary());
      if (r.canary() != null) {
        used.put("canary.backend", r.canary().backend());
      }
      if (r.mirror() != null) {
        for (int s = 0; s < r.mirror().shadows().size(); s++) {
          used.put(r.mirror().shadows().size() == 1 ? "mirror.backend" : "mirror.shadows[" + s + "].backend",
              r.mirror().shadows().get(s).backend());
        }
      }
      used.forEach((key, name) -> {
        BackendConfig b = backends.get(name);
        if (b != null && !b.http2()) {
          problems.error("routes[" + i + "]." + key, "backend '" + name + "' is spoken to in HTTP/1.1, but the"
              + " route matches gRPC (grpcService), which needs HTTP/2: give the backend protocol: h2c (or h2)");
        }
      });
    }
  }

  private static void checkBackend(Node n, String key, String name, Set<String> backends) {
    if (name != null && !name.isBlank() && !backends.contains(name)) {
      n.error(key, "unknown backend '" + name + "'" + (backends.isEmpty() ? "" : " (known: "
          + String.join(", ", backends) + ")"));
    }
  }

  private MatchConfig readMatch(Node n) {
    String prefix = n.string("pathPrefix", "/");
    if (!prefix.startsWith("/")) {
      n.error("pathPrefix", "must start with '/', got '" + prefix + "'");
    }
    String service = n.string("grpcService", null);
    String method = n.string("grpcMethod", null);
    if (service != null) {
      if (!GRPC_NAME.matcher(service).matches()) {
        n.error("grpcService", "must be a fully qualified service name such as orders.v1.Orders, got '"
            + service + "'");
      }
      if (n.has("pathPrefix")) {
        n.error("pathPrefix", "cannot be given with grpcService, which sets the path (/" + service + "/...)");
      }
      if (method != null && !GRPC_METHOD.matcher(method).matches()) {
        n.error("grpcMethod", "must be a method name such as CreateOrder, got '" + method + "'");
      }
      // A gRPC call's path is /service/method (the gRPC over HTTP/2 protocol): the route's prefix, by segments.
      prefix = "/" + service + (method == null ? "" : "/" + method);
    } else if (method != null) {
      n.error("grpcMethod", "needs grpcService, the service the method belongs to");
    }
    List<String> hosts = new ArrayList<>();
    for (String h : n.strings("host")) {
      hosts.add(h.trim().toLowerCase(Locale.ROOT));
    }
    Set<String> methods = new LinkedHashSet<>();
    for (String m : n.strings("methods")) {
      String upper = m.trim().toUpperCase(Locale.ROOT);
      if (!METHODS.contains(upper)) {
        n.error("methods", "unknown HTTP method '" + m + "'");
      }
      methods.add(upper);
    }
    n.rejectUnknownKeys();
    return new MatchConfig(prefix, hosts, methods, service, method);
  }

  private StoreConfig readStore(Node n, List<String> kinds) {
    StoreConfig store = readStoreKind(n, kinds);
    n.rejectUnknownKeys();
    return store;
  }

  private StoreConfig readStoreKind(Node n, List<String> kinds) {
    if (!n.isPresent()) {
      return StoreConfig.memory();
    }
    String kind = n.oneOf("store", StoreConfig.MEMORY, kinds);
    String url = null;
    for (String k : kinds) {
      if (!k.equals(StoreConfig.MEMORY)) {
        String u = n.string(k, null);
        if (k.equals(kind)) {
          url = u;
        }
      }
    }
    if (!StoreConfig.MEMORY.equals(kind)) {
      if (url == null || url.isBlank()) {
        n.error(kind, "is required when store is " + kind + " (a URL such as " + exampleUrl(kind) + ")");
      } else if (!url.startsWith(kind.equals(StoreConfig.REDIS) ? "redis" : "postgres")) {
        n.error(kind, "must be a URL such as " + exampleUrl(kind) + ", got '" + url + "'");
      }
    }
    return new StoreConfig(kind, url);
  }

  private static String exampleUrl(String kind) {
    return kind.equals(StoreConfig.REDIS) ? "redis://127.0.0.1:6379" : "postgresql://postgres@127.0.0.1:5432/tandem";
  }

  private VerifyConfig readVerify(Node n) {
    if (!n.isPresent()) {
      return null;
    }
    String primary = n.requiredString("primary");
    String shadow = n.requiredString("shadow");
    for (String key : List.of("primary", "shadow")) {
      String url = key.equals("primary") ? primary : shadow;
      if (url != null && !url.startsWith("postgres")) {
        n.error(key, "must be a PostgreSQL URL such as postgresql://postgres@127.0.0.1:5432/legacy, got '" + url + "'");
      }
    }
    List<VerifyConfig.Table> tables = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Node t : n.list("tables")) {
      String name = t.requiredString("name");
      if (name != null && !name.matches("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?")) {
        t.error("name", "must be a table name, optionally with its schema (orders, sales.orders), got '" + name + "'");
      }
      if (name != null && !names.add(name)) {
        t.error("name", "table '" + name + "' is listed twice");
      }
      String shadowName = t.string("shadow", name);
      if (shadowName != null && !shadowName.matches("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?")) {
        t.error("shadow", "must be a table name, optionally with its schema, got '" + shadowName + "'");
      }
      List<String> key = t.strings("key");
      if (key.isEmpty()) {
        t.error("key", "is required: the columns that identify a row, e.g. [id]");
      }
      Set<String> ignore = new LinkedHashSet<>(t.strings("ignore"));
      Map<String, VerifyConfig.Table.ColumnMap> columns = new LinkedHashMap<>();
      t.entries("columns").forEach((column, c) -> {
        String p = c.string("primary", null);
        String sh = c.string("shadow", null);
        if (p == null && sh == null) {
          c.error("give shadow: (a column name or an SQL expression) and/or primary: (an SQL expression)");
        }
        c.rejectUnknownKeys();
        columns.put(column, new VerifyConfig.Table.ColumnMap(p, sh));
      });
      dev.tandem.comparator.db.TableSpec.UpdatedAt updatedAt = null;
      Node u = t.scalarOrChild("updatedAt");
      if (u.isPresent()) {
        String col = u.text();
        String p = col != null ? col : u.string("primary", null);
        String sh = col != null ? col : u.string("shadow", p);
        if (p == null || sh == null) {
          u.error("needs a column: updatedAt: updated_at, or { primary: updated_at, shadow: modified_at }");
        } else {
          updatedAt = new dev.tandem.comparator.db.TableSpec.UpdatedAt(p, sh);
        }
        if (col == null) {
          u.rejectUnknownKeys();
        }
      }
      t.rejectUnknownKeys();
      tables.add(new VerifyConfig.Table(name, shadowName, key, ignore, columns, updatedAt));
    }
    if (tables.isEmpty()) {
      n.error("tables", "list at least one table, e.g. [{ name: orders, key: [id] }]");
    }
    dev.tandem.comparator.db.VerifyOptions d = dev.tandem.comparator.db.VerifyOptions.DEFAULT;
    dev.tandem.comparator.db.VerifyOptions options = new dev.tandem.comparator.db.VerifyOptions(
        n.integer("chunkSize", d.chunkSize(), 100, 10_000_000), n.integer("concurrency", d.concurrency(), 1, 64),
        n.duration("settle", d.settle()), n.bool("nullEqualsEmpty", d.nullEqualsEmpty()),
        n.integer("maxFindings", d.maxFindings(), 0, 100_000), n.integer("escalateAfter", d.escalateAfter(), 1, 1000));
    java.time.Duration schedule = n.duration("schedule", null);
    if (schedule != null && schedule.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
      n.error("schedule", "must be at least 1s (or left out: verify on demand only)");
    }
    Node r = n.child("readiness");
    dev.tandem.comparator.db.CutoverVerdict.Readiness rd = dev.tandem.comparator.db.CutoverVerdict.Readiness.DEFAULT;
    dev.tandem.comparator.db.CutoverVerdict.Readiness readiness = new dev.tandem.comparator.db.CutoverVerdict.Readiness(
        r.percent("minSyncPercent", rd.minSyncPercent()), r.integer("maxDivergentRows", (int) rd.maxDivergentRows(), 0,
        Integer.MAX_VALUE), r.integer("cleanRuns", rd.cleanRuns(), 1, 100),
        r.percent("maxResponseDiffRate", rd.maxResponseDiffRate()));
    r.rejectUnknownKeys();
    java.time.Duration lockWatch = n.duration("lockWatch", VerifyConfig.DEFAULT_LOCK_WATCH);
    String history = n.string("history", stateFile(VerifyConfig.DEFAULT_HISTORY));
    n.rejectUnknownKeys();
    return new VerifyConfig(primary, shadow, tables, options, schedule, history, readiness,
        lockWatch == null ? java.time.Duration.ZERO : lockWatch);
  }

}
