package dev.tandem.proxy.tls;

import dev.tandem.proxy.config.ListenerTls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/**
 * Watches a listener's certificate, key and CA files and, when their content changes (a Kubernetes Secret rotated:
 * the files are swapped under their mount), hands the listener the new ones. Connections already open keep their
 * session; new handshakes get the new certificate. A new pair is checked first — the key must sign what the
 * certificate's public key verifies — so a rotation caught half-written is retried at the next check rather than
 * served. Counts {@code tandem_tls_reloads_total{listener,result}} and shows the served certificate's expiry as
 * {@code tandem_tls_certificate_expiry_seconds{listener}} (seconds since the epoch).
 */
public final class CertificateReloader {

  private static final Logger LOG = Logger.getLogger(CertificateReloader.class.getName());

  private final Vertx vertx;
  private final String listener;
  private final ListenerTls tls;
  private final HttpServer server;
  private final Counter reloaded;
  private final Counter failed;
  private final AtomicLong expiry = new AtomicLong();
  private volatile String fingerprint;
  private long timer = -1;
  private boolean checking;

  /** @param server any one of the listener's servers: servers sharing a port share their TLS context */
  public CertificateReloader(Vertx vertx, String listener, ListenerTls tls, HttpServer server,
                             MeterRegistry registry) {
    this.vertx = vertx;
    this.listener = listener;
    this.tls = tls;
    this.server = server;
    this.reloaded = Counter.builder("tandem.tls.reloads").tag("listener", listener).tag("result", "reloaded")
        .description("Certificate reloads of a listener, by result").register(registry);
    this.failed = Counter.builder("tandem.tls.reloads").tag("listener", listener).tag("result", "failed")
        .description("Certificate reloads of a listener, by result").register(registry);
    Gauge.builder("tandem.tls.certificate.expiry.seconds", expiry, AtomicLong::get)
        .description("When the listener's certificate expires, in seconds since the epoch")
        .tag("listener", listener).register(registry);
  }

  /** Reads the files once (for the expiry and the first fingerprint), then checks them every {@code reload}. */
  public Future<Void> start() {
    return vertx.executeBlocking(this::inspect, false).map(state -> {
      fingerprint = state.fingerprint();
      expiry.set(state.expiry());
      if (!tls.reload().isZero()) {
        timer = vertx.setPeriodic(tls.reload().toMillis(), id -> check());
      }
      return null;
    });
  }

  /** Checks the files now; the future says whether a new certificate is being served. */
  public Future<Boolean> check() {
    if (checking) {
      return Future.succeededFuture(false);
    }
    checking = true;
    return vertx.executeBlocking(this::inspect, false)
        .compose(state -> {
          if (state.fingerprint().equals(fingerprint)) {
            return Future.succeededFuture(false);
          }
          return server.updateSSLOptions(TlsOptions.server(tls), true).map(updated -> {
            fingerprint = state.fingerprint();
            expiry.set(state.expiry());
            reloaded.increment();
            LOG.info(() -> "tls: " + listener + " listener now serves certificate serial " + state.serial()
                + ", valid until " + java.time.Instant.ofEpochSecond(state.expiry()));
            return true;
          });
        })
        .recover(failure -> {
          failed.increment();
          LOG.warning(() -> "tls: " + listener + " listener keeps its certificate; the new files cannot be used: "
              + failure.getMessage());
          return Future.succeededFuture(false);
        })
        .andThen(ar -> checking = false);
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private record State(String fingerprint, long expiry, String serial) {
  }

  /** Blocking: reads every file, and checks that the key matches the certificate. */
  private State inspect() throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (String f : tls.files()) {
      digest.update(Files.readAllBytes(Path.of(f)));
      digest.update((byte) 0);
    }
    KeyManagerFactory factory = TlsOptions.keyCert(tls).getKeyManagerFactory(vertx);
    X509KeyManager keys = Arrays.stream(factory.getKeyManagers()).filter(k -> k instanceof X509KeyManager)
        .map(k -> (X509KeyManager) k).findFirst().orElseThrow(() -> new IllegalStateException("no key manager"));
    String alias = firstAlias(keys);
    PrivateKey key = keys.getPrivateKey(alias);
    X509Certificate[] chain = keys.getCertificateChain(alias);
    if (key == null || chain == null || chain.length == 0) {
      throw new IllegalStateException("no certificate with its private key");
    }
    matches(key, chain[0]);
    return new State(HexFormat.of().formatHex(digest.digest()), chain[0].getNotAfter().toInstant().getEpochSecond(),
        chain[0].getSerialNumber().toString(16));
  }

  private static String firstAlias(X509KeyManager keys) {
    for (String type : new String[] {"RSA", "EC", "EdDSA", "Ed25519", "DSA"}) {
      String[] aliases = keys.getServerAliases(type, null);
      if (aliases != null && aliases.length > 0) {
        return aliases[0];
      }
    }
    throw new IllegalStateException("the key store holds no private key");
  }

  /** Fails unless {@code key} signs what the certificate's public key verifies. */
  private static void matches(PrivateKey key, X509Certificate cert) throws Exception {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "DSA" -> "SHA256withDSA";
      default -> key.getAlgorithm(); // EdDSA, Ed25519, Ed448 sign as themselves
    };
    byte[] challenge = KeyStore.class.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(challenge);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(cert.getPublicKey());
    verifier.update(challenge);
    if (!verifier.verify(signature)) {
      throw new IllegalStateException("the private key does not belong to the certificate (serial "
          + cert.getSerialNumber().toString(16) + ")");
    }
  }
}
