package dev.tandem.proxy.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Reads what faces the network: the listener's limits and TLS on listeners and towards backends. */
final class EdgeReader {

  private static final List<String> FRAMINGS = List.of("reject", "chunked");
  private static final List<String> CLIENT_AUTH = List.of(ListenerTls.CLIENT_AUTH_NONE,
      ListenerTls.CLIENT_AUTH_REQUEST, ListenerTls.CLIENT_AUTH_REQUIRED);

  private EdgeReader() {
  }

  static EdgeLimits limits(Node n) {
    EdgeLimits d = EdgeLimits.DEFAULT;
    Duration header = positive(n, "headerTimeout", d.headerTimeout());
    Duration body = positive(n, "bodyTimeout", d.bodyTimeout());
    long rate = n.bytes("minBodyRate", d.minBodyRate());
    int headerBytes = (int) Math.min(Integer.MAX_VALUE, n.bytes("maxHeaderBytes", d.maxHeaderBytes()));
    if (headerBytes < 1024) {
      n.error("maxHeaderBytes", "must be at least 1KB, got " + headerBytes);
    }
    int headerCount = n.integer("maxHeaderCount", d.maxHeaderCount(), 8, 10_000);
    int uri = (int) Math.min(Integer.MAX_VALUE, n.bytes("maxUriLength", d.maxUriLength()));
    if (uri < 256) {
      n.error("maxUriLength", "must be at least 256, got " + uri);
    }
    int connections = n.integer("maxConnections", d.maxConnections(), 1, 10_000_000);
    long bodyBytes = n.bytes("maxBodyBytes", d.maxBodyBytes());
    boolean chunkedWins = n.oneOf("contentLengthWithChunked", "reject", FRAMINGS).equals("chunked");
    boolean keepUnderscores = n.oneOf("headersWithUnderscores", "drop", List.of("drop", "keep")).equals("keep");
    long buffers = n.bytes("requestBufferBytes", d.requestBufferBytes());
    Duration bufferTimeout = positive(n, "requestBufferTimeout", d.requestBufferTimeout());
    return new EdgeLimits(header, body, rate, headerBytes, headerCount, uri, connections, bodyBytes, chunkedWins,
        keepUnderscores, buffers, bufferTimeout);
  }

  /** {@code server.http2}: HTTP/2 from clients. */
  static Http2Config http2(Node n, int maxHeaderBytes) {
    Http2Config d = Http2Config.defaults(maxHeaderBytes);
    boolean enabled = n.bool("enabled", d.enabled());
    Node clear = n.child("cleartext");
    boolean priorKnowledge = clear.bool("priorKnowledge", d.priorKnowledge());
    boolean upgrade = clear.bool("upgrade", d.upgrade());
    clear.rejectUnknownKeys();
    int streams = n.integer("maxConcurrentStreams", d.maxConcurrentStreams(), 1, 100_000);
    int headerList = (int) Math.min(Integer.MAX_VALUE, n.bytes("maxHeaderListSize", d.maxHeaderListSize()));
    if (headerList < 1024) {
      n.error("maxHeaderListSize", "must be at least 1KB, got " + headerList);
    }
    // RFC 9113 §6.5.2: a window is at most 2^31-1; below 16KB a stream crawls.
    int window = window(n, "initialWindowSize", d.initialWindowSize());
    int connection = window(n, "connectionWindowSize", d.connectionWindowSize());
    Node resets = n.child("resets");
    int maxResets = resets.integer("max", d.maxResetsPerWindow(), 1, 1_000_000);
    Duration per = positive(resets, "per", Duration.ofSeconds(d.resetWindowSeconds()));
    resets.rejectUnknownKeys();
    n.rejectUnknownKeys();
    return new Http2Config(enabled, priorKnowledge, upgrade, streams, headerList, window, connection, maxResets,
        (int) Math.max(1, per.toSeconds()));
  }

  private static int window(Node n, String key, int defaultValue) {
    long v = n.bytes(key, defaultValue);
    if (v < 16 * 1024 || v > Integer.MAX_VALUE) {
      n.error(key, "must be between 16KB and 2147483647 bytes, got " + v);
      return defaultValue;
    }
    return (int) v;
  }

