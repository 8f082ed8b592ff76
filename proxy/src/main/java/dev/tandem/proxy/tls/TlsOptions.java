package dev.tandem.proxy.tls;

import dev.tandem.proxy.config.BackendConfig;
import dev.tandem.proxy.config.BackendTls;
import dev.tandem.proxy.config.ListenerTls;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.http.RequestOptions;

import java.util.LinkedHashSet;

/** Vert.x TLS options from Tandem's configuration, for listeners and for the pools that reach backends. */
public final class TlsOptions {

  private TlsOptions() {
  }

  /** Turns TLS on for a listener; HTTP/1.1 only (no ALPN) until HTTP/2 has edge rules of its own. */
  public static HttpServerOptions listener(HttpServerOptions options, ListenerTls tls) {
    if (tls == null) {
      return options;
    }
    ServerSSLOptions ssl = server(tls);
    options.setSsl(true)
        .setUseAlpn(false)
        .setKeyCertOptions(ssl.getKeyCertOptions())
        .setClientAuth(ssl.getClientAuth())
        .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols());
    if (ssl.getTrustOptions() != null) {
      options.setTrustOptions(ssl.getTrustOptions());
    }
    return options;
  }

  /** A listener's certificate, trust and protocols, as {@code HttpServer.updateSSLOptions} takes them. */
  public static ServerSSLOptions server(ListenerTls tls) {
    ServerSSLOptions ssl = new ServerSSLOptions()
        .setKeyCertOptions(keyCert(tls))
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(tls.protocols()))
        .setClientAuth(switch (tls.clientAuth()) {
          case ListenerTls.CLIENT_AUTH_REQUIRED -> ClientAuth.REQUIRED;
          case ListenerTls.CLIENT_AUTH_REQUEST -> ClientAuth.REQUEST;
          default -> ClientAuth.NONE;
        });
    if (tls.clientCa() != null) {
      ssl.setTrustOptions(new PemTrustOptions().addCertPath(tls.clientCa()));
    }
    return ssl;
  }

  static KeyCertOptions keyCert(ListenerTls tls) {
    if (tls.keyStore() != null) {
      return new KeyStoreOptions().setType(tls.keyStoreType()).setPath(tls.keyStore())
          .setPassword(tls.keyStorePassword());
    }
    return new PemKeyCertOptions().setCertPath(tls.cert()).setKeyPath(tls.key());
  }

  /**
   * TLS towards one backend: its CA (or the JVM's trust), the name checked and sent as SNI, a client certificate.
   * {@code verify: false} trusts any certificate; the configuration loader warns about it.
   */
  public static HttpClientOptions backend(HttpClientOptions options, BackendConfig backend) {
    BackendTls tls = backend.tls();
    if (tls == null) {
      return options.setSsl(false);
    }
    options.setSsl(true)
        .setForceSni(true)
        .setEnabledSecureTransportProtocols(new LinkedHashSet<>(tls.protocols()));
    if (tls.verify()) {
      options.setVerifyHost(true);
      if (tls.ca() != null) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(tls.ca()));
      }
    } else {
      options.setTrustAll(true).setVerifyHost(false);
    }
    if (tls.clientCert() != null) {
      options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.clientCert()).setKeyPath(tls.clientKey()));
    }
    return options;
  }

  /** Where a request to {@code backend} goes: its host and port, and with {@code sni} the TLS name sent and checked. */
  public static RequestOptions address(RequestOptions options, BackendConfig backend) {
    options.setPort(backend.port()).setSsl(backend.ssl());
    String sni = backend.tls() == null ? null : backend.tls().sni();
    if (sni == null) {
      return options.setHost(backend.host());
    }
    return options.setServer(SocketAddress.inetSocketAddress(backend.port(), backend.host())).setHost(sni);
  }
}
