package dev.tandem.proxy.tls;

import dev.tandem.proxy.config.ListenerTls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Watches a listener's certificate, key and CA files and, when their content changes (a Kubernetes Secret rotated:
 * the files are swapped under their mount), hands the listener the new ones ({@link TlsMaterial}: read once,
 * checked, served as read). Connections already open keep their session; new handshakes get the new certificate.
 * A pair whose key does not match, as a rotation caught half-written, is not served, and is tried again at the next
 * check. Counts {@code tandem_tls_reloads_total{listener,result}} and shows the served certificate's expiry as
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
  private String fingerprint;
  private long timer = -1;
  private boolean checking;

  /**
   * @param served what the listener was started with
   * @param server any one of the listener's servers: servers sharing a port share their TLS context
   */
  public CertificateReloader(Vertx vertx, String listener, ListenerTls tls, TlsMaterial served, HttpServer server,
                             MeterRegistry registry) {
    this.vertx = vertx;
    this.listener = listener;
    this.tls = tls;
    this.server = server;
    this.fingerprint = served.fingerprint();
    this.expiry.set(served.expiry());
    this.reloaded = Counter.builder("tandem.tls.reloads").tag("listener", listener).tag("result", "reloaded")
        .description("Certificate reloads of a listener, by result").register(registry);
    this.failed = Counter.builder("tandem.tls.reloads").tag("listener", listener).tag("result", "failed")
        .description("Certificate reloads of a listener, by result").register(registry);
    Gauge.builder("tandem.tls.certificate.expiry.seconds", expiry, AtomicLong::get)
        .description("When the listener's certificate expires, in seconds since the epoch")
        .tag("listener", listener).register(registry);
  }

  /** Reads and checks a listener's files, on a worker thread. */
  public static Future<TlsMaterial> load(Vertx vertx, ListenerTls tls) {
    return vertx.executeBlocking(() -> TlsMaterial.read(vertx, tls), false);
  }

  /** Checks the files every {@code reload}; never with {@code reload: 0s}. */
  public void start() {
    if (!tls.reload().isZero()) {
      timer = vertx.setPeriodic(tls.reload().toMillis(), id -> check());
    }
  }

  /** Checks the files now; the future says whether a new certificate is being served. */
  public Future<Boolean> check() {
    if (checking) {
      return Future.succeededFuture(false);
    }
    checking = true;
    return load(vertx, tls)
        .compose(material -> {
          if (material.fingerprint().equals(fingerprint)) {
            return Future.succeededFuture(false);
          }
          return server.updateSSLOptions(material.options(), true).map(updated -> {
            fingerprint = material.fingerprint();
            expiry.set(material.expiry());
            reloaded.increment();
            LOG.info(() -> "tls: " + listener + " listener now serves certificate serial " + material.serial()
                + ", valid until " + java.time.Instant.ofEpochSecond(material.expiry()));
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
}
