package dev.tandem.proxy.config;

import java.time.Duration;

/**
 * What the data-plane listener accepts from a client before anything is forwarded: deadlines for slow clients,
 * sizes, and how an ambiguous framing is treated. The defaults are meant for a listener facing the internet.
 *
 * @param headerTimeout    the whole request head must arrive within this, counted from its first byte
 * @param bodyTimeout      longest silence while Tandem is reading a request body
 * @param minBodyRate      bytes per second a body must average once {@code bodyTimeout} has passed; 0 for none
 * @param maxHeaderBytes   the request head's header lines, in bytes (431 beyond)
 * @param maxHeaderCount   header lines in a request head (431 beyond)
 * @param maxUriLength     the request target, in bytes (414 beyond)
 * @param maxConnections   open client connections over all event loops; more are refused
 * @param maxBodyBytes     a request body, for routes that set no {@code maxBodyBytes} of their own (413 beyond)
 * @param chunkedWins      for {@code Content-Length} with {@code Transfer-Encoding: chunked}: false answers 400;
 *                         true forwards by the chunked framing, without the Content-Length, and closes afterwards
 * @param keepUnderscores  pass header names with an underscore on; false drops them (as NGINX does), since CGI-style
 *                         backends read {@code X_Forwarded_For} as {@code X-Forwarded-For}
 * @param requestBufferBytes the request bodies held at once, over all event loops, for routes with
 *                         {@code requestBuffering} (503 beyond)
 * @param requestBufferTimeout a body held whole must end within this of its head (408 beyond), so that a slow upload
 *                         cannot keep its share of {@code requestBufferBytes} for as long as it keeps the minimum rate
 */
public record EdgeLimits(Duration headerTimeout, Duration bodyTimeout, long minBodyRate, int maxHeaderBytes,
                         int maxHeaderCount, int maxUriLength, int maxConnections, long maxBodyBytes,
                         boolean chunkedWins, boolean keepUnderscores, long requestBufferBytes,
                         Duration requestBufferTimeout) {

  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(30);
  /** As Apache's mod_reqtimeout: 500 bytes a second. */
  public static final long DEFAULT_MIN_BODY_RATE = 500;
  /** As NGINX's large_client_header_buffers (4 × 8k). */
  public static final int DEFAULT_MAX_HEADER_BYTES = 32 * 1024;
  /** As Envoy's max_request_headers_count. */
  public static final int DEFAULT_MAX_HEADER_COUNT = 100;
  /** As NGINX's 8k request line. */
  public static final int DEFAULT_MAX_URI_LENGTH = 8 * 1024;
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  public static final long DEFAULT_MAX_BODY_BYTES = 100L * 1024 * 1024;
  public static final long DEFAULT_REQUEST_BUFFER_BYTES = 64L * 1024 * 1024;
  public static final Duration DEFAULT_REQUEST_BUFFER_TIMEOUT = Duration.ofSeconds(30);

  public static final EdgeLimits DEFAULT = new EdgeLimits(DEFAULT_HEADER_TIMEOUT, DEFAULT_BODY_TIMEOUT,
      DEFAULT_MIN_BODY_RATE, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER_COUNT, DEFAULT_MAX_URI_LENGTH,
      DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_BODY_BYTES, false, false, DEFAULT_REQUEST_BUFFER_BYTES,
      DEFAULT_REQUEST_BUFFER_TIMEOUT);
}
