package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.List;

/**
 * TLS on a listener (the data plane's or the admin's).
 *
 * @param cert              PEM certificate chain; null when a key store is given
 * @param key               PEM private key (PKCS#8 or PKCS#1); null when a key store is given
 * @param keyStore          a PKCS#12 or JKS key store instead of PEM files; null for PEM
 * @param keyStorePassword  the key store's password; null for none
 * @param keyStoreType      {@code PKCS12} or {@code JKS}
 * @param protocols         enabled protocol versions
 * @param reload            how often the files are checked for a new certificate; zero for never
 * @param clientAuth        {@code none}, {@code request} or {@code required}
 * @param clientCa          PEM certificates that client certificates must chain to; null without client auth
 * @param forwardClientCert whether the backend is told who the client is ({@code X-Forwarded-Client-Cert})
 */
public record ListenerTls(String cert, String key, String keyStore, String keyStorePassword, String keyStoreType,
                          List<String> protocols, Duration reload, String clientAuth, String clientCa,
                          boolean forwardClientCert) {

  public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");
  public static final List<String> PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");
  public static final Duration DEFAULT_RELOAD = Duration.ofSeconds(10);
  public static final String CLIENT_AUTH_NONE = "none";
  public static final String CLIENT_AUTH_REQUEST = "request";
  public static final String CLIENT_AUTH_REQUIRED = "required";

  public ListenerTls {
    protocols = List.copyOf(protocols);
  }

  /** The files whose change means a new certificate or trust. */
  public List<String> files() {
    List<String> files = new java.util.ArrayList<>();
    for (String f : new String[] {cert, key, keyStore, clientCa}) {
      if (f != null) {
        files.add(f);
      }
    }
    return files;
  }
}
