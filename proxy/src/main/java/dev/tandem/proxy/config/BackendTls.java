package dev.tandem.proxy.config;

import java.util.List;

/**
 * TLS from Tandem to one backend (and to it as a shadow).
 *
 * @param ca         PEM certificates the backend's must chain to; null for the JVM's default trust
 * @param verify     check the backend's certificate and name; false trusts anything (a warning says so)
 * @param sni        the name sent as SNI and checked against the certificate; null for the URL's host
 * @param clientCert PEM certificate Tandem presents to the backend; null for none
 * @param clientKey  its private key
 * @param protocols  enabled protocol versions
 */
public record BackendTls(String ca, boolean verify, String sni, String clientCert, String clientKey,
                         List<String> protocols) {

  public static final BackendTls DEFAULT = new BackendTls(null, true, null, null, null, ListenerTls.DEFAULT_PROTOCOLS);

  public BackendTls {
    protocols = List.copyOf(protocols);
  }
}
