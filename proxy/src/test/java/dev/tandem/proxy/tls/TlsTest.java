package dev.tandem.proxy.tls;

import dev.tandem.proxy.RawHttp;
import dev.tandem.proxy.RecordingBackend;
import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import dev.tandem.testkit.TestCertificates;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import static dev.tandem.proxy.TandemHarness.await;
import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS on Tandem's listeners and towards its backends, with a CA and certificates made by the test. */
class TlsTest {

  private final TandemHarness h = new TandemHarness();
  private final TestCertificates ca = TestCertificates.authority("Tandem Test CA");
  private final TestCertificates otherCa = TestCertificates.authority("Someone Else's CA");
  private Path dir;
  private Path caFile;
  private TestCertificates.Issued server;
  private RecordingBackend backend;

  @BeforeEach
  void files() throws IOException {
    dir = Files.createTempDirectory(h.stateDir(), "tls");
    caFile = ca.writeCa(dir.resolve("ca.crt"));
    server = ca.issue(dir, "tls", "tandem.test", BigInteger.valueOf(0x10), "IP:127.0.0.1", "DNS:tandem.test");
    backend = new RecordingBackend(h.vertx);
  }

  @AfterEach
  void close() {
    h.close();
  }

  private Tandem tandem(String serverTls, String backends, String route) {
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1, tls: %s }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: "http://127.0.0.1:%d"
        %s
        routes:
          - { name: default, primary: legacy %s }
        """.formatted(serverTls, TandemHarness.TOKEN, backend.port(), backends, route));
  }

  private String listenerTls(String extra) {
    return "{ cert: \"%s\", key: \"%s\", reload: 100ms %s }".formatted(server.cert(), server.key(), extra);
  }

  private static RawHttp connect(int port, SSLContext ctx, String... protocols) throws IOException {
    SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    if (protocols.length > 0) {
      socket.setEnabledProtocols(protocols);
    }
    socket.startHandshake();
    return new RawHttp(socket);
  }

  private static BigInteger serial(RawHttp c) throws IOException {
    SSLSocket s = (SSLSocket) c.socket();
    return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
  }

  private static RawHttp.Response get(RawHttp c, String path) throws IOException {
    c.sendRaw("GET " + path + " HTTP/1.1\r\nHost: tandem.test\r\n\r\n");
    return c.readResponse();
  }

  @Test
  @DisplayName("HTTPS on the listener: TLS 1.2/1.3, and the backend is told X-Forwarded-Proto: https")
  void listener() throws IOException {
    Tandem t = tandem(listenerTls(""), "", "");
    try (RawHttp c = connect(t.port(), ca.clientContext(null))) {
      assertThat(get(c, "/a").status()).isEqualTo(200);
      assertThat(((SSLSocket) c.socket()).getSession().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
    }
    assertThat(backend.headers().get(0).get("X-Forwarded-Proto")).isEqualTo("https");
    try (RawHttp plain = new RawHttp(t.port())) {
      plain.sendRaw("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(plain.readToEnd()).doesNotContain("ok GET");
    }
  }

  @Test
  @DisplayName("protocols: [TLSv1.3] refuses a TLS 1.2 client")
  void protocols() throws IOException {
    Tandem t = tandem(listenerTls(", protocols: [TLSv1.3]"), "", "");
    assertThatThrownBy(() -> connect(t.port(), ca.clientContext(null), "TLSv1.2").close())
        .isInstanceOf(IOException.class);
    try (RawHttp c = connect(t.port(), ca.clientContext(null), "TLSv1.3")) {
      assertThat(get(c, "/a").status()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("by default a client limited to TLS 1.1 fails the handshake (protocol_version); TLS 1.2 is served")
  void tls11RefusedByDefault() throws IOException {
    Tandem t = tandem(listenerTls(""), "", "");
    // This JDK refuses TLS 1.1 on its own too (jdk.tls.disabledAlgorithms): Tandem's default must not rely on it.
    assertThat(t.config().server().tls().protocols()).containsExactly("TLSv1.2", "TLSv1.3");
    byte[] refused = answerToHello(t.port(), 0x0302);
    assertThat(refused[0]).as("an alert record").isEqualTo((byte) 21);
    assertThat(refused[6]).as("protocol_version").isEqualTo((byte) 70);
    byte[] served = answerToHello(t.port(), 0x0303); // the same hello offering TLS 1.2: proof it is well-formed
    assertThat(served[0]).as("a handshake record").isEqualTo((byte) 22);
    assertThat(served[5]).as("ServerHello").isEqualTo((byte) 2);
  }

  /**
   * Sends a ClientHello offering only {@code version} (0x0302 is TLS 1.1, 0x0303 TLS 1.2) and returns the first 7
   * bytes the server answers. Built by hand: the JDK's own client will not offer TLS 1.1 at all (its
   * {@code jdk.tls.disabledAlgorithms}), so it could not show what the listener does with one.
   */
  private static byte[] answerToHello(int port, int version) throws IOException {
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream b = new java.io.DataOutputStream(body);
    b.writeShort(version);
    b.write(new byte[32]); // random
    b.writeByte(0); // no session id
    int[] suites = {0xC02B, 0xC009, 0xC00A, 0x00FF}; // ECDHE-ECDSA AES-GCM (1.2), AES-CBC (1.1 and 1.2), SCSV
    b.writeShort(suites.length * 2);
    for (int suite : suites) {
      b.writeShort(suite);
    }
    b.writeByte(1);
    b.writeByte(0); // compression: null
    byte[] extensions = {
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x1d, // supported_groups: secp256r1, x25519
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
        0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04}; // signature_algorithms: ecdsa and pss sha256
    b.writeShort(extensions.length);
    b.write(extensions);
    byte[] hello = body.toByteArray();
    java.io.ByteArrayOutputStream record = new java.io.ByteArrayOutputStream();
    java.io.DataOutputStream r = new java.io.DataOutputStream(record);
    r.writeByte(22); // handshake
    r.writeShort(0x0301);
    r.writeShort(hello.length + 4);
    r.writeByte(1); // ClientHello
    r.writeByte(0);
    r.writeShort(hello.length);
    r.write(hello);
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(record.toByteArray());
      byte[] answer = socket.getInputStream().readNBytes(7);
      assertThat(answer).as("the server's first bytes").hasSize(7);
      return answer;
    }
  }

  @Test
  @DisplayName("the listener's certificate can come from a PKCS12 key store")
  void keyStore() throws IOException, java.security.GeneralSecurityException {
    TestCertificates.Issued issued = ca.issue(dir, "stored", "tandem.test", BigInteger.valueOf(0x50), "IP:127.0.0.1");
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    java.security.cert.Certificate caCert;
    try (java.io.InputStream in = Files.newInputStream(caFile)) {
      caCert = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    store.setKeyEntry("tandem", issued.privateKey(), "s3cret".toCharArray(),
        new java.security.cert.Certificate[] {issued.certificate(), caCert});
    Path p12 = dir.resolve("tandem.p12");
    try (java.io.OutputStream out = Files.newOutputStream(p12)) {
      store.store(out, "s3cret".toCharArray());
    }
    Tandem t = tandem("{ keyStore: { path: \"%s\", password: s3cret } }".formatted(p12), "", "");
    try (RawHttp c = connect(t.port(), ca.clientContext(null))) {
      assertThat(serial(c)).isEqualTo(BigInteger.valueOf(0x50));
      assertThat(get(c, "/stored").status()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("a rotated certificate is served to new clients, open connections keep working, a bad pair is kept out")
  void reload() throws IOException {
    Tandem t = tandem(listenerTls(""), "", "");
    try (RawHttp kept = connect(t.port(), ca.clientContext(null))) {
      assertThat(serial(kept)).isEqualTo(BigInteger.valueOf(0x10));
      assertThat(get(kept, "/before").status()).isEqualTo(200);

      ca.issue(dir, "tls", "tandem.test", BigInteger.valueOf(0x20), "IP:127.0.0.1");
      eventually("a new client sees the new certificate", () -> {
        try (RawHttp fresh = connect(t.port(), ca.clientContext(null))) {
          return serial(fresh).equals(BigInteger.valueOf(0x20));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      assertThat(get(kept, "/after").status()).isEqualTo(200);

      // A certificate whose key is not the one on disk: refused, counted, and the served one stays.
      TestCertificates.Issued odd = ca.issue(dir, "odd", "tandem.test", BigInteger.valueOf(0x30), "IP:127.0.0.1");
      Files.copy(odd.cert(), server.cert(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      eventually("the bad pair is counted", () -> reloads("failed") >= 1);
      try (RawHttp fresh = connect(t.port(), ca.clientContext(null))) {
        assertThat(serial(fresh)).isEqualTo(BigInteger.valueOf(0x20));
      }
    }
    assertThat(reloads("reloaded")).isEqualTo(1);
  }

  private double reloads(String result) {
    Counter c = h.registry.find("tandem.tls.reloads").tag("listener", "data").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  @DisplayName("clientAuth: required refuses a client without a certificate and names the one with it")
  void clientCertificates() throws IOException {
    Tandem t = tandem(listenerTls(", clientAuth: required, clientCa: \"" + caFile + "\""), "", "");
    assertThatThrownBy(() -> {
      try (RawHttp c = connect(t.port(), ca.clientContext(null))) {
        get(c, "/anonymous");
      }
    }).isInstanceOf(IOException.class);
    TestCertificates.Issued client = ca.issue(dir, "client", "client-1", BigInteger.valueOf(7));
    try (RawHttp c = connect(t.port(), ca.clientContext(client))) {
      c.sendRaw("GET /named HTTP/1.1\r\nHost: tandem.test\r\nX-Forwarded-Client-Cert: Subject=\"CN=admin\"\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
    assertThat(backend.requests()).containsExactly("GET /named");
    String xfcc = backend.headers().get(0).get("X-Forwarded-Client-Cert");
    assertThat(xfcc).startsWith("Hash=").endsWith(";Subject=\"CN=client-1\"");
  }

  @Test
  @DisplayName("the admin listener has TLS of its own")
  void adminTls() throws IOException {
    TestCertificates.Issued admin = ca.issue(dir, "admin", "admin.test", BigInteger.valueOf(0x40), "IP:127.0.0.1");
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s, tls: { cert: "%s", key: "%s" } }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: default, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, admin.cert(), admin.key(), backend.port()));
    try (RawHttp c = connect(t.adminPort(), ca.clientContext(null))) {
      assertThat(serial(c)).isEqualTo(BigInteger.valueOf(0x40));
      c.sendRaw("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(c.readResponse().status()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("the admin listener's rotated certificate is served to new clients; an open connection keeps working")
  void adminReload() throws IOException {
    TestCertificates.Issued admin = ca.issue(dir, "admin", "admin.test", BigInteger.valueOf(0x40), "IP:127.0.0.1");
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s, tls: { cert: "%s", key: "%s", reload: 100ms } }
        backends: { legacy: "http://127.0.0.1:%d" }
        routes: [ { name: default, primary: legacy } ]
        """.formatted(TandemHarness.TOKEN, admin.cert(), admin.key(), backend.port()));
    try (RawHttp kept = connect(t.adminPort(), ca.clientContext(null))) {
      assertThat(serial(kept)).isEqualTo(BigInteger.valueOf(0x40));
      ca.issue(dir, "admin", "admin.test", BigInteger.valueOf(0x41), "IP:127.0.0.1");
      eventually("a new admin client sees the new certificate", () -> {
        try (RawHttp fresh = connect(t.adminPort(), ca.clientContext(null))) {
          return serial(fresh).equals(BigInteger.valueOf(0x41));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      kept.sendRaw("GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(kept.readResponse().status()).as("the connection opened before").isEqualTo(200);
    }
    Counter reloaded = h.registry.find("tandem.tls.reloads").tag("listener", "admin").tag("result", "reloaded")
        .counter();
    assertThat(reloaded.count()).isEqualTo(1);
  }

  /** An HTTPS backend presenting {@code cert}; with {@code clientCa}, it requires a client certificate from it. */
  private HttpServer httpsBackend(TestCertificates.Issued cert, Path clientCa) {
    HttpServerOptions options = new HttpServerOptions().setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.cert().toString()).setKeyPath(cert.key().toString()));
    if (clientCa != null) {
      options.setClientAuth(ClientAuth.REQUIRED).setTrustOptions(new PemTrustOptions().addCertPath(clientCa.toString()));
    }
    return await(h.vertx.createHttpServer(options).requestHandler(req -> req.response().end("secure " + req.path()))
        .listen(0, "127.0.0.1"));
  }

  private RawHttp.Response through(String backendTls, int port) throws IOException {
    Tandem t = h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          secure: { url: "https://127.0.0.1:%d", tls: %s }
        routes: [ { name: default, primary: secure } ]
        """.formatted(TandemHarness.TOKEN, port, backendTls));
    try (RawHttp c = new RawHttp(t.port())) {
      return get(c, "/x");
    }
  }

  @Test
  @DisplayName("a backend over TLS is verified against the configured CA")
  void backendTls() throws IOException {
    TestCertificates.Issued cert = ca.issue(dir, "backend", "backend.test", BigInteger.TEN, "IP:127.0.0.1");
    int port = httpsBackend(cert, null).actualPort();
    assertThat(through("{ ca: \"" + caFile + "\" }", port).body()).isEqualTo("secure /x");
  }

  @Test
  @DisplayName("a backend certificate from another CA is a 502 that says it is not trusted, never a downgrade")
  void backendWrongCa() throws IOException {
    TestCertificates.Issued cert = otherCa.issue(dir, "backend", "backend.test", BigInteger.TEN, "IP:127.0.0.1");
    int port = httpsBackend(cert, null).actualPort();
    RawHttp.Response r = through("{ ca: \"" + caFile + "\" }", port);
    assertThat(r.status()).isEqualTo(502);
    assertThat(new JsonObject(r.body()).getString("message")).contains("not trusted");
  }

  @Test
  @DisplayName("a backend certificate for another name is a 502 that says so; sni names the one it has")
  void backendNameMismatch() throws IOException {
    TestCertificates.Issued cert = ca.issue(dir, "backend", "orders.internal", BigInteger.TEN, "DNS:orders.internal");
    int port = httpsBackend(cert, null).actualPort();
    RawHttp.Response r = through("{ ca: \"" + caFile + "\" }", port);
    assertThat(r.status()).isEqualTo(502);
    assertThat(new JsonObject(r.body()).getString("message")).contains("does not name");
    assertThat(through("{ ca: \"" + caFile + "\", sni: orders.internal }", port).body()).isEqualTo("secure /x");
  }

  @Test
  @DisplayName("a backend that requires a client certificate gets Tandem's")
  void backendClientCertificate() throws IOException {
    TestCertificates.Issued cert = ca.issue(dir, "backend", "backend.test", BigInteger.TEN, "IP:127.0.0.1");
    TestCertificates.Issued mine = ca.issue(dir, "tandem-client", "tandem", BigInteger.TWO);
    int port = httpsBackend(cert, caFile).actualPort();
    assertThat(through("{ ca: \"" + caFile + "\" }", port).status()).isEqualTo(502);
    assertThat(through("{ ca: \"%s\", clientCert: \"%s\", clientKey: \"%s\" }".formatted(caFile, mine.cert(),
        mine.key()), port).body()).isEqualTo("secure /x");
  }

  @Test
  @DisplayName("the mirror's shadow pools take a backend's tls: CA, SNI name, client certificate, verify: false")
  void shadowTls() throws IOException {
    TestCertificates.Issued cert = ca.issue(dir, "shadow", "shadow.internal", BigInteger.TEN, "DNS:shadow.internal");
    TestCertificates.Issued mine = ca.issue(dir, "tandem-client", "tandem", BigInteger.TWO);
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    HttpServer shadow = await(h.vertx.createHttpServer(new HttpServerOptions().setSsl(true)
            .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.cert().toString())
                .setKeyPath(cert.key().toString()))
            .setClientAuth(ClientAuth.REQUIRED).setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString())))
        .requestHandler(req -> {
          seen.add(req.path());
          req.response().end("shadow");
        }).listen(0, "127.0.0.1"));
    String client = "clientCert: \"%s\", clientKey: \"%s\"".formatted(mine.cert(), mine.key());
    Tandem t = tandem("null", """
          named: { url: "https://127.0.0.1:%d", tls: { ca: "%s", sni: shadow.internal, %s } }
          unnamed: { url: "https://127.0.0.1:%d", tls: { ca: "%s", %s } }
          lax: { url: "https://127.0.0.1:%d", tls: { verify: false, %s } }
        """.formatted(shadow.actualPort(), caFile, client, shadow.actualPort(), caFile, client, shadow.actualPort(),
            client),
        ", mirror: { shadows: [ { backend: named }, { backend: unnamed }, { backend: lax } ], percent: 100 }");
    try (RawHttp c = new RawHttp(t.port())) {
      assertThat(get(c, "/mirrored").body()).startsWith("ok GET");
    }
    eventually("two shadows get the copy", () -> seen.size() == 2);
    eventually("the one reached by an address its certificate does not name fails", () -> t.mirroring().ledgers()
        .get("default").get(dev.tandem.proxy.mirror.Outcome.FAILED) == 1);
    assertThat(seen).containsExactly("/mirrored", "/mirrored");
  }

  /**
   * A primary, and a shadow on HTTPS whose certificate is from a CA Tandem was not given; every request mirrored.
   * {@code seen} gets what reached the shadow (nothing, when the handshake fails as it should).
   */
  private Tandem untrustedShadow(java.util.List<String> seen) {
    TestCertificates.Issued cert = otherCa.issue(dir, "shadow", "shadow.test", BigInteger.TEN, "IP:127.0.0.1");
    HttpServer shadow = await(h.vertx.createHttpServer(new HttpServerOptions().setSsl(true)
            .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.cert().toString())
                .setKeyPath(cert.key().toString())))
        .requestHandler(req -> {
          seen.add(req.method() + " " + req.path());
          req.response().end("shadow");
        }).listen(0, "127.0.0.1"));
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: "http://127.0.0.1:%d"
          untrusted: { url: "https://127.0.0.1:%d", tls: { ca: "%s" } }
        routes:
          - { name: default, primary: legacy, mirror: { backend: untrusted, percent: 100 } }
        deadLetters: { file: "%s" }
        """.formatted(TandemHarness.TOKEN, backend.port(), shadow.actualPort(), caFile, dir.resolve("dlq.jsonl")));
  }

  /** Every WARNING the mirror logs while it is open. */
  private static final class MirrorLog extends java.util.logging.Handler implements AutoCloseable {
    private final java.util.logging.Logger logger = java.util.logging.Logger.getLogger("dev.tandem.proxy.mirror");
    private final java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

    MirrorLog() {
      logger.addHandler(this);
    }

    @Override
    public void publish(java.util.logging.LogRecord r) {
      if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
        lines.add(r.getMessage());
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
      logger.removeHandler(this);
    }
  }

  @Test
  @DisplayName("a read mirrored to a shadow with an untrusted certificate: the client gets the primary's answer, the"
      + " copy is counted failed and the log says the certificate is not trusted")
  void shadowWrongCaRead() throws IOException {
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    Tandem t = untrustedShadow(seen);
    try (MirrorLog log = new MirrorLog()) {
      try (RawHttp c = new RawHttp(t.port())) {
        RawHttp.Response r = get(c, "/mirrored");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok GET /mirrored ");
      }
      eventually("the copy is counted failed", () -> t.mirroring().ledgers().get("default")
          .get(dev.tandem.proxy.mirror.Outcome.FAILED) == 1);
      eventually("the log names the reason", () -> !log.lines.isEmpty());
      assertThat(log.lines).singleElement().asString()
          .contains("route default, shadow untrusted: GET /mirrored failed: TLS: the backend's certificate is not"
              + " trusted");
    }
    assertThat(seen).isEmpty();
  }

  @Test
  @DisplayName("a write mirrored to a shadow with an untrusted certificate: the client gets the primary's answer, the"
      + " dead letter says the certificate is not trusted")
  void shadowWrongCaWrite() throws IOException {
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    Tandem t = untrustedShadow(seen);
    try (RawHttp c = new RawHttp(t.port())) {
      c.sendRaw("PUT /orders/9 HTTP/1.1\r\nHost: tandem.test\r\nContent-Length: 4\r\n\r\npaid");
      RawHttp.Response r = c.readResponse();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("ok PUT /orders/9 paid");
    }
    eventually("the copy is dead-lettered", () -> t.mirroring().ledgers().get("default")
        .get(dev.tandem.proxy.mirror.Outcome.DEAD_LETTERED) == 1);
    JsonObject letter = h.admin(t, io.vertx.core.http.HttpMethod.GET, "/admin/dlq", null).json()
        .getJsonArray("deadLetters").getJsonObject(0);
    assertThat(letter.getString("backend")).isEqualTo("untrusted");
    assertThat(letter.getString("reason"))
        .startsWith("TLS: the backend's certificate is not trusted (it does not chain to the configured ca)");
    assertThat(seen).isEmpty();
  }
}
