package dev.tandem.proxy.http;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Appends this hop to {@code X-Forwarded-For}, {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}, keeping what
 * earlier proxies wrote (as NGINX's {@code $proxy_add_x_forwarded_for} does), folded into one header each. With
 * client certificates forwarded, {@code X-Forwarded-Client-Cert} says who the client is, in Envoy's format
 * ({@code Hash=<sha256 of the DER>;Subject="<DN>"}); a value that came with the request is always dropped.
 */
final class ForwardedHeaders {

  static final String CLIENT_CERT = "X-Forwarded-Client-Cert";

  private final boolean forwardClientCert;

  ForwardedHeaders(boolean forwardClientCert) {
    this.forwardClientCert = forwardClientCert;
  }

  /** The client's peer certificates, as its TLS session has them. */
  @FunctionalInterface
  interface PeerCertificates {
    List<Certificate> get() throws SSLPeerUnverifiedException;
  }

  void append(HttpServerRequest request, MultiMap out) {
    SocketAddress remote = request.remoteAddress();
    append(out, remote == null ? "unknown" : remote.hostAddress(), request.isSSL(), HopByHop.host(request),
        () -> request.connection().peerCertificates());
  }

  /**
   * @param client the client's address
   * @param host   the Host the client sent; null when none
   */
  void append(MultiMap out, String client, boolean ssl, String host, PeerCertificates certificates) {
    appendTo(out, "X-Forwarded-For", client);
    appendTo(out, "X-Forwarded-Proto", ssl ? "https" : "http");
    if (host != null) {
      appendTo(out, "X-Forwarded-Host", host);
    }
    // Whoever sent one, the backend hears who the client is from Tandem only (Envoy's SANITIZE).
    out.remove(CLIENT_CERT);
    if (forwardClientCert) {
      String cert = clientCert(certificates);
      if (cert != null) {
        out.set(CLIENT_CERT, cert);
      }
    }
  }

  private static String clientCert(PeerCertificates certificates) {
    try {
      List<Certificate> chain = certificates.get();
      if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate cert)) {
        return null;
      }
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
      String subject = cert.getSubjectX500Principal().getName().replace("\\", "\\\\").replace("\"", "\\\"");
      return "Hash=" + hash + ";Subject=\"" + subject + "\"";
    } catch (SSLPeerUnverifiedException e) {
      return null; // clientAuth: request, and the client sent none
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void appendTo(MultiMap headers, String name, String value) {
    String first = headers.get(name);
    if (first == null) {
      headers.set(name, value);
      return;
    }
    var all = headers.getAll(name);
    headers.set(name, (all.size() == 1 ? first : String.join(", ", all)) + ", " + value);
  }
}
