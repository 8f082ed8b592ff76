package dev.tandem.proxy.cli;

import dev.tandem.proxy.config.CanaryConfig;
import dev.tandem.proxy.config.ConfigLoader;
import dev.tandem.proxy.config.LoadedConfig;
import dev.tandem.proxy.config.MirrorConfig;
import dev.tandem.proxy.config.RouteConfig;
import dev.tandem.proxy.config.TandemConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ImportCommandTest {

  private static final Path EXAMPLES = Path.of("..", "conf", "import");

  private static final String MAIN_INGRESS = """
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata:
        name: orders
        namespace: shop
        annotations:
          kubernetes.io/ingress.class: nginx
          nginx.ingress.kubernetes.io/rewrite-target: /$2
          nginx.ingress.kubernetes.io/auth-url: https://auth.example.com/check
          nginx.ingress.kubernetes.io/configuration-snippet: |
            mirror /mirror;
            more_set_headers "X-Served-By: nginx";
          nginx.ingress.kubernetes.io/server-snippet: |
            location = /mirror {
              internal;
              proxy_pass http://orders-next.shop.svc.cluster.local:9090$request_uri;
              proxy_set_header X-Shadow "yes";
              proxy_set_header X-Real-IP $remote_addr;
            }
      spec:
        rules:
          - host: shop.example.com
            http:
              paths:
                - path: /api
                  pathType: Prefix
                  backend:
                    service: { name: orders, port: { number: 8080 } }
      """;

  private static final String CANARY_INGRESS = """
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata:
        name: orders-canary
        namespace: shop
        annotations:
          nginx.ingress.kubernetes.io/canary: "true"
          nginx.ingress.kubernetes.io/canary-weight: "20"
          nginx.ingress.kubernetes.io/canary-by-header: X-Beta
          nginx.ingress.kubernetes.io/canary-by-header-value: "yes"
          nginx.ingress.kubernetes.io/canary-by-cookie: beta
          nginx.ingress.kubernetes.io/limit-rps: "10"
      spec:
        rules:
          - host: shop.example.com
            http:
              paths:
                - path: /api
                  pathType: Prefix
                  backend:
                    service: { name: orders-next, port: { number: 9090 } }
      """;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return TandemCommand.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private static TandemConfig load(String yaml) throws Exception {
    LoadedConfig loaded = ConfigLoader.withEnvironment(Map.of("TANDEM_ADMIN_TOKEN", "a-token-for-the-test")::get)
        .parse(yaml, "imported");
    return loaded.config();
  }

  private static RouteConfig route(TandemConfig c, String name) {
    return c.routes().stream().filter(r -> r.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no route " + name + " in " + c.routes()));
  }

  private List<String> notCarried() {
    return err.toString().lines().toList();
  }

  /** Writes what the import printed to a file and runs {@code tandem proxy --check} on it. */
  private void assertChecks(Path dir) throws Exception {
    Path config = dir.resolve("imported.yaml");
    Files.writeString(config, out.toString());
    assertThat(run("proxy", "--check", "--config", config.toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains(": OK (");
  }

  @Test
  @DisplayName("a main and a canary Ingress become one route: canary weight, header and cookie opt-in, mirror")
  void ingressCanary(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ingress.yaml");
    Files.writeString(file, MAIN_INGRESS + "---\n" + CANARY_INGRESS);

    assertThat(run("import", "ingress-nginx", file.toString())).as(err.toString()).isZero();
    String yaml = out.toString();
    assertThat(yaml).startsWith("# Tandem configuration made by 'tandem import ingress-nginx' from:")
        .contains(file + ": Ingress shop/orders", "token: ${TANDEM_ADMIN_TOKEN}");
    TandemConfig c = load(yaml);
    assertThat(c.routes()).hasSize(1);
    RouteConfig r = route(c, "orders-api");
    assertThat(r.match().hosts()).containsExactly("shop.example.com");
    assertThat(r.match().pathPrefix()).isEqualTo("/api");
    assertThat(c.backend(r.primary()).url()).isEqualTo("http://orders.shop.svc.cluster.local:8080");
    CanaryConfig canary = r.canary();
    assertThat(c.backend(canary.backend()).url()).isEqualTo("http://orders-next.shop.svc.cluster.local:9090");
    assertThat(canary.weight()).isEqualTo(20.0);
    assertThat(canary.header()).isEqualTo("X-Beta");
    assertThat(canary.headerValue()).isEqualTo("yes");
    assertThat(canary.cookie()).isEqualTo("beta");
    MirrorConfig mirror = r.mirror();
    assertThat(mirror.backend()).isEqualTo(canary.backend());
    assertThat(mirror.percent()).isEqualTo(100.0);
    assertThat(mirror.setHeaders()).containsExactly(Map.entry("X-Shadow", "yes"));

    String object = file + ": Ingress shop/orders: ";
    assertThat(notCarried()).containsExactlyInAnyOrder(
        object + "annotation nginx.ingress.kubernetes.io/rewrite-target: not carried over: Tandem forwards the path"
            + " as it was received (a shadow's path can be rewritten with mirror.rewrite)",
        object + "annotation nginx.ingress.kubernetes.io/auth-url: not carried over: Tandem has no equivalent",
        object + "directive 'more_set_headers X-Served-By: nginx;' in configuration-snippet: not carried over:"
            + " Tandem has no equivalent",
        object + "directive 'proxy_set_header X-Real-IP $remote_addr;' in location /mirror: not carried over:"
            + " Tandem sets fixed header values only (mirror.setHeaders)",
        file + ": Ingress shop/orders-canary: annotation nginx.ingress.kubernetes.io/limit-rps: not carried over:"
            + " ingress-nginx ignores it on a canary Ingress (the main Ingress's settings apply), and Tandem's canary"
            + " has no equivalent");
    assertChecks(dir);
  }

  @Test
  @DisplayName("kind: List, canary-weight-total scaled to percent, a header pattern, an Exact path and a port by name")
  void ingressListAndWeightTotal(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("list.yaml");
    Files.writeString(file, """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: { name: web, namespace: front }
            spec:
              rules:
                - http:
                    paths:
                      - { path: /, pathType: Prefix, backend: { service: { name: web, port: { name: http } } } }
                      - { path: /status, pathType: Exact, backend: { service: { name: web, port: { number: 80 } } } }
          - apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: web-canary
              namespace: front
              annotations:
                nginx.ingress.kubernetes.io/canary: "true"
                nginx.ingress.kubernetes.io/canary-weight: "1"
                nginx.ingress.kubernetes.io/canary-weight-total: "8"
                nginx.ingress.kubernetes.io/canary-by-header: X-Web-Canary
                nginx.ingress.kubernetes.io/canary-by-header-pattern: "^(eu|us)-beta$"
            spec:
              rules:
                - http:
                    paths:
                      - { path: /, pathType: Prefix, backend: { service: { name: web-v2, port: { number: 80 } } } }
        """);

    assertThat(run("import", "ingress-nginx", file.toString())).as(err.toString()).isZero();
    TandemConfig c = load(out.toString());
    assertThat(c.routes()).extracting(RouteConfig::name).containsExactly("web-status", "web");
    RouteConfig web = route(c, "web");
    assertThat(web.match().hosts()).isEmpty();
    assertThat(web.canary().weight()).isEqualTo(12.5);
    assertThat(web.canary().header()).isEqualTo("X-Web-Canary");
    assertThat(web.canary().headerPattern().pattern()).isEqualTo("^(eu|us)-beta$");
    assertThat(web.canary().cookie()).isEqualTo(CanaryConfig.DEFAULT_COOKIE);
    assertThat(c.backend(web.canary().backend()).url()).isEqualTo("http://web-v2.front.svc.cluster.local:80");
    assertThat(c.backend(web.primary()).url()).isEqualTo("http://web.front.svc.cluster.local:80");
    assertThat(route(c, "web-status").canary()).isNull();
    assertThat(notCarried()).containsExactlyInAnyOrder(
        file + ": Ingress front/web: backend of any host, path / (Prefix) port 'http': not carried over: no Service"
            + " front/web among the inputs to say which number it is; the URL takes ${WEB_SERVICE_PORT_HTTP} (set by"
            + " Kubernetes in pods of the namespace), else 80",
        file + ": Ingress front/web: pathType Exact of /status: not carried over: Tandem matches path prefixes:"
            + " imported as pathPrefix /status, which also takes /status/...");
    assertChecks(dir);
  }

  @Test
  @DisplayName("v1beta1 serviceName, mirror-target with mirror-request-body off, TLS and an unreadable snippet")
  void ingressOlderForms(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("old.yaml");
    Files.writeString(file, """
        apiVersion: networking.k8s.io/v1beta1
        kind: Ingress
        metadata:
          name: legacy
          annotations:
            nginx.ingress.kubernetes.io/mirror-target: http://shadow.internal:8000/$request_uri
            nginx.ingress.kubernetes.io/mirror-request-body: "off"
            nginx.ingress.kubernetes.io/backend-protocol: HTTPS
            nginx.ingress.kubernetes.io/server-snippet: "location /x { return 200;"
        spec:
          tls: [ { hosts: [old.example.com], secretName: old-tls } ]
          rules:
            - host: old.example.com
              http:
                paths:
                  - path: /
                    backend: { serviceName: legacy-app, servicePort: 8443 }
        """);

    assertThat(run("import", "ingress-nginx", file.toString())).as(err.toString()).isZero();
    TandemConfig c = load(out.toString());
    RouteConfig r = route(c, "legacy");
    assertThat(c.backend(r.primary()).url()).isEqualTo("https://legacy-app.default.svc.cluster.local:8443");
    assertThat(c.backend(r.mirror().backend()).url()).isEqualTo("http://shadow.internal:8000");
    assertThat(r.canary()).isNull();
    String object = file + ": Ingress default/legacy: ";
    assertThat(notCarried()).containsExactlyInAnyOrder(
        object + "annotation nginx.ingress.kubernetes.io/server-snippet: not carried over: cannot be read as NGINX"
            + " directives: a block is not closed by '}'",
        object + "spec.tls: not carried over: Tandem does not read certificates from Secrets; terminate TLS in front"
            + " of it, or give it server.tls: { cert, key } from the mounted Secret",
        object + "mirror_request_body off: not carried over: Tandem copies the request body with it (up to"
            + " mirror.maxBodyBytes); set mirror.methods: [GET, HEAD] to copy only requests without one");
    assertChecks(dir);
  }

  /** An Ingress mirroring to /mirror, with these directives (a line each) in its configuration-snippet and location. */
  private static String mirroredIngress(String configurationSnippet, String location) {
    return """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: pay
          namespace: shop
          annotations:
            nginx.ingress.kubernetes.io/configuration-snippet: |
              mirror /mirror;
              %s
            nginx.ingress.kubernetes.io/server-snippet: |
              location = /mirror {
                internal;
                proxy_pass http://pay-next.shop.svc.cluster.local:9090$request_uri;
                %s
              }
        spec:
          rules:
            - http:
                paths:
                  - { path: /, pathType: Prefix, backend: { service: { name: pay, port: { number: 8080 } } } }
        """.formatted(configurationSnippet.replace("\n", "\n      "), location.replace("\n", "\n        "));
  }

  @Test
  @DisplayName("mirror_request_body off; in configuration-snippet: the mirror is kept and the line says the body is"
      + " copied anyway")
  void mirrorRequestBodyOffDirective(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pay.yaml");
    Files.writeString(file, mirroredIngress("mirror_request_body off;", "proxy_set_header X-Shadow \"yes\";"));

    assertThat(run("import", "ingress-nginx", file.toString())).as(err.toString()).isZero();
    RouteConfig r = route(load(out.toString()), "pay");
    assertThat(r.mirror().percent()).isEqualTo(100.0);
    assertThat(r.mirror().methods()).as("every method still mirrored").isEmpty();
    assertThat(notCarried()).containsExactly(file + ": Ingress shop/pay: mirror_request_body off: not carried over:"
        + " Tandem copies the request body with it (up to mirror.maxBodyBytes); set mirror.methods: [GET, HEAD] to"
        + " copy only requests without one");
    assertChecks(dir);
  }

  @Test
  @DisplayName("mirror_set_header is not an NGINX directive: the line says so and points to proxy_set_header in the"
      + " mirror location, which is carried over")
  void mirrorSetHeaderIsNotNginx(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pay.yaml");
    Files.writeString(file, mirroredIngress("mirror_set_header X-Shadow yes;",
        "proxy_set_header X-Shadow \"yes\";\nmirror_set_header X-Copy yes;"));

    assertThat(run("import", "ingress-nginx", file.toString())).as(err.toString()).isZero();
    RouteConfig r = route(load(out.toString()), "pay");
    assertThat(r.mirror().setHeaders()).as("from proxy_set_header").containsExactly(Map.entry("X-Shadow", "yes"));
    String why = ": not carried over: not a directive of NGINX; use proxy_set_header inside the mirror location, which"
        + " is carried over";
    String object = file + ": Ingress shop/pay: ";
    assertThat(notCarried()).containsExactlyInAnyOrder(
        object + "directive 'mirror_set_header X-Shadow yes;' in configuration-snippet" + why,
        object + "directive 'mirror_set_header X-Copy yes;' in location /mirror" + why);
    assertChecks(dir);
  }

  @Test
  @DisplayName("an HTTPRoute's 90/10 backends, RequestMirror and header match become canary, mirror and opt-in")
  void httpRoute(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("route.yaml");
    Files.writeString(file, """
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: HTTPRoute
        metadata: { name: checkout, namespace: shop }
        spec:
          hostnames: [shop.example.com, "*.shop.example.com"]
          rules:
            - matches:
                - path: { type: PathPrefix, value: /checkout/ }
              filters:
                - type: RequestMirror
                  requestMirror:
                    backendRef: { name: checkout-v2, port: 8080 }
                    fraction: { numerator: 1, denominator: 4 }
                - type: RequestHeaderModifier
                  requestHeaderModifier: { set: [ { name: X-Via, value: gateway } ] }
              backendRefs:
                - { name: checkout-v2, port: 8080, weight: 10 }
                - { name: checkout, port: 8080, weight: 90 }
            - matches:
                - path: { type: PathPrefix, value: /checkout }
                  headers: [ { name: X-Tester, value: "true" } ]
              backendRefs:
                - { name: checkout-v2, port: 8080 }
            - matches:
                - path: { type: RegularExpression, value: "/v[0-9]+/.*" }
              backendRefs:
                - { name: checkout, port: 8080 }
        """);

    assertThat(run("import", "httproute", file.toString())).as(err.toString()).isZero();
    TandemConfig c = load(out.toString());
    assertThat(c.routes()).hasSize(1);
    RouteConfig r = route(c, "checkout-checkout");
    assertThat(r.match().hosts()).containsExactly("shop.example.com", "*.shop.example.com");
    assertThat(r.match().pathPrefix()).isEqualTo("/checkout");
    assertThat(c.backend(r.primary()).url()).isEqualTo("http://checkout.shop.svc.cluster.local:8080");
    assertThat(c.backend(r.canary().backend()).url()).isEqualTo("http://checkout-v2.shop.svc.cluster.local:8080");
    assertThat(r.canary().weight()).isEqualTo(10.0);
    assertThat(r.canary().header()).isEqualTo(CanaryConfig.DEFAULT_HEADER);
    assertThat(r.canary().matchHeaders()).containsOnlyKeys("X-Tester");
    assertThat(r.canary().matchHeaders().get("X-Tester").matcher("true").matches()).isTrue();
    assertThat(r.canary().matchHeaders().get("X-Tester").matcher("truer").find()).isFalse();
    assertThat(r.mirror().backend()).isEqualTo(r.canary().backend());
    assertThat(r.mirror().percent()).isEqualTo(25.0);
    String object = file + ": HTTPRoute shop/checkout: ";
    assertThat(notCarried()).containsExactlyInAnyOrder(
        object + "rules[0].filters[1] RequestHeaderModifier: not carried over: Tandem does not change the primary's"
            + " request headers (a shadow's, with mirror.setHeaders and stripHeaders)",
        object + "rules[2].matches[0].path RegularExpression /v[0-9]+/.*: not carried over: Tandem matches path"
            + " prefixes only");
    assertChecks(dir);
  }

  @Test
  @DisplayName("the examples in conf/import/ import into configurations that load and pass --check")
  void examples(@TempDir Path dir) throws Exception {
    assertThat(run("import", "ingress-nginx", EXAMPLES.resolve("ingress-nginx-canary.yaml").toString()))
        .as(err.toString()).isZero();
    TandemConfig ingress = load(out.toString());
    RouteConfig orders = route(ingress, "orders-orders");
    assertThat(orders.canary().weight()).isEqualTo(20.0);
    assertThat(orders.canary().header()).isEqualTo("X-Orders-Canary");
    assertThat(orders.canary().cookie()).isEqualTo("orders_canary");
    assertThat(orders.mirror().backend()).isEqualTo(orders.canary().backend());
    assertThat(orders.maxBodyBytes()).isEqualTo(8L * 1024 * 1024);
    assertThat(ingress.backend(route(ingress, "orders-health").primary()).url())
        .isEqualTo("http://orders-legacy.shop.svc.cluster.local:8080");
    assertThat(notCarried()).anyMatch(l -> l.contains("nginx.ingress.kubernetes.io/rewrite-target: not carried"))
        .anyMatch(l -> l.contains("nginx.ingress.kubernetes.io/limit-rps: not carried"));
    assertChecks(dir);

    assertThat(run("import", "httproute", EXAMPLES.resolve("httproute.yaml").toString())).as(err.toString()).isZero();
    TandemConfig gateway = load(out.toString());
    RouteConfig route = route(gateway, "orders-orders");
    assertThat(route.canary().weight()).isEqualTo(10.0);
    assertThat(route.canary().matchHeaders()).containsOnlyKeys("X-Orders-Canary");
    assertThat(route.mirror().percent()).isEqualTo(50.0);
    assertThat(route(gateway, "orders-api-v1").canary()).isNull();
    assertThat(notCarried()).singleElement().asString().contains("rules[2].filters[0] URLRewrite: not carried over");
    assertChecks(dir);
  }

  @Test
  @DisplayName("a missing file, invalid YAML and a file without Ingress exit 2 with one line naming the file")
  void badInput(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("none.yaml");
    assertThat(run("import", "ingress-nginx", missing.toString())).isEqualTo(2);
    assertThat(err.toString().lines()).containsExactly("tandem import: " + missing + ": no such file");
    assertThat(out.toString()).isEmpty();

    Path invalid = dir.resolve("invalid.yaml");
    Files.writeString(invalid, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: [x\n");
    assertThat(run("import", "ingress-nginx", invalid.toString())).isEqualTo(2);
    assertThat(err.toString().lines()).singleElement().asString()
        .isEqualTo("tandem import: " + invalid + ":3: not valid YAML: while parsing a flow sequence, expected ','"
            + " or ']', but got <stream end>");
    assertThat(out.toString()).isEmpty();

    Path service = dir.resolve("service.yaml");
    Files.writeString(service, "apiVersion: v1\nkind: Service\nmetadata: { name: web }\n---\n" + MAIN_INGRESS
        .replace("kind: Ingress", "kind: HTTPRoute"));
    assertThat(run("import", "ingress-nginx", service.toString())).isEqualTo(2);
    assertThat(err.toString().lines()).containsExactly("tandem import: " + service + ": no Ingress in it (found"
        + " Service, HTTPRoute); for HTTPRoutes use 'tandem import httproute'");
    assertThat(run("import", "httproute", dir.resolve("invalid.yaml").toString(), missing.toString())).isEqualTo(2);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  @DisplayName("--help says the configuration goes to stdout and each item not carried over to stderr")
  void help() {
    assertThat(run("import", "ingress-nginx", "--help")).isZero();
    assertThat(out.toString().replaceAll("\\s+", " ")).contains("goes to stdout", "one line on stderr");
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("import");
  }
}
