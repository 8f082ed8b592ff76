package dev.tandem.proxy.config;

/**
 * HTTP/2 from clients to the data-plane listener ({@code server.http2}). HTTP/1.1 and HTTP/2 clients share the port:
 * over TLS the client chooses by ALPN; in cleartext by sending HTTP/2's connection preface first (prior knowledge),
 * or, when allowed, by asking to upgrade an HTTP/1.1 request ({@code Upgrade: h2c}).
 *
 * @param enabled              offer {@code h2} by ALPN on a TLS listener, and take cleartext HTTP/2 as below
 * @param priorKnowledge       cleartext clients may open with the HTTP/2 preface (gRPC without TLS does)
 * @param upgrade              cleartext HTTP/1.1 requests may ask {@code Upgrade: h2c}; off by default: RFC 9113
 *                             deprecates it, and a proxy in front that passes the header on lets its clients leave
 *                             HTTP/1.1 behind its back ("h2c smuggling")
 * @param maxConcurrentStreams streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param maxHeaderListSize    the decoded header list of one request, in bytes (SETTINGS_MAX_HEADER_LIST_SIZE)
 * @param initialWindowSize    per stream, bytes a client may send before Tandem reads them (SETTINGS_INITIAL_WINDOW_SIZE)
 * @param connectionWindowSize per connection, likewise, over all its streams
 * @param maxResetsPerWindow   stream resets a client may send in {@code resetWindowSeconds} before the connection is
 *                             closed (the "rapid reset" attack, CVE-2023-44487)
 */
public record Http2Config(boolean enabled, boolean priorKnowledge, boolean upgrade, int maxConcurrentStreams,
                          int maxHeaderListSize, int initialWindowSize, int connectionWindowSize,
                          int maxResetsPerWindow, int resetWindowSeconds) {

  /** As Envoy's and NGINX's defaults (100 and 128) */
  public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
  /** RFC 9113's default initial window */
  public static final int DEFAULT_INITIAL_WINDOW_SIZE = 65_535;
  public static final int DEFAULT_CONNECTION_WINDOW_SIZE = 1024 * 1024;
  /** Vert.x's defaults */
  public static final int DEFAULT_MAX_RESETS = 200;
  public static final int DEFAULT_RESET_WINDOW_SECONDS = 30;

  /** The defaults for a listener whose header limit is {@code maxHeaderBytes}. */
  public static Http2Config defaults(int maxHeaderBytes) {
    return new Http2Config(true, true, false, DEFAULT_MAX_CONCURRENT_STREAMS, maxHeaderBytes,
        DEFAULT_INITIAL_WINDOW_SIZE, DEFAULT_CONNECTION_WINDOW_SIZE, DEFAULT_MAX_RESETS, DEFAULT_RESET_WINDOW_SECONDS);
  }

  /** Whether cleartext HTTP/2 is taken at all. */
  public boolean cleartext() {
    return enabled && (priorKnowledge || upgrade);
  }
}
