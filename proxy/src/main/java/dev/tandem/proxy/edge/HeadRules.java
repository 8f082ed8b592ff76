package dev.tandem.proxy.edge;

import dev.tandem.proxy.config.EdgeLimits;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

import java.util.List;

/**
 * The checks a request head must pass before anything is forwarded: its framing (RFC 9112 §6), its Host (§3.2),
 * its size and its Connection header. A request that passes may have been made unambiguous on the way: an
 * absolute-form target's authority replaces Host (§3.2.2), and with {@code contentLengthWithChunked: chunked} a
 * Content-Length beside chunked is removed and the connection closed after the answer.
 */
final class HeadRules {

  private static final java.util.regex.Pattern VERSION = java.util.regex.Pattern.compile("HTTP/\\d\\.\\d");
  private static final String[] KNOWN_CODINGS = {"gzip", "x-gzip", "deflate", "compress", "x-compress"};

  private HeadRules() {
  }

  /**
   * @param lines the field lines of the head as they were on the wire, before Netty folded or dropped any
   * @return null when the head may be forwarded
   */
  static Rejected check(HttpRequest request, StrictRequestDecoder lines, EdgeLimits limits) {
    HttpVersion version = request.protocolVersion();
    if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
      // Netty makes a version of any NAME/x.y, in any case: only the two exact ones are HTTP/1.x here.
      String v = version.text();
      return VERSION.matcher(v).matches() && !v.equals("HTTP/1.0") && !v.equals("HTTP/1.1")
          ? new Rejected(EdgeRule.HTTP_VERSION_UNSUPPORTED, "got " + printable(v))
          : new Rejected(EdgeRule.MALFORMED_REQUEST, "the version must be exactly HTTP/1.0 or HTTP/1.1");
    }
    String uri = request.uri();
    if (uri.length() > limits.maxUriLength()) {
      return new Rejected(EdgeRule.URI_TOO_LONG, uri.length() + " bytes, at most " + limits.maxUriLength());
    }
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        return new Rejected(EdgeRule.MALFORMED_REQUEST, "the request target has a control character at " + i);
      }
    }
    if (lines.folded()) {
      return new Rejected(EdgeRule.OBS_FOLD, "");
    }
    if (lines.emptyName()) {
      return new Rejected(EdgeRule.MALFORMED_REQUEST, "a header field without a name");
    }
    HttpHeaders headers = request.headers();
    if (lines.fieldLines() > limits.maxHeaderCount()) {
      return new Rejected(EdgeRule.TOO_MANY_HEADERS, lines.fieldLines() + " fields, at most "
          + limits.maxHeaderCount());
    }
    Rejected r = host(request, lines);
    if (r == null) {
      r = connection(headers, lines);
    }
    if (r == null) {
      r = framing(request, lines, limits);
    }
    if (r == null && lines.upgradeLines() > 0 && (lines.transferEncodingLines() > 0
        || (lines.contentLengthLines() > 0 && !"0".equals(headers.get(HttpHeaderNames.CONTENT_LENGTH).trim())))) {
      r = new Rejected(EdgeRule.UPGRADE_WITH_BODY, "Upgrade: " + printable(headers.get(HttpHeaderNames.UPGRADE)));
    }
    if (r == null && lines.underscoreNames() > 0 && !limits.keepUnderscores()) {
      dropUnderscores(headers);
    }
    return r;
  }

  /** Drops header names with an underscore, which CGI-style backends cannot tell from their dashed namesakes. */
  private static void dropUnderscores(HttpHeaders headers) {
    List<String> names = new java.util.ArrayList<>();
    for (String name : headers.names()) {
      if (name.indexOf('_') >= 0) {
        names.add(name);
      }
    }
    names.forEach(headers::remove);
  }

  private static Rejected host(HttpRequest request, StrictRequestDecoder lines) {
    HttpHeaders headers = request.headers();
    if (lines.hostLines() > 1) {
      return new Rejected(EdgeRule.HOST_REPEATED, lines.hostLines() + " Host fields");
    }
    String host = headers.get(HttpHeaderNames.HOST);
    if (host == null && request.protocolVersion() == HttpVersion.HTTP_1_1) {
      return new Rejected(EdgeRule.HOST_MISSING, "");
    }
    if (host != null && !validAuthority(host.trim())) {
      return new Rejected(EdgeRule.HOST_INVALID, "Host '" + printable(host) + "'");
    }
    String uri = request.uri();
    if (!uri.isEmpty() && uri.charAt(0) != '/' && !uri.equals("*")) {
      int scheme = uri.indexOf("://");
      if (scheme <= 0 || !(uri.regionMatches(true, 0, "http", 0, scheme) || uri.regionMatches(true, 0, "https", 0,
          scheme)) || (scheme != 4 && scheme != 5)) {
        return new Rejected(EdgeRule.MALFORMED_REQUEST, "the request target '" + printable(uri)
            + "' is neither a path nor an http(s) URL");
      }
      int end = scheme + 3;
      while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
        end++;
      }
      String authority = uri.substring(scheme + 3, end);
      if (authority.isEmpty() || !validAuthority(authority)) {
        return new Rejected(EdgeRule.HOST_INVALID, "the request target's authority '" + printable(authority) + "'");
      }
      headers.set(HttpHeaderNames.HOST, authority);
    }
    return null;
  }

  private static Rejected connection(HttpHeaders headers, StrictRequestDecoder lines) {
    if (lines.connectionLines() == 0) {
      return null;
    }
    for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : value.split(",")) {
        String t = token.trim();
        if (t.equalsIgnoreCase("content-length") || t.equalsIgnoreCase("transfer-encoding")
            || t.equalsIgnoreCase("host")) {
          return new Rejected(EdgeRule.CONNECTION_NAMES_FRAMING_HEADER, "Connection: " + printable(value));
        }
      }
    }
    return null;
  }

  private static Rejected framing(HttpRequest request, StrictRequestDecoder lines, EdgeLimits limits) {
    HttpHeaders headers = request.headers();
    if (lines.contentLengthLines() == 0 && lines.transferEncodingLines() == 0) {
      return null; // no body: nothing to frame
    }
    if (lines.contentLengthLines() == 1 && lines.transferEncodingLines() == 0) {
      // The common case, without the lists below.
      String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
      return length != null && digits(length.trim()) ? null
          : new Rejected(EdgeRule.CONTENT_LENGTH_INVALID, "Content-Length: " + printable(String.valueOf(length)));
    }
    List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
    if (lines.contentLengthLines() > 1 || lengths.size() > 1) {
      return new Rejected(EdgeRule.CONTENT_LENGTH_REPEATED, Math.max(lines.contentLengthLines(), lengths.size())
          + " Content-Length fields");
    }
    if (!lengths.isEmpty() && !digits(lengths.get(0).trim())) {
      return new Rejected(EdgeRule.CONTENT_LENGTH_INVALID, "Content-Length: " + printable(lengths.get(0)));
    }
    List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (codings.isEmpty() && lines.transferEncodingLines() == 0) {
      return null;
    }
    if (lines.transferEncodingLines() > 1 || codings.size() > 1) {
      return new Rejected(EdgeRule.TRANSFER_ENCODING_REPEATED, Math.max(lines.transferEncodingLines(), codings.size())
          + " Transfer-Encoding fields");
    }
    if (request.protocolVersion() == HttpVersion.HTTP_1_0) {
      return new Rejected(EdgeRule.TRANSFER_ENCODING_IN_HTTP10, "");
    }
    if (!lengths.isEmpty() && !limits.chunkedWins()) {
      return new Rejected(EdgeRule.CONTENT_LENGTH_WITH_TRANSFER_ENCODING, "Content-Length: " + printable(lengths.get(0))
          + ", Transfer-Encoding: " + printable(codings.isEmpty() ? "" : codings.get(0)));
    }
    Rejected r = codings(codings.isEmpty() ? "" : codings.get(0));
    if (r != null) {
      return r;
    }
    if (!lengths.isEmpty()) {
      // contentLengthWithChunked: chunked — the chunks frame the body; the length must not reach the next hop,
      // and the connection is not trusted with another request (RFC 9112 §6.3 point 3).
      headers.remove(HttpHeaderNames.CONTENT_LENGTH);
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return null;
  }

  /** A Transfer-Encoding value must be exactly {@code chunked}, ignoring empty list elements and case. */
  private static Rejected codings(String value) {
    String[] parts = value.split(",", -1);
    int chunked = 0;
    String last = null;
    String unknown = null;
    boolean other = false;
    for (String p : parts) {
      String c = p.trim();
      if (c.isEmpty()) {
        continue;
      }
      last = c;
      if (c.equalsIgnoreCase("chunked")) {
        chunked++;
      } else if (known(c)) {
        other = true;
      } else if (unknown == null) {
        unknown = c;
      }
    }
    if (last == null) {
      return new Rejected(EdgeRule.CHUNKED_NOT_FINAL, "Transfer-Encoding is empty");
    }
    if (unknown != null) {
      return new Rejected(EdgeRule.TRANSFER_ENCODING_UNSUPPORTED, "unknown coding '" + printable(unknown) + "'");
    }
    if (chunked != 1 || !last.equalsIgnoreCase("chunked")) {
      return new Rejected(EdgeRule.CHUNKED_NOT_FINAL, "Transfer-Encoding: " + printable(value));
    }
    if (other) {
      return new Rejected(EdgeRule.TRANSFER_ENCODING_UNSUPPORTED, "Transfer-Encoding: " + printable(value)
          + "; only chunked is supported");
    }
    return null;
  }

  private static boolean known(String coding) {
    for (String k : KNOWN_CODINGS) {
      if (k.equalsIgnoreCase(coding)) {
        return true;
      }
    }
    return false;
  }

  private static boolean digits(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * RFC 3986 {@code host [":" port]}: an IP literal in brackets or a reg-name of unreserved, percent-encoded and
   * sub-delimiter characters. An empty Host is valid (RFC 9112 §3.2); userinfo is not.
   */
  static boolean validAuthority(String a) {
    int i = 0;
    int n = a.length();
    if (n > 0 && a.charAt(0) == '[') {
      int close = a.indexOf(']');
      if (close < 0) {
        return false;
      }
      for (int k = 1; k < close; k++) {
        char c = a.charAt(k);
        if (!(isHex(c) || c == ':' || c == '.' || c == 'v' || c == 'V')) {
          return false;
        }
      }
      i = close + 1;
    } else {
      while (i < n && a.charAt(i) != ':') {
        char c = a.charAt(i);
        if (!(Character.isLetterOrDigit(c) && c < 128) && "-._~!$&'()*+,;=%".indexOf(c) < 0) {
          return false;
        }
        i++;
      }
    }
    if (i == n) {
      return true;
    }
    if (a.charAt(i) != ':') {
      return false;
    }
    for (int k = i + 1; k < n; k++) {
      if (a.charAt(k) < '0' || a.charAt(k) > '9') {
        return false;
      }
    }
    return n - i - 1 <= 5;
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** At most 100 characters, control characters shown as '?', for a message that quotes what the client sent. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 100));
    for (int i = 0; i < s.length() && i < 100; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return s.length() > 100 ? b + "..." : b.toString();
  }
}
