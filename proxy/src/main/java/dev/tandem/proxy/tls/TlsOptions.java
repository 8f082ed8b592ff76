package dev.tandem.proxy.tls;

import dev.tandem.proxy.config.BackendConfig;
import dev.tandem.proxy.config.BackendTls;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
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

  /** Turns TLS on for a listener with checked material; HTTP/1.1 only (no ALPN). */
  public static HttpServerOptions listener(HttpServerOptions options, TlsMaterial material) {
    return listener(options, material, false);
  }

  /**
   * Turns TLS on for a listener with checked material.
   *
   * @param http2 offer HTTP/2 by ALPN ({@code h2}, then {@code http/1.1}); false for HTTP/1.1 only
   */
  public static HttpServerOptions listener(HttpServerOptions options, TlsMaterial material, boolean http2) {
    if (material == null) {
      return options;
    }
    ServerSSLOptions ssl = material.options();
    options.setSsl(true)
        .setUseAlpn(http2)
        .setKeyCertOptions(ssl.getKeyCertOptions())
        .setClientAuth(ssl.getClientAuth())
        .setEnabledSecureTransportProtocols(ssl.getEnabledSecureTransportProtocols());
    if (ssl.getTrustOptions() != null) {
      options.setTrustOptions(ssl.getTrustOptions());
    }
    return options;
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
    if (backend.protocol().equals(BackendConfig.H2)) {
      options.setUseAlpn(true); // h2 offered, nothing else: a backend that cannot speak it fails the handshake
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
