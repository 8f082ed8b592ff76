package dev.tandem.proxy.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigLoaderTest {

  private static final String MINIMAL = """
      backends:
        legacy: http://127.0.0.1:9001
      routes:
        - name: default
          primary: legacy
      """;

  private final ConfigLoader loader = ConfigLoader.withEnvironment(Map.of(
      "LEGACY_URL", "http://10.0.0.5:7000", "TOKEN", "s3cret-token", "EMPTY", "")::get);

  private TandemConfig load(String yaml) throws ConfigException {
    return loader.parse(yaml, "test.yaml").config();
  }

  private List<String> errors(String yaml) {
    ConfigException e = assertThrows(ConfigException.class, () -> load(yaml));
    return e.errors().stream().map(ConfigError::toString).toList();
  }

  @Test
  @DisplayName("Tandem's own files default to the state directory, never the working directory: $TANDEM_STATE_DIR,"
      + " else $XDG_STATE_HOME/tandem, else ~/.local/state/tandem")
  void stateDirectory() throws Exception {
    // The build points every test's state into target/ with this property; cleared here (tests run one at a time).
    String property = System.clearProperty("tandem.stateDir");
    try {
      defaultsOutsideTheWorkingDirectory();
    } finally {
      if (property != null) {
        System.setProperty("tandem.stateDir", property);
      }
    }
  }

  private void defaultsOutsideTheWorkingDirectory() throws Exception {
    String yaml = "backends: { legacy: http://127.0.0.1:9001 }\nroutes: [ { name: all, primary: legacy } ]\n";
    Map<Map<String, String>, Path> cases = Map.of(
        Map.of("TANDEM_STATE_DIR", "/var/lib/tandem", "XDG_STATE_HOME", "/x", "HOME", "/home/ops"),
        Path.of("/var/lib/tandem"),
        Map.of("XDG_STATE_HOME", "/x", "HOME", "/home/ops"), Path.of("/x/tandem"),
        Map.of("HOME", "/home/ops"), Path.of("/home/ops/.local/state/tandem"),
        Map.of(), Path.of(System.getProperty("java.io.tmpdir"), "tandem-state"));
    for (var c : cases.entrySet()) {
      ConfigLoader l = ConfigLoader.withEnvironment(c.getKey()::get);
      assertThat(l.stateDir()).as("with %s", c.getKey()).isEqualTo(c.getValue()).isAbsolute();
      assertThat(Path.of(l.parse(yaml, "t.yaml").config().state().file())).as("the state file with %s", c.getKey())
          .isEqualTo(c.getValue().resolve(StateConfig.DEFAULT_FILE));
    }
  }

  @Test
  @DisplayName("the design's example configuration loads with its defaults")
  void designExample() throws Exception {
    TandemConfig c = load("""
        server: { host: 0.0.0.0, port: 8080 }
        admin:  { host: 127.0.0.1, port: 8081, token: ${TOKEN} }
        backends:
          legacy: http://127.0.0.1:9001
          candidate: http://127.0.0.1:9002
        routes:
          - name: default
            match: { pathPrefix: / }
            primary: legacy
            canary: { backend: candidate, weight: 0 }
            mirror: { backend: candidate, percent: 100, compare: true }
        idempotency: { store: memory }
        comparator: { store: memory }
        verify:
          primary: postgresql://postgres@127.0.0.1:5432/legacy
          shadow: postgresql://postgres@127.0.0.1:5432/shadow
          tables:
            - { name: orders, key: [id] }
        """);
    assertThat(c.server().port()).isEqualTo(8080);
    assertThat(c.admin().tokens()).containsEntry("admin", "s3cret-token");
    assertThat(c.backend("candidate").port()).isEqualTo(9002);
    assertThat(c.routes().get(0).canary()).isEqualTo(CanaryConfig.of("candidate", 0));
    MirrorConfig mirror = c.routes().get(0).mirror();
    assertThat(mirror.backend()).isEqualTo("candidate");
    assertThat(mirror.percent()).isEqualTo(100);
    assertThat(mirror.compare()).isTrue();
    assertThat(mirror.send()).isEqualTo(MirrorConfig.SEND_AUTO);
    assertThat(mirror.afterStatus()).containsExactly("2xx");
    assertThat(mirror.maxBodyBytes()).isEqualTo(MirrorConfig.DEFAULT_MAX_BODY_BYTES);
    assertThat(c.verify().tables()).containsExactly(new VerifyConfig.Table("orders", "orders", List.of("id"),
        java.util.Set.of(), Map.of(), null));
    assertThat(c.verify().options()).isEqualTo(dev.tandem.comparator.db.VerifyOptions.DEFAULT);
    assertThat(c.verify().readiness()).isEqualTo(dev.tandem.comparator.db.CutoverVerdict.Readiness.DEFAULT);
    assertThat(c.verify().schedule()).isNull();
    assertThat(c.idempotency().store().isMemory()).isTrue();
    assertThat(c.idempotency().prefix()).isEqualTo("idempotency:");
    assertThat(c.deadLetters().store()).isEqualTo("file");
  }

  @Test
  @DisplayName("a bare configuration gets the documented defaults")
  void defaults() throws Exception {
    TandemConfig c = load(MINIMAL);
    assertThat(c.server().host()).isEqualTo("0.0.0.0");
    assertThat(c.server().port()).isEqualTo(8080);
    assertThat(c.admin().host()).isEqualTo("127.0.0.1");
    assertThat(c.admin().port()).isEqualTo(8081);
    assertThat(c.admin().hasTokens()).isFalse();
    assertThat(c.routes().get(0).match().pathPrefix()).isEqualTo("/");
    BackendConfig legacy = c.backend("legacy");
    assertThat(legacy.timeout()).isEqualTo(BackendConfig.DEFAULT_TIMEOUT);
    assertThat(legacy.hostHeader()).isEqualTo("preserve");
    assertThat(c.comparator()).isEqualTo(StoreConfig.memory());
  }

  @Test
  @DisplayName("a backend can be a mapping with timeouts, pool size and host header")
  void backendObject() throws Exception {
    TandemConfig c = load("""
        backends:
          legacy: { url: "https://legacy.internal/api/", timeout: 2s, connectTimeout: 250ms,
                    maxConnections: 16, hostHeader: rewrite }
        routes: [ { name: r, primary: legacy } ]
        """);
    BackendConfig b = c.backend("legacy");
    assertThat(b.ssl()).isTrue();
    assertThat(b.port()).isEqualTo(443);
    assertThat(b.basePath()).isEqualTo("/api");
    assertThat(b.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(b.connectTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(b.maxConnections()).isEqualTo(16);
    assertThat(b.hostHeader()).isEqualTo("rewrite");
    assertThat(b.authority()).isEqualTo("legacy.internal");
  }

  @Test
  @DisplayName("${VAR} and ${VAR:-default} expand; $$ is a dollar; an unset variable is a warning")
  void environment() throws Exception {
    LoadedConfig loaded = loader.parse("""
        server: { port: "${PORT:-9090}" }
        admin: { token: "${MISSING_TOKEN}" }
        backends:
          legacy: ${LEGACY_URL}
          other: ${EMPTY:-http://127.0.0.1:1234}
        routes:
          - name: default
            primary: legacy
            match: { pathPrefix: "/price$$" }
        """, "env.yaml");
    TandemConfig c = loaded.config();
    assertThat(c.server().port()).isEqualTo(9090);
    assertThat(c.backend("legacy").host()).isEqualTo("10.0.0.5");
    assertThat(c.backend("other").port()).isEqualTo(1234);
    assertThat(c.routes().get(0).match().pathPrefix()).isEqualTo("/price$");
    assertThat(c.admin().hasTokens()).isFalse();
    assertThat(loaded.warnings()).extracting(ConfigError::toString)
        .containsExactly("admin.token: environment variable MISSING_TOKEN is not set");
  }

  @Test
  @DisplayName("a weight over 100 is reported with its key path and value")
  void weightOutOfRange() {
    assertThat(errors("""
        backends: { legacy: "http://127.0.0.1:9001", candidate: "http://127.0.0.1:9002" }
        routes:
          - name: default
            primary: legacy
            canary: { backend: candidate, weight: 140 }
        """)).containsExactly("routes[0].canary.weight: must be between 0 and 100, got 140");
  }

  @Test
  @DisplayName("HTTP/2 and gRPC keys: defaults, backend protocols, gRPC matches, and what is refused")
  void http2AndGrpc() throws Exception {
    TandemConfig d = load(MINIMAL);
    assertThat(d.server().http2()).isEqualTo(Http2Config.defaults(EdgeLimits.DEFAULT_MAX_HEADER_BYTES));
    assertThat(d.server().http2().upgrade()).as("h2c upgrade off by default").isFalse();
    assertThat(d.backends().get("legacy").protocol()).isEqualTo(BackendConfig.HTTP1);
    TandemConfig c = load("""
        server: { http2: { cleartext: { upgrade: true }, maxConcurrentStreams: 50, initialWindowSize: 1MB } }
        backends:
          legacy: { url: "http://127.0.0.1:9001", protocol: h2c }
          secure: { url: "https://orders:443", protocol: h2 }
        routes:
          - name: create
            match: { grpcService: orders.v1.Orders, grpcMethod: CreateOrder }
            primary: legacy
            mirror: { backend: secure }
        """);
    assertThat(c.server().http2().upgrade()).isTrue();
    assertThat(c.server().http2().maxConcurrentStreams()).isEqualTo(50);
    assertThat(c.server().http2().initialWindowSize()).isEqualTo(1024 * 1024);
    assertThat(c.routes().get(0).match().pathPrefix()).isEqualTo("/orders.v1.Orders/CreateOrder");
    assertThat(c.backends().get("secure").protocol()).isEqualTo(BackendConfig.H2);
    assertThat(errors("""
        server: { http2: { initialWindowSize: 1KB, maxHeaderListSize: 10 } }
        backends:
          legacy: { url: "http://127.0.0.1:9001", protocol: h2 }
          other: { url: "https://x:443", protocol: h3 }
          plain: http://127.0.0.1:9002
        routes:
          - { name: a, match: { grpcService: "orders v1", pathPrefix: /x }, primary: legacy }
          - { name: b, match: { grpcMethod: Create }, primary: legacy }
          - { name: c, match: { grpcService: orders.v1.Orders }, primary: plain, mirror: { backend: plain } }
        """)).contains(
        "server.http2.initialWindowSize: must be between 16KB and 2147483647 bytes, got 1024",
        "server.http2.maxHeaderListSize: must be at least 1KB, got 10",
        "backends.legacy.protocol: h2 is HTTP/2 over TLS and needs an https:// URL; for cleartext HTTP/2 say h2c",
        "routes[0].match.grpcService: must be a fully qualified service name such as orders.v1.Orders, got 'orders v1'",
        "routes[0].match.pathPrefix: cannot be given with grpcService, which sets the path (/orders v1/...)",
        "routes[1].match.grpcMethod: needs grpcService, the service the method belongs to",
        "routes[2].primary: backend 'plain' is spoken to in HTTP/1.1, but the route matches gRPC (grpcService),"
            + " which needs HTTP/2: give the backend protocol: h2c (or h2)",
        "routes[2].mirror.backend: backend 'plain' is spoken to in HTTP/1.1, but the route matches gRPC"
            + " (grpcService), which needs HTTP/2: give the backend protocol: h2c (or h2)")
        .anyMatch(e -> e.startsWith("backends.other.protocol: "));
  }

  @Test
  @DisplayName("every problem in the file is reported at once")
  void allProblemsAtOnce() {
    List<String> errors = errors("""
        server: { port: 70000, idleTimeout: 10 }
        admin: { port: abc }
        backends:
          legacy: ftp://127.0.0.1:9001
          candidate: http://127.0.0.1:9002
        routes:
          - name: default
            primary: legacyy
            canary: { backend: candidate, weight: 12.345 }
            mirror: { backend: nowhere, percent: -1 }
          - name: default
            primery: legacy
            match: { pathPrefix: api, methods: [GET, FETCH] }
        idempotency: { store: redis }
        comparator: { store: mysql }
        """);
    assertThat(errors).containsExactlyInAnyOrder(
        "server.port: must be between 0 and 65535, got 70000",
        "server.idleTimeout: needs a unit, e.g. '10ms' or '10s'",
        "admin.port: must be a whole number, got 'abc'",
        "backends.legacy: must be an http:// or https:// URL, got 'ftp://127.0.0.1:9001'",
        "routes[0].primary: unknown backend 'legacyy' (known: candidate)",
        "routes[0].canary.weight: must have at most two decimals, got 12.345",
        "routes[0].mirror.backend: unknown backend 'nowhere' (known: candidate)",
        "routes[0].mirror.percent: must be between 0 and 100, got -1",
        "routes[1].name: route 'default' is defined twice; route names must be unique",
        "routes[1].primary: is required",
        "routes[1].primery: unknown key (did you mean 'primary'?)",
        "routes[1].match.pathPrefix: must start with '/', got 'api'",
        "routes[1].match.methods: unknown HTTP method 'FETCH'",
        "idempotency.redis: is required when store is redis (a URL such as redis://127.0.0.1:6379)",
        "comparator.store: must be one of memory, postgres, got 'mysql'");
  }

  @Test
  @DisplayName("server.shutdown: no delay and 30s by default; a delay as long as the deadline, or no deadline, is named")
  void shutdown() throws Exception {
    assertThat(load(MINIMAL).server().shutdown()).isEqualTo(ServerConfig.Shutdown.DEFAULT);
    var s = load(MINIMAL + "server: { shutdown: { delay: 5s, timeout: 40s } }\n").server().shutdown();
    assertThat(s.delay()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(s.timeout()).isEqualTo(java.time.Duration.ofSeconds(40));
    assertThat(errors(MINIMAL + "server: { shutdown: { delay: 30s } }\n"))
        .containsExactly("server.shutdown.delay: must be shorter than shutdown.timeout (30s), got 30s");
    assertThat(errors(MINIMAL + "server: { shutdown: { timeout: 0s, grace: 1s } }\n")).containsExactlyInAnyOrder(
        "server.shutdown.timeout: must be more than 0s, got 0s", "server.shutdown.grace: unknown key");
  }

  @Test
  @DisplayName("a misspelt top-level key is named with a suggestion")
  void unknownTopLevelKey() {
    assertThat(errors(MINIMAL + "routs: []\n")).containsExactly("routs: unknown key (did you mean 'routes'?)");
  }

  @Test
  @DisplayName("a configuration without backends or routes says what is missing")
  void missingSections() {
    assertThat(errors("server: { port: 8080 }\n")).containsExactlyInAnyOrder(
        "backends: at least one backend is required, e.g. 'legacy: http://127.0.0.1:9001'",
        "routes: at least one route is required");
  }

  @Test
  @DisplayName("wrong shapes are named: a list where a mapping belongs, a mapping where a value belongs")
  void wrongShapes() {
    assertThat(errors("""
        server: [8080]
        backends: { legacy: "http://127.0.0.1:9001" }
        routes:
          - name: { a: b }
            primary: legacy
          - just-a-string
        """)).containsExactlyInAnyOrder(
        "server: must be a mapping of keys to values, got a list",
        "routes[0].name: must be a single value, got a mapping",
        "routes[1]: must be a mapping of keys to values, got 'just-a-string'",
        "routes[1].name: is required",
        "routes[1].primary: is required");
  }

  @Test
  @DisplayName("invalid YAML is reported with line and column")
  void invalidYaml() {
    assertThat(errors("backends:\n  legacy: [unclosed\nroutes: x\n")).singleElement().asString()
        .startsWith("test.yaml:").contains("not valid YAML");
  }

  @Test
  @DisplayName("an empty file and a non-mapping file are rejected")
  void emptyAndScalar() {
    assertThat(errors("")).containsExactly("test.yaml: is empty");
    assertThat(errors("just text")).containsExactly("test.yaml: must be a mapping of keys to values at the top level");
  }

  @Test
  @DisplayName("a missing file is named")
  void missingFile(@TempDir Path dir) {
    ConfigException e = assertThrows(ConfigException.class, () -> loader.load(dir.resolve("nope.yaml")));
    assertThat(e.errors()).extracting(ConfigError::toString).containsExactly(dir.resolve("nope.yaml") + ": no such file");
  }

  @Test
  @DisplayName("a file on disk loads")
  void fromFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("tandem.yaml");
    Files.writeString(f, MINIMAL);
    assertThat(loader.load(f).config().routes()).hasSize(1);
  }

  @Test
  @DisplayName("admin tokens: named callers, no duplicates, no short tokens; admin and data ports must differ")
  void adminRules() throws Exception {
    TandemConfig c = load(MINIMAL + "admin: { tokens: { ci: ci-token-123, alice: alice-token-456 } }\n");
    assertThat(c.admin().tokens()).containsOnlyKeys("ci", "alice");
    assertThat(errors(MINIMAL + "admin: { tokens: { ci: same-token-1, bob: same-token-1 } }\n"))
        .containsExactly("admin.tokens.bob: the same token is given to two callers; each caller needs its own");
    assertThat(errors(MINIMAL + "admin: { token: short }\n"))
        .containsExactly("admin.token: is shorter than 8 characters; use a long random value");
    assertThat(errors(MINIMAL + "server: { port: 9000 }\nadmin: { port: 9000 }\n"))
        .containsExactly("admin.port: must differ from server.port (9000)");
  }

  @Test
  @DisplayName("admin.trafficHistory: a sample every 5 s, 180 kept (15 minutes) by default; bounds named")
  void trafficHistory() throws Exception {
    assertThat(load(MINIMAL).admin().trafficHistory()).isEqualTo(AdminConfig.TrafficHistory.DEFAULT);
    assertThat(AdminConfig.TrafficHistory.DEFAULT.interval().multipliedBy(AdminConfig.TrafficHistory.DEFAULT.points()))
        .isEqualTo(java.time.Duration.ofMinutes(15));
    assertThat(load(MINIMAL + "admin: { trafficHistory: { interval: 1s, points: 900 } }\n").admin().trafficHistory())
        .isEqualTo(new AdminConfig.TrafficHistory(java.time.Duration.ofSeconds(1), 900));
    assertThat(errors(MINIMAL + "admin: { trafficHistory: { interval: 2h, points: 0, every: 1s } }\n"))
        .anyMatch(e -> e.startsWith("admin.trafficHistory.interval: must be from 10ms to 1h"))
        .anyMatch(e -> e.startsWith("admin.trafficHistory.points: "))
        .anyMatch(e -> e.startsWith("admin.trafficHistory.every: "));
  }

  @Test
  @DisplayName("store URLs must match their store; verify needs PostgreSQL URLs and table keys")
  void storesAndVerify() {
    assertThat(errors(MINIMAL + """
        idempotency: { store: redis, redis: "http://x" }
        comparator: { store: postgres }
        verify:
          primary: mysql://x
          shadow: postgresql://postgres@127.0.0.1/shadow
          tables: [ { name: orders } ]
        """)).containsExactlyInAnyOrder(
        "idempotency.redis: must be a URL such as redis://127.0.0.1:6379, got 'http://x'",
        "comparator.postgres: is required when store is postgres (a URL such as "
            + "postgresql://postgres@127.0.0.1:5432/tandem)",
        "verify.primary: must be a PostgreSQL URL such as postgresql://postgres@127.0.0.1:5432/legacy, got 'mysql://x'",
        "verify.tables[0].key: is required: the columns that identify a row, e.g. [id]");
  }

  @Test
  @DisplayName("a canary can express every NGINX ingress canary annotation, sticky users and a declared rollout")
  void canaryOptions() throws Exception {
    LoadedConfig loaded = loader.parse("""
        backends: { legacy: "http://127.0.0.1:9001", candidate: "http://127.0.0.1:9002" }
        routes:
          - name: default
            primary: legacy
            canary:
              backend: candidate
              weight: 30            # canary-weight
              weightTotal: 200      # canary-weight-total: 30 of 200 is 15%
              header: X-Region      # canary-by-header
              headerValue: eu       # canary-by-header-value
              headerPattern: "^eu-" # canary-by-header-pattern
              cookie: beta          # canary-by-cookie
              matchHeaders: { X-User-Group: "^beta-" }
              sticky: { header: X-User-Id, cookie: tc, maxAge: 1d }
              backendHeader: X-Tandem-Backend
              rollout: { steps: [5, 50, 100], interval: 2m, gates: { maxP99Ratio: 2, minRequests: 10 } }
        state: { store: file, file: /tmp/s.json }
        """, "t.yaml");
    assertThat(loaded.warnings()).isEmpty();
    CanaryConfig c = loaded.config().routes().get(0).canary();
    assertThat(c.weight()).isEqualTo(15.0);
    assertThat(c.header()).isEqualTo("X-Region");
    assertThat(c.headerValue()).isEqualTo("eu");
    assertThat(c.headerPattern().pattern()).isEqualTo("^eu-");
    assertThat(c.cookie()).isEqualTo("beta");
    assertThat(c.matchHeaders()).containsOnlyKeys("X-User-Group");
    assertThat(c.sticky()).isEqualTo(new CanaryConfig.Sticky("X-User-Id", "tc", java.time.Duration.ofDays(1)));
    assertThat(c.backendHeader()).isEqualTo("X-Tandem-Backend");
    assertThat(c.rollout().steps()).containsExactly(5.0, 50.0, 100.0);
    assertThat(c.rollout().gates()).isEqualTo(new RolloutConfig.Gates(1.0, 2.0, 5.0, 10));
    assertThat(loaded.config().state()).isEqualTo(new StateConfig("file", "/tmp/s.json", null, "tandem:"));
  }

  @Test
  @DisplayName("canary mistakes are reported with their key: weight, regex, steps, state")
  void canaryProblems() {
    assertThat(errors("""
        backends: { legacy: "http://127.0.0.1:9001" }
        routes:
          - name: default
            primary: legacy
            canary:
              backend: legacy
              weight: 140
              headerPattern: "(["
              sticky: { cookie: "bad name" }
              rollout: { steps: [50, 10], gates: { minRequests: -1 } }
        state: redis
        """)).containsExactlyInAnyOrder(
        "routes[0].canary.weight: must be between 0 and 100, got 140",
        "routes[0].canary.headerPattern: is not a valid regex: Unclosed character class",
        "routes[0].canary.sticky.cookie: is not a valid cookie name, got 'bad name'",
        "routes[0].canary.rollout.steps: must go up, got 10 after 50",
        "routes[0].canary.rollout.gates.minRequests: must be between 0 and 2147483647, got -1",
        "state: 'state: redis' uses idempotency.redis, which is not set; write state: { store: redis, redis: "
            + "redis://host:6379 }");
  }

  @Test
  @DisplayName("mirror options load: several shadows, filters, sizes, timing, headers")
  void mirrorOptions() throws Exception {
    TandemConfig c = load("""
        backends: { legacy: "http://127.0.0.1:9001", a: "http://127.0.0.1:9002", b: "http://127.0.0.1:9003" }
        routes:
          - name: default
            primary: legacy
            mirror:
              shadows: [ { backend: a, rateLimit: 50 }, { backend: b, timeout: 1s, maxInFlight: 8 } ]
              percent: 12.5
              methods: [get, post]
              excludePaths: ["^/health"]
              maxBodyBytes: 64KB
              send: afterPrimary
              afterStatus: [2xx, 304]
              stripHeaders: [Authorization]
              setHeaders: { X-Env: shadow }
        idempotency: { store: redis, redis: "redis://127.0.0.1:6379", ttl: 30m, key: "{header:X-User-Id}:{path}",
                       onStoreDown: failOpen, prefix: "idem:" }
        deadLetters: { store: redis, redis: "redis://127.0.0.1:6379" }
        """);
    MirrorConfig m = c.routes().get(0).mirror();
    assertThat(m.shadows()).extracting(MirrorConfig.Shadow::backend).containsExactly("a", "b");
    assertThat(m.shadows().get(0).rateLimit()).isEqualTo(50);
    assertThat(m.shadows().get(1).timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(m.shadows().get(1).maxInFlight()).isEqualTo(8);
    assertThat(m.methods()).containsExactlyInAnyOrder("GET", "POST");
    assertThat(m.maxBodyBytes()).isEqualTo(64 * 1024);
    assertThat(m.send()).isEqualTo(MirrorConfig.SEND_AFTER_PRIMARY);
    assertThat(m.afterStatus()).containsExactly("2xx", "304");
    assertThat(m.setHeaders()).containsEntry("X-Env", "shadow");
    assertThat(c.idempotency().failOpen()).isTrue();
    assertThat(c.idempotency().ttl()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.deadLetters().stream()).isEqualTo(DeadLetterConfig.DEFAULT_STREAM);
  }

  @Test
  @DisplayName("bad mirror, idempotency and dead-letter settings are named")
  void mirrorErrors() {
    assertThat(errors("""
        backends: { legacy: "http://127.0.0.1:9001", a: "http://127.0.0.1:9002" }
        routes:
          - name: default
            primary: legacy
            mirror:
              backend: a
              shadows: [ { backend: a } ]
              excludePaths: ["(unclosed"]
              maxBodyBytes: lots
              send: later
              afterStatus: [ok]
              rateLimit: -1
        idempotency: { key: "{user}", onStoreDown: maybe }
        deadLetters: { store: redis }
        """)).containsExactlyInAnyOrder(
        "routes[0].mirror.backend: give either backend or shadows, not both",
        "routes[0].mirror.excludePaths: '(unclosed' is not a valid regular expression: Unclosed group",
        "routes[0].mirror.maxBodyBytes: must be a size such as 65536, 64KB or 1MB, got 'lots'",
        "routes[0].mirror.send: must be one of auto, immediate, afterPrimary, got 'later'",
        "routes[0].mirror.afterStatus: must list statuses such as 201 or classes such as 2xx, got 'ok'",
        "routes[0].mirror.rateLimit: must be a number of 0 or more, got -1",
        "idempotency.key: unknown field {user}; known: {method}, {path}, {header:NAME}, {json:/pointer}, {bodyHash},"
            + " {timeBucket:DURATION}",
        "idempotency.onStoreDown: must be one of failClosed, failOpen, got 'maybe'",
        "deadLetters.redis: is required when store is redis (a URL such as redis://127.0.0.1:6379)");
  }

  @Test
  @DisplayName("capture: defaults off with gzip and bounded queue; every key read; mistakes named by key")
  void capture() throws Exception {
    TandemConfig off = load("""
        backends: { legacy: http://127.0.0.1:9001 }
        routes: [ { name: r, primary: legacy } ]
        """);
    assertThat(off.capture().enabled()).isFalse();
    assertThat(off.capture().gzip()).isTrue();
    assertThat(off.capture().queue()).isEqualTo(CaptureConfig.DEFAULT_QUEUE);
    TandemConfig on = load("""
        backends: { legacy: http://127.0.0.1:9001 }
        routes: [ { name: r, primary: legacy } ]
        capture:
          enabled: true
          dir: /var/lib/tandem/captures
          percent: 12.5
          routes: [ r ]
          maxBodyBytes: 2MB
          file: { maxBytes: 64MB, maxAge: 15m, maxFiles: 10, gzip: false }
          queue: { records: 500, bytes: 8MB }
          redact: { headers: [X-Session], query: [token], json: [/card/number] }
        """);
    CaptureConfig c = on.capture();
    assertThat(c.percent()).isEqualTo(12.5);
    assertThat(c.routes()).containsExactly("r");
    assertThat(c.maxBodyBytes()).isEqualTo(2L * 1024 * 1024);
    assertThat(c.maxFileAge()).isEqualTo(java.time.Duration.ofMinutes(15));
    assertThat(c.maxFiles()).isEqualTo(10);
    assertThat(c.gzip()).isFalse();
    assertThat(c.queue()).isEqualTo(500);
    assertThat(c.redactHeaders()).contains("x-session", "authorization", "cookie");
    assertThat(c.redactQuery()).containsExactly("token");
    assertThat(errors("""
        backends: { legacy: http://127.0.0.1:9001 }
        routes: [ { name: r, primary: legacy } ]
        capture: { percent: 140, routes: [ nope ], file: { maxBytes: 10, size: 1 }, queue: { records: 0 } }
        """)).anyMatch(e -> e.startsWith("capture.percent: must be between 0 and 100"))
        .anyMatch(e -> e.startsWith("capture.routes: unknown route 'nope'"))
        .anyMatch(e -> e.startsWith("capture.file.maxBytes: must be at least 4KB"))
        .anyMatch(e -> e.startsWith("capture.file.size: unknown key"))
        .anyMatch(e -> e.startsWith("capture.queue.records: must be between 1"));
  }

  @Test
  @DisplayName("verify: renames, transforms, ignored columns, updatedAt, options, schedule and readiness are read;"
      + " mistakes named by key")
  void verify() throws Exception {
    TandemConfig c = load("""
        backends: { legacy: http://127.0.0.1:9001 }
        routes: [ { name: r, primary: legacy } ]
        verify:
          primary: postgresql://postgres@127.0.0.1:5432/legacy
          shadow: postgresql://postgres@127.0.0.1:5432/shadow
          chunkSize: 5000
          settle: 5s
          schedule: 10m
          nullEqualsEmpty: true
          readiness: { minSyncPercent: 99.5, maxDivergentRows: 2, cleanRuns: 5, maxResponseDiffRate: 0.5 }
          tables:
            - name: orders
              shadow: orders_v2
              key: [id]
              ignore: [version]
              columns:
                customer: { shadow: customer_name }
                total: { shadow: "total_cents / 100.0" }
              updatedAt: { primary: updated_at, shadow: modified_at }
            - { name: sales.lines, key: [order_id, line], updatedAt: changed }
        """);
    VerifyConfig v = c.verify();
    assertThat(v.options().chunkSize()).isEqualTo(5000);
    assertThat(v.options().settle()).isEqualTo(java.time.Duration.ofSeconds(5));
    assertThat(v.options().nullEqualsEmpty()).isTrue();
    assertThat(v.schedule()).isEqualTo(java.time.Duration.ofMinutes(10));
    assertThat(v.readiness().cleanRuns()).isEqualTo(5);
    var orders = v.specs().get(0);
    assertThat(orders.shadowTable()).isEqualTo("orders_v2");
    assertThat(orders.shadowExprs()).containsEntry("customer", "customer_name").containsEntry("total",
        "total_cents / 100.0");
    assertThat(orders.ignore()).containsExactly("version");
    assertThat(orders.updatedAt()).isEqualTo(new dev.tandem.comparator.db.TableSpec.UpdatedAt("updated_at",
        "modified_at"));
    assertThat(v.specs().get(1).updatedAt()).isEqualTo(new dev.tandem.comparator.db.TableSpec.UpdatedAt("changed",
        "changed"));
    assertThat(errors("""
        backends: { legacy: http://127.0.0.1:9001 }
        routes: [ { name: r, primary: legacy } ]
        verify:
          primary: mysql://x
          shadow: postgresql://postgres@127.0.0.1:5432/shadow
          chunkSize: 5
          tables:
            - { name: "orders; drop", key: [] , columns: { total: {} } }
        """)).anyMatch(e -> e.startsWith("verify.primary: must be a PostgreSQL URL"))
        .anyMatch(e -> e.startsWith("verify.chunkSize: must be between 100"))
        .anyMatch(e -> e.startsWith("verify.tables[0].name: must be a table name"))
        .anyMatch(e -> e.startsWith("verify.tables[0].key: is required"))
        .anyMatch(e -> e.startsWith("verify.tables[0].columns.total: give shadow:"));
  }

  @Test
  @DisplayName("effects: probes need a compared mirror and verify's databases; parameters are checked against the"
      + " query's $n; shadow parameters default to each side's own answer")
  void effects() throws Exception {
    TandemConfig c = load("""
        backends: { legacy: http://127.0.0.1:9001, candidate: http://127.0.0.1:9002 }
        routes:
          - name: orders
            primary: legacy
            mirror: { backend: candidate, compare: true }
            effects:
              probes:
                - { name: order, methods: [POST], path: ^/orders$, sql: "SELECT * FROM orders WHERE id = $1",
                    params: [ "primary.json:/id" ] }
        verify: { primary: postgresql://h/legacy, shadow: postgresql://h/shadow, tables: [ { name: orders, key: [id] } ] }
        """);
    EffectsConfig e = c.routes().get(0).effects();
    assertThat(e.settle()).isEqualTo(EffectsConfig.DEFAULT_SETTLE);
    assertThat(e.probes().get(0).shadowParams()).containsExactly("shadow.json:/id");
    assertThat(e.probes().get(0).shadowSql()).isEqualTo("SELECT * FROM orders WHERE id = $1");
    assertThat(errors("""
        backends: { legacy: http://127.0.0.1:9001 }
        routes:
          - name: orders
            primary: legacy
            effects:
              probes:
                - { name: order, sql: "SELECT * FROM orders WHERE id = $1 AND x = $2", params: [ "body:/id" ] }
        """)).anyMatch(x -> x.startsWith("routes[0].effects: compares what the request wrote on both sides"))
        .anyMatch(x -> x.startsWith("routes[0].effects: reads each side's database: it needs verify"))
        .anyMatch(x -> x.startsWith("routes[0].effects.probes[0].params: [0] 'body:/id' is not a parameter source"))
        .anyMatch(x -> x.startsWith("routes[0].effects.probes[0].params: the query uses 2 parameter(s)"));
  }

  @Test
  @DisplayName("the edge's limits default to values safe for an internet-facing listener, and can be set")
  void edgeLimits() throws Exception {
    EdgeLimits d = load(MINIMAL).server().limits();
    assertThat(d).isEqualTo(EdgeLimits.DEFAULT);
    assertThat(d.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(load(MINIMAL).routes().get(0).maxBodyBytes()).isEqualTo(100L * 1024 * 1024);
    TandemConfig c = load("""
        server: { headerTimeout: 2s, bodyTimeout: 5s, minBodyRate: 1KB, maxHeaderBytes: 16KB, maxHeaderCount: 50,
                  maxUriLength: 2KB, maxConnections: 500, maxBodyBytes: 10MB, contentLengthWithChunked: chunked,
                  headersWithUnderscores: keep, requestBufferBytes: 16MB,
                  requestBufferTimeout: 7s }
        backends: { legacy: http://127.0.0.1:9001 }
        routes:
          - { name: small, primary: legacy }
          - { name: big, primary: legacy, maxBodyBytes: 2GB }
          - { name: held, primary: legacy, maxBodyBytes: 1MB, requestBuffering: true }
        """);
    EdgeLimits l = c.server().limits();
    assertThat(l).isEqualTo(new EdgeLimits(Duration.ofSeconds(2), Duration.ofSeconds(5), 1024, 16 * 1024, 50, 2048,
        500, 10L * 1024 * 1024, true, true, 16L * 1024 * 1024, Duration.ofSeconds(7)));
    assertThat(c.routes().get(0).maxBodyBytes()).isEqualTo(10L * 1024 * 1024);
    assertThat(c.routes().get(0).requestBuffering()).isFalse();
    assertThat(c.routes().get(1).maxBodyBytes()).isEqualTo(2L * 1024 * 1024 * 1024);
    assertThat(c.routes().get(2).requestBuffering()).isTrue();
    assertThat(load(MINIMAL).server().limits().requestBufferBytes()).isEqualTo(64L * 1024 * 1024);
    assertThat(errors("""
        backends: { legacy: http://127.0.0.1:9001 }
        routes: [ { name: all, primary: legacy, requestBuffering: true } ]
        """)).containsExactly("routes[0].requestBuffering: holds a whole body of up to maxBodyBytes (104857600 bytes)"
        + " in memory, more than server.requestBufferBytes (67108864) allows for all of them: lower the route's"
        + " maxBodyBytes or raise server.requestBufferBytes");
  }

  @Test
  @DisplayName("bad edge and TLS settings are named with their keys")
  void edgeAndTlsProblems(@TempDir Path dir) throws Exception {
    Path pem = Files.writeString(dir.resolve("x.pem"), "not really");
    assertThat(errors("""
        server:
          headerTimeout: 0s
          contentLengthWithChunked: sometimes
          maxHeaderCount: 3
          tls: { cert: /no/such/cert.pem, clientAuth: required, protocols: [SSLv3] }
        admin: { tls: { keyStore: { password: x } } }
        backends:
          plain: { url: "http://127.0.0.1:9001", tls: { ca: "%s" } }
          secure: { url: "https://127.0.0.1:9443", tls: { clientCert: "%s" } }
        routes: [ { name: default, primary: plain } ]
        """.formatted(pem, pem))).containsExactlyInAnyOrder(
        "server.headerTimeout: must be longer than 0",
        "server.contentLengthWithChunked: must be one of reject, chunked, got 'sometimes'",
        "server.maxHeaderCount: must be between 8 and 10000, got 3",
        "server.tls.cert: no such file: /no/such/cert.pem",
        "server.tls.key: is required (the PEM private key of cert)",
        "server.tls.protocols: 'SSLv3' is not supported; use TLSv1.2 and/or TLSv1.3",
        "server.tls.clientCa: is required with clientAuth: required (the PEM CA that client certificates must chain"
            + " to)",
        "admin.tls.keyStore.path: is required",
        "backends.plain.tls: only applies to an https:// URL; change the backend's url to https://...",
        "backends.secure.tls.clientKey: is required with clientCert");
  }

  @Test
  @DisplayName("verify: false on a backend loads, with a warning")
  void unverifiedBackendWarns() throws Exception {
    LoadedConfig loaded = loader.parse("""
        backends: { legacy: { url: "https://127.0.0.1:9443", tls: { verify: false } } }
        routes: [ { name: default, primary: legacy } ]
        """, "test.yaml");
    assertThat(loaded.config().backend("legacy").tls().verify()).isFalse();
    assertThat(loaded.warnings()).extracting(ConfigError::toString).containsExactly("backends.legacy.tls.verify:"
        + " false: any certificate is accepted, so anyone on the path can pose as this backend");
  }

  @Test
  @DisplayName("a rollout's metric gates are PromQL with bounds, asked of rollout.prometheus; mistakes are named")
  void metricGates() throws Exception {
    TandemConfig c = load("""
        backends: { legacy: http://127.0.0.1:9001, candidate: http://127.0.0.1:9002 }
        routes:
          - name: orders
            primary: legacy
            canary:
              backend: candidate
              rollout:
                steps: [10, 100]
                gates:
                  metrics:
                    - { name: errors, query: 'sum(rate(x{route="{{route}}"}[{{interval}}]))', max: 0.01 }
                    - { name: traffic, query: 'sum(y)', min: 1 }
                    - { query: 'sum(z)', max: 5 }
        rollout: { prometheus: "http://prometheus:9090", timeout: 3s }
        """);
    assertThat(c.rollout()).isEqualTo(new RolloutSettings("http://prometheus:9090", Duration.ofSeconds(3)));
    assertThat(c.routes().get(0).canary().rollout().gates().metrics()).containsExactly(
        new RolloutConfig.MetricGate("errors", "sum(rate(x{route=\"{{route}}\"}[{{interval}}]))", null, 0.01),
        new RolloutConfig.MetricGate("traffic", "sum(y)", 1.0, null),
        new RolloutConfig.MetricGate("metric-3", "sum(z)", null, 5.0));
    assertThat(errors("""
        backends: { legacy: http://127.0.0.1:9001, candidate: http://127.0.0.1:9002 }
        routes:
          - name: orders
            primary: legacy
            canary:
              backend: candidate
              rollout:
                steps: [10]
                gates: { metrics: [ { name: a, query: 'q' }, { name: a, query: 'q', min: 2, max: 1 }, { max: x },
                                     { name: '', query: 'q', max: 1 } ] }
        """)).containsExactlyInAnyOrder(
        "routes[0].canary.rollout.gates.metrics[0]: gives no bound: add max (the value must stay at or below it)"
            + " and/or min",
        "routes[0].canary.rollout.gates.metrics[1].name: metric gate 'a' is defined twice",
        "routes[0].canary.rollout.gates.metrics[1].min: must not be above max (1.0), got 2.0",
        "routes[0].canary.rollout.gates.metrics[3].name: must not be empty (without a name the gate is called"
            + " metric-4)",
        "routes[0].canary.rollout.gates.metrics[2].query: is required",
        "routes[0].canary.rollout.gates.metrics[2].max: must be a number, got 'x'",
        "routes[0].canary.rollout.gates.metrics: query Prometheus: set rollout: { prometheus:"
            + " http://prometheus:9090 }");
  }
}
