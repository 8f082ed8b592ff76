package dev.tandem.proxy.edge;

import java.util.Locale;

/**
 * Why a request was refused at the edge, before any backend, the mirror, the comparator or a capture saw it. Each
 * rule is a label of {@code tandem_rejected_requests_total{reason}} and the {@code rule} of the JSON answer.
 */
public enum EdgeRule {

  CONTENT_LENGTH_WITH_TRANSFER_ENCODING(400, "Content-Length and Transfer-Encoding together (RFC 9112 §6.1)"),
  TRANSFER_ENCODING_REPEATED(400, "more than one Transfer-Encoding field (RFC 9112 §6.1)"),
  TRANSFER_ENCODING_UNSUPPORTED(501, "a transfer coding other than chunked (RFC 9112 §6.1)"),
  CHUNKED_NOT_FINAL(400, "chunked is not the final transfer coding, or is applied twice (RFC 9112 §6.3)"),
  TRANSFER_ENCODING_IN_HTTP10(400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)"),
  CONTENT_LENGTH_INVALID(400, "Content-Length is not a decimal number (RFC 9110 §8.6)"),
  CONTENT_LENGTH_REPEATED(400, "more than one Content-Length value (RFC 9112 §6.3)"),
  INVALID_CHUNK(400, "a chunk size, extension or delimiter is not valid (RFC 9112 §7.1)"),
  OBS_FOLD(400, "a header line folded onto the one before (obs-fold, RFC 9112 §5.2)"),
  UPGRADE_WITH_BODY(400, "a protocol upgrade with a request body, which the tunnel could not frame"),
  HOST_MISSING(400, "an HTTP/1.1 request without Host (RFC 9112 §3.2)"),
  HOST_REPEATED(400, "more than one Host field (RFC 9112 §3.2)"),
  HOST_INVALID(400, "Host, or the authority of the request target, is not a valid host[:port] (RFC 9112 §3.2)"),
  CONNECTION_NAMES_FRAMING_HEADER(400,
      "Connection names a header that frames or routes the request: Content-Length, Transfer-Encoding or Host"),
  HTTP_VERSION_UNSUPPORTED(505, "only HTTP/1.0 and HTTP/1.1 are served on this connection"),
  URI_TOO_LONG(414, "the request target is longer than server.maxUriLength"),
  HEADERS_TOO_LARGE(431, "the header fields are larger than server.maxHeaderBytes"),
  TOO_MANY_HEADERS(431, "more header fields than server.maxHeaderCount"),
  MALFORMED_REQUEST(400, "the request line or a header field is not valid HTTP/1.1 (RFC 9112 §2-5)"),
  HEADER_TIMEOUT(408, "the request head did not arrive within server.headerTimeout"),
  BODY_TIMEOUT(408, "no request body bytes arrived for server.bodyTimeout"),
  BODY_TOO_SLOW(408, "the request body arrived slower than server.minBodyRate"),
  BODY_TOO_LARGE(413, "the request body is larger than the route's maxBodyBytes"),
  REQUEST_BUFFER_TIMEOUT(408, "a body held whole (requestBuffering) did not end within server.requestBufferTimeout"),
  REQUEST_BUFFERS_FULL(503, "the request bodies held for routes with requestBuffering already fill"
      + " server.requestBufferBytes"),
  TOO_MANY_CONNECTIONS(503, "server.maxConnections client connections are already open");

  private final int status;
  private final String description;

  EdgeRule(int status, String description) {
    this.status = status;
    this.description = description;
  }

  public int status() {
    return status;
  }

  public String description() {
    return description;
  }

  /** The metric label and JSON name: {@code content_length_with_transfer_encoding}. */
  public String reason() {
    return name().toLowerCase(Locale.ROOT);
  }
}
