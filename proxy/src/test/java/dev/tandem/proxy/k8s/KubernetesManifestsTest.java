package dev.tandem.proxy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tandem.proxy.cli.TandemCommand;
import dev.tandem.proxy.cli.Version;
import dev.tandem.proxy.config.BackendConfig;
import dev.tandem.proxy.config.CanaryConfig;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.LoadedConfig;
import dev.tandem.proxy.config.MirrorConfig;
import dev.tandem.proxy.config.RolloutConfig;
import dev.tandem.proxy.config.RouteConfig;
import dev.tandem.proxy.config.TandemConfig;
import dev.tandem.testkit.TestServices;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manifests under k8s/ render with {@code kubectl kustomize}, every object is valid against the Kubernetes (and
 * Prometheus operator) schemas offline, what they say agrees with the Tandem configuration they carry, and each
 * migration phase configures what its name promises.
 */
class KubernetesManifestsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path K8S = ROOT.resolve("k8s");
  /** Where the validator's npm packages are installed: build output, never the source tree. */
  private static final Path VALIDATOR = Path.of("target", "k8s-validate").toAbsolutePath();
  private static final List<String> PHASES = List.of("base", "overlays/shadow", "overlays/canary", "overlays/rollout",
      "overlays/cutover");
  private static final List<String> DIRS = Stream.concat(PHASES.stream(),
      Stream.of("shared", "migration", "jobs/replay", "jobs/verify-db")).toList();
  /** Beyond the drain's deadline, what Draining allows Vert.x's close (5 s) and the JVM's exit. */
  private static final int AFTER_DRAIN_SECONDS = 10;
  private static final String TEST_TOKEN = "a-k8s-admin-token-for-tests";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();

  private static final Map<String, List<JsonNode>> RENDERED = new HashMap<>();
  private static boolean validatorInstalled;

  static List<String> dirs() {
    return DIRS;
  }

  static List<String> phases() {
    return PHASES;
  }

  @Test
  @DisplayName("every kustomization under k8s/ is one this test renders")
  void everyKustomizationIsCovered() throws IOException {
    List<String> found;
    try (Stream<Path> walk = Files.walk(K8S)) {
      found = walk.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
          .filter(p -> !p.toString().contains("node_modules"))
          .map(p -> K8S.relativize(p.getParent()).toString().replace('\\', '/')).sorted().toList();
    }
    assertThat(found).containsExactlyInAnyOrderElementsOf(DIRS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dirs")
  @DisplayName("renders with kubectl kustomize, and every object is valid against the API schemas")
  void rendersValidObjects(String dir) throws Exception {
    List<JsonNode> objects = render(dir);
    assertThat(objects).as(dir).isNotEmpty();
    assertThat(validate(objects)).as("schema problems in k8s/" + dir).isEmpty();
  }

  @Test
  @DisplayName("the validator rejects a misspelled field, a wrong type, a missing required field and an unknown kind")
  void validatorRejectsBadObjects() throws Exception {
    ObjectNode misspelled = deployment(render("base")).deepCopy();
    ((ObjectNode) misspelled.at("/spec/template/spec/containers/0")).put("imagePullPolcy", "Always");
    ObjectNode wrongType = deployment(render("base")).deepCopy();
    ((ObjectNode) wrongType.at("/spec")).put("replicas", "two");
    ObjectNode missing = deployment(render("base")).deepCopy();
    ((ObjectNode) missing.at("/spec")).remove("selector");
    ObjectNode monitor = object(render("base"), "ServiceMonitor").deepCopy();
    ((ObjectNode) monitor.at("/spec/endpoints/0")).put("scrapeEvery", "30s");
    ObjectNode unknownKind = JSON.createObjectNode().put("apiVersion", "apps/v1").put("kind", "Deploymnt");
    unknownKind.putObject("metadata").put("name", "x");

    assertThat(validate(List.of(misspelled))).singleElement(as(InstanceOfAssertFactories.STRING))
        .contains("/spec/template/spec/containers/0/imagePullPolcy: unknown field");
    assertThat(validate(List.of(wrongType))).singleElement(as(InstanceOfAssertFactories.STRING)).contains("/spec/replicas must be integer");
    assertThat(validate(List.of(missing))).singleElement(as(InstanceOfAssertFactories.STRING))
        .contains("/spec must have required property selector");
    assertThat(validate(List.of(monitor))).singleElement(as(InstanceOfAssertFactories.STRING))
        .contains("/spec/endpoints/0/scrapeEvery: unknown field");
    assertThat(validate(List.of(unknownKind))).singleElement(as(InstanceOfAssertFactories.STRING)).contains("not a known API object");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("phases")
  @DisplayName("the phase's tandem.yaml passes Tandem's config check with the pod's environment, every variable set")
  void configurationIsValid(String dir) throws Exception {
    Phase p = phase(dir);
    assertThat(p.loaded.warnings()).as("warnings (a ${VAR} the pod does not set?)").isEmpty();
    assertThat(p.config.routes()).isNotEmpty();
  }

  @Test
  @DisplayName("tandem proxy --check accepts the base configuration")
  void cliCheckAcceptsTheBase(@TempDir Path tmp) throws Exception {
    // In-process the CLI sees this JVM's environment, not the pod's: the base needs nothing but the token, and an
    // unset token only warns (the admin API then answers 503). The phases are checked with the pod's environment.
    Path file = tmp.resolve("tandem.yaml");
    Files.writeString(file, configMapFile(render("base"), "tandem-config"));
    var cl = TandemCommand.commandLine();
    var out = new java.io.StringWriter();
    var err = new java.io.StringWriter();
    cl.setOut(new java.io.PrintWriter(out));
    cl.setErr(new java.io.PrintWriter(err));
    assertThat(cl.execute("proxy", "--check", "--config", file.toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("OK");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("phases")
  @DisplayName("ports, probes and the Service agree with server.port and admin.port; legacy is reached on loopback")
  void portsAgreeWithTheConfiguration(String dir) throws Exception {
    Phase p = phase(dir);
    JsonNode tandem = p.tandem;
    assertThat(tandem.at("/args").toString()).isEqualTo("[\"proxy\",\"--config\",\"/etc/tandem/tandem.yaml\"]");
    assertThat(p.config.admin().host()).as("admin.host: the probes come from outside the pod").isEqualTo("0.0.0.0");
    assertThat(port(tandem, tandem.at("/readinessProbe/httpGet/port"))).isEqualTo(p.config.admin().port());
    assertThat(tandem.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
    assertThat(port(tandem, tandem.at("/livenessProbe/httpGet/port"))).isEqualTo(p.config.admin().port());
    assertThat(tandem.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");

    JsonNode service = named(p.objects, "Service", "orders");
    assertThat(port(tandem, service.at("/spec/ports/0/targetPort"))).isEqualTo(p.config.server().port());
    JsonNode monitor = object(p.objects, "ServiceMonitor");
    JsonNode adminService = p.objects.stream().filter(o -> o.path("kind").asText().equals("Service"))
        .filter(o -> o.at("/metadata/labels").equals(monitor.at("/spec/selector/matchLabels"))).findFirst().orElseThrow();
    JsonNode scraped = portNamed(adminService.at("/spec/ports"), monitor.at("/spec/endpoints/0/port").asText());
    assertThat(port(tandem, scraped.path("targetPort"))).isEqualTo(p.config.admin().port());
    assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
    assertThat(p.pod.at("/metadata/annotations/prometheus.io~1port").asText())
        .isEqualTo(String.valueOf(p.config.admin().port()));

    JsonNode legacy = container(p.pod, "legacy");
    String legacyUrl = "http://127.0.0.1:" + legacy.at("/ports/0/containerPort").asInt();
    assertThat(p.config.backends().values()).extracting(BackendConfig::url).contains(legacyUrl);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("phases")
  @DisplayName("the NetworkPolicy opens the admin port only to the named namespaces and Tandem's jobs")
  void adminPortIsClosed(String dir) throws Exception {
    Phase p = phase(dir);
    JsonNode policy = object(p.objects, "NetworkPolicy");
    assertThat(policy.at("/spec/podSelector/matchLabels")).isEqualTo(p.pod.at("/metadata/labels"));
    assertThat(policy.at("/spec/policyTypes").toString()).contains("Ingress");
    int admin = p.config.admin().port();
    List<String> adminSources = new ArrayList<>();
    boolean dataOpen = false;
    for (JsonNode rule : policy.at("/spec/ingress")) {
      List<Integer> ports = new ArrayList<>();
      rule.path("ports").forEach(port -> ports.add(port(p.tandem, port.path("port"))));
      boolean fromAnywhere = rule.path("from").isEmpty();
      if (ports.isEmpty() || ports.contains(admin)) {
        assertThat(fromAnywhere).as("a rule opens the admin port to everyone: " + rule).isFalse();
        rule.path("from").forEach(f -> {
          assertThat(f.has("ipBlock")).as("admin port open to addresses: " + f).isFalse();
          adminSources.add(f.toString());
        });
      }
      dataOpen |= fromAnywhere && ports.contains(p.config.server().port());
    }
    assertThat(dataOpen).as("the data port is open to clients").isTrue();
    assertThat(adminSources).anyMatch(s -> s.contains("\"kubernetes.io/metadata.name\":\"monitoring\""))
        .anyMatch(s -> s.contains("\"kubernetes.io/metadata.name\":\"tandem-ops\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("phases")
  @DisplayName("the grace period outlasts Tandem's shutdown; Tandem runs as non-root on a read-only root")
  void podIsSafe(String dir) throws Exception {
    Phase p = phase(dir);
    var shutdown = p.config.server().shutdown();
    assertThat(shutdown.delay()).as("readiness 503 a while before the listener stops").isPositive();
    assertThat(p.pod.at("/spec/terminationGracePeriodSeconds").asInt()).as("outlasts server.shutdown.timeout")
        .isGreaterThanOrEqualTo((int) shutdown.timeout().toSeconds() + AFTER_DRAIN_SECONDS);
    // The legacy container outlives Tandem's drain (both get SIGTERM at once), and stops within the grace period.
    int legacySleep = container(p.pod, "legacy").at("/lifecycle/preStop/sleep/seconds").asInt();
    assertThat(legacySleep).as("legacy's preStop sleep").isGreaterThan((int) shutdown.timeout().toSeconds())
        .isLessThan(p.pod.at("/spec/terminationGracePeriodSeconds").asInt());
    assertHardened(p.pod, p.tandem);
    for (String c : List.of("tandem", "legacy")) {
      JsonNode resources = container(p.pod, c).path("resources");
      assertThat(resources.at("/requests/cpu").isMissingNode() || resources.at("/limits/memory").isMissingNode())
          .as(c + " resources").isFalse();
    }
    String stateDir = env(p.tandem).get("TANDEM_STATE_DIR").path("value").asText();
    assertThat(mountFor(p.pod, p.tandem, stateDir)).as("TANDEM_STATE_DIR on a writable volume").isNotNull();
    assertThat(env(p.tandem).get("TANDEM_JAVA_OPTS").path("value").asText()).contains("MaxRAMPercentage");
    if (!dir.equals("base")) { // the base captures nothing
      assertThat(mountFor(p.pod, p.tandem, p.config.capture().dir())).as("capture.dir on a volume").isNotNull();
    }
  }

  // --- what each phase configures: the route's sides, read from the loaded configuration ---

  @Test
  @DisplayName("shadow: legacy answers everyone, every request is mirrored to the candidate and compared")
  void shadowPhase() throws Exception {
    Phase p = phase("overlays/shadow");
    RouteConfig route = onlyRoute(p);
    assertThat(route.primary()).as("primary").isEqualTo(legacy(p));
    assertMirroredWhole(route, candidate(p));
    assertThat(route.canary() == null || route.canary().weight() == 0).as("nobody on the candidate by weight")
        .isTrue();
  }

  @Test
  @DisplayName("canary: 5% of users on the candidate, opt-in by header and by cookie, the rest mirrored and compared")
  void canaryPhase() throws Exception {
    Phase p = phase("overlays/canary");
    RouteConfig route = onlyRoute(p);
    assertThat(route.primary()).as("primary").isEqualTo(legacy(p));
    CanaryConfig canary = route.canary();
    assertThat(canary).as("canary").isNotNull();
    assertThat(canary.backend()).isEqualTo(candidate(p));
    assertThat(canary.weight()).isEqualTo(5.0);
    assertThat(canary.header()).as("opt-in header").isEqualTo("X-Canary");
    assertThat(canary.cookie()).as("opt-in cookie").isEqualTo("canary");
    assertThat(canary.rollout()).as("no rollout declared yet").isNull();
    assertMirroredWhole(route, candidate(p));
  }

  @Test
  @DisplayName("rollout: a progressive rollout of the candidate declared, ascending steps up to 100% and its gates")
  void rolloutPhase() throws Exception {
    Phase p = phase("overlays/rollout");
    RouteConfig route = onlyRoute(p);
    assertThat(route.primary()).as("primary").isEqualTo(legacy(p));
    CanaryConfig canary = route.canary();
    assertThat(canary).as("canary").isNotNull();
    assertThat(canary.backend()).isEqualTo(candidate(p));
    assertThat(canary.header()).isEqualTo("X-Canary");
    assertThat(canary.cookie()).isEqualTo("canary");
    RolloutConfig rollout = canary.rollout();
    assertThat(rollout).as("canary.rollout").isNotNull();
    assertThat(rollout.steps()).as("steps").hasSizeGreaterThan(1).isSorted().doesNotHaveDuplicates()
        .last().isEqualTo(100.0);
    assertThat(rollout.steps().get(0)).as("the first step beyond the canary's weight").isGreaterThan(canary.weight());
    assertThat(rollout.interval()).isPositive();
    RolloutConfig.Gates gates = rollout.gates();
    assertThat(gates.maxErrorRateIncrease()).isPositive();
    assertThat(gates.maxP99Ratio()).isGreaterThan(1);
    assertThat(gates.maxDiffRate()).isPositive().isLessThan(100);
    assertThat(gates.minRequests()).isPositive();
    assertThat(gates.metrics()).as("metric gates").isNotEmpty()
        .allSatisfy(g -> assertThat(g.min() != null || g.max() != null).as(g.name() + " has a bound").isTrue());
    assertThat(p.config.rollout().prometheus()).as("rollout.prometheus, which the metric gates ask").isNotBlank();
    // The diff-rate gate judges compared exchanges: the candidate must still get every request's copy.
    assertMirroredWhole(route, candidate(p));
  }

  @Test
  @DisplayName("cutover: the candidate answers everyone, legacy gets a copy of every request, compared")
  void cutoverPhase() throws Exception {
    Phase p = phase("overlays/cutover");
    RouteConfig route = onlyRoute(p);
    assertThat(route.primary()).as("primary").isEqualTo(candidate(p));
    assertMirroredWhole(route, legacy(p));
    assertThat(route.canary() == null || route.canary().weight() == 0).as("nobody sent back to legacy by weight")
        .isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("phases")
  @DisplayName("the PodDisruptionBudget selects the Deployment's pods")
  void disruptionBudgetSelectsThePods(String dir) throws Exception {
    Phase p = phase(dir);
    JsonNode selector = object(p.objects, "PodDisruptionBudget").at("/spec/selector");
    assertThat(selector.has("matchExpressions")).as("matchExpressions").isFalse();
    JsonNode labels = selector.path("matchLabels");
    assertThat(labels.isObject() && !labels.isEmpty()).as("matchLabels " + selector).isTrue();
    assertThat(labels).as("the Deployment's selector")
        .isEqualTo(deployment(p.objects).at("/spec/selector/matchLabels"));
    labels.fields().forEachRemaining(l -> assertThat(p.pod.at("/metadata/labels").path(l.getKey()).asText(null))
        .as("pod label " + l.getKey()).isEqualTo(l.getValue().asText()));
  }

  @Test
  @DisplayName("every Tandem container runs the image of the project's version, the tag Jib gives the image")
  void imageTagIsTheVersion() throws Exception {
    String version = Version.current();
    assertThat(version).as("the version Maven filtered into version.properties").isNotEqualTo("unknown")
        .doesNotContain("${");
    Map<String, List<String>> images = new java.util.TreeMap<>();
    for (String dir : DIRS) {
      for (JsonNode o : render(dir)) {
        JsonNode pod = switch (o.path("kind").asText()) {
          case "Deployment", "Job" -> o.at("/spec/template");
          case "CronJob" -> o.at("/spec/jobTemplate/spec/template");
          default -> null;
        };
        if (pod != null) {
          pod.at("/spec/containers").forEach(c -> {
            String image = c.path("image").asText();
            if (c.path("name").asText().equals("tandem") || image.startsWith("tandem:") || image.equals("tandem")) {
              images.computeIfAbsent(dir, k -> new ArrayList<>()).add(image);
            }
          });
        }
      }
    }
    assertThat(images).as("the folders running Tandem").containsKeys("base", "jobs/replay", "jobs/verify-db");
    images.forEach((dir, list) -> assertThat(list).as("k8s/" + dir + " images").containsOnly("tandem:" + version));
  }

  @Test
  @DisplayName("the replay job's shards match its completions, and its flags are tandem replay's own")
  void replayJobShards() throws Exception {
    JsonNode job = object(render("jobs/replay"), "Job");
    JsonNode spec = job.path("spec");
    assertThat(spec.path("completionMode").asText()).isEqualTo("Indexed");
    JsonNode c = container(job.path("spec").path("template"), "tandem");
    assertThat(c.path("command").toString()).isEqualTo("[\"/bin/sh\",\"-c\"]");
    String script = c.at("/args/0").asText();
    Matcher shard = Pattern.compile("--shard \\$\\(\\(JOB_COMPLETION_INDEX\\+1\\)\\)/(\\d+)").matcher(script);
    assertThat(shard.find()).as(script).isTrue();
    int n = Integer.parseInt(shard.group(1));
    assertThat(spec.path("completions").asInt()).isEqualTo(n);
    assertThat(spec.path("parallelism").asInt()).isEqualTo(n);
    assertThat(mountFor(job.at("/spec/template"), c, "/captures")).isNotNull();
    assertHardened(job.at("/spec/template"), c);
    // What the shell hands tandem for shard 1, parsed by the real command line: an unknown flag would fail here.
    String[] words = script.replace("$((JOB_COMPLETION_INDEX+1))", "1").replaceFirst("^exec tandem ", "").trim()
        .split("\\s+");
    TandemCommand.commandLine().parseArgs(words);
  }

  @Test
  @DisplayName("verify-db keeps its verdicts in the history file the proxy reads, on the same volume")
  void verifyHistoryIsShared() throws Exception {
    List<JsonNode> objects = render("jobs/verify-db");
    JsonNode cron = object(objects, "CronJob");
    JsonNode pod = cron.at("/spec/jobTemplate/spec/template");
    JsonNode c = container(pod, "tandem");
    String script = c.at("/args/0").asText();
    assertThat(script).contains("tandem verify-db --config /etc/tandem/tandem.yaml");
    assertHardened(pod, c);
    assertThat(pod.at("/metadata/labels/tandem.dev~1admin-access").asText()).isEqualTo("true");

    Map<String, String> env = podEnv(c, objects);
    LoadedConfig loaded = ConfigLoader.withEnvironment(env::get).forVerify()
        .parse(configMapFile(objects, volumeConfigMap(pod, "/etc/tandem")), "jobs/verify-db/tandem.yaml");
    assertThat(loaded.warnings()).isEmpty();
    String history = loaded.config().verify().history();
    String claim = claimAt(pod, c, history);
    assertThat(claim).as("verify.history on a volume").isNotNull();
    for (String dir : PHASES.subList(1, PHASES.size())) {
      Phase p = phase(dir);
      assertThat(p.config.verify().history()).as(dir + " verify.history").isEqualTo(history);
      assertThat(claimAt(p.pod, p.tandem, history)).as(dir + ": the history's volume").isEqualTo(claim);
      assertThat(p.config.verify().tables()).isEqualTo(loaded.config().verify().tables());
    }
  }

  // --- a phase: its rendered objects, the Tandem pod, and its configuration loaded with the pod's environment ---

  private static RouteConfig onlyRoute(Phase p) {
    assertThat(p.config.routes()).as("routes").hasSize(1);
    return p.config.routes().get(0);
  }

  /** The backend that is the legacy container beside Tandem in the pod (reached on loopback). */
  private static String legacy(Phase p) {
    String url = "http://127.0.0.1:" + container(p.pod, "legacy").at("/ports/0/containerPort").asInt();
    List<String> names = p.config.backends().values().stream().filter(b -> b.url().equals(url))
        .map(BackendConfig::name).toList();
    assertThat(names).as("the backend at " + url).hasSize(1);
    return names.get(0);
  }

  /** The one other backend: the candidate service, outside the pod. */
  private static String candidate(Phase p) {
    String legacy = legacy(p);
    List<String> others = p.config.backends().keySet().stream().filter(n -> !n.equals(legacy)).toList();
    assertThat(others).as("backends besides legacy").hasSize(1);
    assertThat(p.config.backend(others.get(0)).host()).as("the candidate is a Service, not in the pod")
        .isNotIn("127.0.0.1", "localhost");
    return others.get(0);
  }

  /** Every request's copy goes to {@code shadow} alone, and both answers are compared. */
  private static void assertMirroredWhole(RouteConfig route, String shadow) {
    MirrorConfig mirror = route.mirror();
    assertThat(mirror).as("mirror").isNotNull();
    assertThat(mirror.shadows()).extracting(MirrorConfig.Shadow::backend).as("mirror backend").containsExactly(shadow);
    assertThat(mirror.percent()).as("mirror.percent").isEqualTo(100.0);
    assertThat(mirror.compare()).as("mirror.compare").isTrue();
    assertThat(mirror.methods()).as("mirror.methods: all").isEmpty();
    assertThat(mirror.excludeMethods()).as("mirror.excludeMethods").isEmpty();
    assertThat(mirror.paths()).as("mirror.paths: all").isEmpty();
    assertThat(mirror.excludePaths()).as("mirror.excludePaths").isEmpty();
  }

  private record Phase(List<JsonNode> objects, JsonNode pod, JsonNode tandem, LoadedConfig loaded,
                       TandemConfig config) {
  }

  private static Phase phase(String dir) throws Exception {
    List<JsonNode> objects = render(dir);
    JsonNode pod = deployment(objects).at("/spec/template");
    JsonNode tandem = container(pod, "tandem");
    Map<String, String> env = podEnv(tandem, objects);
    String yaml = configMapFile(objects, volumeConfigMap(pod, "/etc/tandem"));
    LoadedConfig loaded = ConfigLoader.withEnvironment(env::get).parse(yaml, dir + "/tandem.yaml");
    return new Phase(objects, pod, tandem, loaded, loaded.config());
  }

  /** The container's environment as the pod gets it, from values and Secrets (rendered here or in k8s/shared). */
  private static Map<String, String> podEnv(JsonNode container, List<JsonNode> objects) throws Exception {
    List<JsonNode> secrets = new ArrayList<>(objects);
    secrets.addAll(render("shared"));
    secrets.addAll(render("base")); // tandem-admin, which the jobs read too
    Map<String, String> env = new HashMap<>();
    for (JsonNode from : container.path("envFrom")) {
      secret(secrets, from.at("/secretRef/name").asText()).forEach(env::put);
    }
    env(container).forEach((name, e) -> {
      if (e.has("value")) {
        env.put(name, e.get("value").asText());
      } else if (e.at("/valueFrom/secretKeyRef").isObject()) {
        JsonNode ref = e.at("/valueFrom/secretKeyRef");
        String value = secret(secrets, ref.path("name").asText()).get(ref.path("key").asText());
        assertThat(value).as("secret key of " + name).isNotNull();
        env.put(name, value);
      } else {
        env.put(name, "from-the-downward-api");
      }
    });
    if (env.containsKey("TANDEM_ADMIN_TOKEN")) {
      env.put("TANDEM_ADMIN_TOKEN", TEST_TOKEN); // shipped empty; what an operator sets
    }
    return env;
  }

  private static Map<String, String> secret(List<JsonNode> objects, String name) {
    JsonNode s = named(objects, "Secret", name);
    Map<String, String> values = new HashMap<>();
    s.path("stringData").fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
    s.path("data").fields().forEachRemaining(e -> values.put(e.getKey(),
        new String(Base64.getDecoder().decode(e.getValue().asText()), StandardCharsets.UTF_8)));
    return values;
  }

  private static Map<String, JsonNode> env(JsonNode container) {
    Map<String, JsonNode> out = new HashMap<>();
    container.path("env").forEach(e -> out.put(e.path("name").asText(), e));
    return out;
  }

  private static void assertHardened(JsonNode pod, JsonNode container) {
    JsonNode sc = container.path("securityContext");
    assertThat(sc.path("runAsNonRoot").asBoolean()).as("runAsNonRoot").isTrue();
    assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).as("readOnlyRootFilesystem").isTrue();
    assertThat(mountFor(pod, container, "/tmp")).as("a writable /tmp").isNotNull();
  }

  /** The volume mount holding {@code path} (the longest mount path that is a prefix of it), or null. */
  private static JsonNode mountFor(JsonNode pod, JsonNode container, String path) {
    JsonNode best = null;
    for (JsonNode m : container.path("volumeMounts")) {
      String at = m.path("mountPath").asText();
      if ((path.equals(at) || path.startsWith(at + "/"))
          && (best == null || at.length() > best.path("mountPath").asText().length())) {
        best = m;
      }
    }
    return best;
  }

  private static String claimAt(JsonNode pod, JsonNode container, String path) {
    JsonNode mount = mountFor(pod, container, path);
    if (mount == null) {
      return null;
    }
    for (JsonNode v : pod.at("/spec/volumes")) {
      if (v.path("name").asText().equals(mount.path("name").asText())) {
        return v.at("/persistentVolumeClaim/claimName").asText(null);
      }
    }
    return null;
  }

  private static String volumeConfigMap(JsonNode pod, String mountPath) {
    JsonNode tandem = container(pod, "tandem");
    JsonNode mount = mountFor(pod, tandem, mountPath + "/tandem.yaml");
    assertThat(mount).as("a volume at " + mountPath).isNotNull();
    for (JsonNode v : pod.at("/spec/volumes")) {
      if (v.path("name").asText().equals(mount.path("name").asText())) {
        return v.at("/configMap/name").asText();
      }
    }
    throw new AssertionError("no volume " + mount.path("name").asText());
  }

  private static String configMapFile(List<JsonNode> objects, String name) {
    JsonNode cm = objects.stream().filter(o -> o.path("kind").asText().equals("ConfigMap"))
        .filter(o -> o.at("/metadata/name").asText().equals(name)
            || o.at("/metadata/name").asText().startsWith(name + "-")).findFirst()
        .orElseThrow(() -> new AssertionError("no ConfigMap " + name));
    assertThat(cm.at("/data/tandem.yaml").isTextual()).as(name + " has tandem.yaml").isTrue();
    return cm.at("/data/tandem.yaml").asText();
  }

  /** A container port given by number or by name. */
  private static int port(JsonNode container, JsonNode ref) {
    if (ref.isInt()) {
      return ref.asInt();
    }
    JsonNode p = portNamed(container.path("ports"), ref.asText());
    return p.path("containerPort").asInt();
  }

  private static JsonNode portNamed(JsonNode ports, String name) {
    for (JsonNode p : ports) {
      if (p.path("name").asText().equals(name)) {
        return p;
      }
    }
    throw new AssertionError("no port named '" + name + "' in " + ports);
  }

  private static JsonNode container(JsonNode pod, String name) {
    for (JsonNode c : pod.at("/spec/containers")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no container " + name);
  }

  private static ObjectNode deployment(List<JsonNode> objects) {
    return object(objects, "Deployment");
  }

  private static ObjectNode object(List<JsonNode> objects, String kind) {
    List<JsonNode> found = objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    assertThat(found).as(kind).hasSize(1);
    return (ObjectNode) found.get(0);
  }

  private static JsonNode named(List<JsonNode> objects, String kind, String name) {
    return objects.stream().filter(o -> o.path("kind").asText().equals(kind))
        .filter(o -> o.at("/metadata/name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  // --- kubectl kustomize and the schema validator ---

  /** {@code kubectl kustomize k8s/DIR}, parsed; kustomize v5's deprecation warnings for v2-compatible fields aside, quiet. */
  private static synchronized List<JsonNode> render(String dir) throws Exception {
    if (!RENDERED.containsKey(dir)) {
      String kubectl = TestServices.binary("kubectl",
          "apt-get install kubernetes-client, or any kubectl with kustomize; .ci/run installs it");
      Result r = run(List.of(kubectl, "kustomize", K8S.resolve(dir).toString()), null, ROOT);
      assertThat(r.code).as("kubectl kustomize k8s/" + dir + ": " + r.err).isZero();
      List<String> noise = r.err.lines().filter(l -> !l.isBlank())
          .filter(l -> !l.matches("# Warning: '(bases|patchesStrategicMerge)' is deprecated\\..*")).toList();
      assertThat(noise).as("kubectl kustomize k8s/" + dir + " said").isEmpty();
      List<JsonNode> objects = new ArrayList<>();
      try (var it = YAML.readValues(YAML.createParser(r.out), JsonNode.class)) {
        while (it.hasNext()) {
          JsonNode o = it.next();
          if (o != null && !o.isNull() && !o.isEmpty()) {
            objects.add(o);
          }
        }
      }
      RENDERED.put(dir, List.copyOf(objects));
    }
    return RENDERED.get(dir);
  }

  /** The schema problems of the objects, one line each; empty when all are valid. */
  private static List<String> validate(List<? extends JsonNode> objects) throws Exception {
    installValidator();
    String node = TestServices.binary("node", "apt-get install nodejs; .ci/run installs it");
    ArrayNode array = JSON.createArrayNode();
    objects.forEach(array::add);
    Result r = run(List.of(node, "validate.mjs"), JSON.writeValueAsBytes(array), VALIDATOR);
    assertThat(r.code).as("validate.mjs: " + r.out + r.err).isIn(0, 1);
    assertThat(r.code == 0).as("exit code against problems: " + r.out).isEqualTo(r.out.isBlank());
    return r.out.lines().filter(l -> !l.isBlank()).toList();
  }

  /** npm ci of k8s/test's locked packages into target/k8s-validate, once (again only when the lock changes). */
  private static synchronized void installValidator() throws Exception {
    if (validatorInstalled) {
      return;
    }
    dev.tandem.proxy.NpmPackages.install(K8S.resolve("test"), VALIDATOR,
        List.of("package.json", "package-lock.json", "validate.mjs"));
    validatorInstalled = true;
  }

  private record Result(int code, String out, String err) {
  }

  private static Result run(List<String> command, byte[] stdin, Path dir) throws Exception {
    Path err = Files.createTempFile("tandem-k8s", ".err");
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(err.toFile()).start();
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      byte[] out = readAll(p.getInputStream());
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in 5 minutes");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(err));
    } finally {
      Files.deleteIfExists(err);
    }
  }

  private static byte[] readAll(InputStream in) {
    try (in; ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
