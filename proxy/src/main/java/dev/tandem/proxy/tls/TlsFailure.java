package dev.tandem.proxy.tls;

/**
 * What went wrong in a TLS handshake with a backend, in words an operator acts on: the same for the primary's 502,
 * a shadow's failed copy and a dead-lettered write.
 */
public final class TlsFailure {

  private TlsFailure() {
  }

  /** The failure named (an untrusted certificate, a name mismatch, an expired one); null when it is not TLS's. */
  public static String describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof javax.net.ssl.SSLException) {
        String all = chain(failure);
        if (all.contains("PKIX path") || all.contains("unable to find valid certification path")) {
          return "TLS: the backend's certificate is not trusted (it does not chain to the configured ca): " + all;
        }
        if (all.contains("No subject alternative") || all.contains("No name matching")) {
          return "TLS: the backend's certificate does not name the host it was reached as (set tls.sni to the"
              + " name it has): " + all;
        }
        if (all.contains("expired") || all.contains("NotAfter")) {
          return "TLS: the backend's certificate has expired: " + all;
        }
        return "TLS handshake with the backend failed: " + all;
      }
    }
    return null;
  }

  private static String chain(Throwable failure) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = failure; t != null && b.length() < 400; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && b.indexOf(m) < 0) {
        b.append(b.length() == 0 ? "" : "; ").append(m);
      }
    }
    return b.toString();
  }
}