  /** {@code tls:} of a listener; null when absent. */
  static ListenerTls listener(Node n) {
    if (!n.isPresent()) {
      return null;
    }
    String cert = file(n, "cert");
    String key = file(n, "key");
    Node store = n.child("keyStore");
    String keyStore = null;
    String password = null;
    String type = "PKCS12";
    if (store.isPresent()) {
      keyStore = file(store, "path");
      if (keyStore == null && !store.has("path")) {
        store.error("path", "is required");
      }
      password = store.string("password", null);
      type = store.oneOf("type", "PKCS12", List.of("PKCS12", "JKS"));
      store.rejectUnknownKeys();
    }
    if (keyStore == null && !store.isPresent()) {
      if (cert == null && !n.has("cert")) {
        n.error("cert", "is required (a PEM certificate chain), or give keyStore: { path, password }");
      }
      if (key == null && !n.has("key")) {
        n.error("key", "is required (the PEM private key of cert)");
      }
    } else if (n.has("cert") || n.has("key")) {
      n.error("keyStore", "give either cert and key, or keyStore, not both");
    }
    List<String> protocols = protocols(n);
    Duration reload = n.duration("reload", ListenerTls.DEFAULT_RELOAD);
    String clientAuth = n.oneOf("clientAuth", ListenerTls.CLIENT_AUTH_NONE, CLIENT_AUTH);
    String clientCa = file(n, "clientCa");
    if (!clientAuth.equals(ListenerTls.CLIENT_AUTH_NONE) && clientCa == null && !n.has("clientCa")) {
      n.error("clientCa", "is required with clientAuth: " + clientAuth + " (the PEM CA that client certificates"
          + " must chain to)");
    }
    boolean forward = n.bool("forwardClientCert", !clientAuth.equals(ListenerTls.CLIENT_AUTH_NONE));
    n.rejectUnknownKeys();
    return new ListenerTls(cert, key, keyStore, password, type, protocols, reload, clientAuth, clientCa, forward);
  }

  /** {@code tls:} of a backend; the defaults for an https URL without one; null for plain http. */
  static BackendTls backend(Node n, boolean https) {
    if (!n.isPresent()) {
      return https ? BackendTls.DEFAULT : null;
    }
    if (!https) {
      n.error("only applies to an https:// URL; change the backend's url to https://...");
    }
    String ca = file(n, "ca");
    boolean verify = n.bool("verify", true);
    if (!verify) {
      n.warn("verify", "false: any certificate is accepted, so anyone on the path can pose as this backend");
    }
    String sni = n.string("sni", null);
    String clientCert = file(n, "clientCert");
    String clientKey = file(n, "clientKey");
    if ((n.has("clientCert")) != (n.has("clientKey"))) {
      n.error(n.has("clientCert") ? "clientKey" : "clientCert", "is required with "
          + (n.has("clientCert") ? "clientCert" : "clientKey"));
    }
    List<String> protocols = protocols(n);
    n.rejectUnknownKeys();
    return new BackendTls(ca, verify, sni, clientCert, clientKey, protocols);
  }

  private static List<String> protocols(Node n) {
    if (!n.has("protocols")) {
      return ListenerTls.DEFAULT_PROTOCOLS;
    }
    List<String> out = new java.util.ArrayList<>();
    for (String p : n.strings("protocols")) {
      String known = ListenerTls.PROTOCOLS.stream().filter(k -> k.equalsIgnoreCase(p.trim())).findFirst()
          .orElse(null);
      if (known == null) {
        n.error("protocols", "'" + p + "' is not supported; use TLSv1.2 and/or TLSv1.3");
      } else {
        out.add(known);
      }
    }
    if (out.isEmpty() && n.strings("protocols").isEmpty()) {
      n.error("protocols", "list at least one of TLSv1.2, TLSv1.3");
    }
    return out.isEmpty() ? ListenerTls.DEFAULT_PROTOCOLS : out;
  }

  /** A file that must exist and be readable now; null when not given or not usable (the problem is noted). */
  private static String file(Node n, String key) {
    String f = n.string(key, null);
    if (f == null) {
      return null;
    }
    Path p = Path.of(f);
    if (!Files.exists(p)) {
      n.error(key, "no such file: " + f);
      return null;
    }
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      n.error(key, "cannot be read: " + f);
      return null;
    }
    return f;
  }

  private static Duration positive(Node n, String key, Duration d) {
    Duration v = n.duration(key, d);
    if (v.isZero() || v.isNegative()) {
      n.error(key, "must be longer than 0");
      return d;
    }
    return v;
  }
}
