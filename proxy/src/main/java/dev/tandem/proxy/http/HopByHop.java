package dev.tandem.proxy.http;

import io.vertx.core.MultiMap;

/**
 * Copies headers from one message to the next hop without the hop-by-hop ones (RFC 9110 §7.6.1): Connection and
 * every header it names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, and Proxy-*. Runs twice per request,
 * so it compares names in place rather than lower-casing copies of them.
 */
public final class HopByHop {

  private static final String[] ALWAYS = {"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"};

  private HopByHop() {
  }

  /**
   * Adds every end-to-end header of {@code from} to {@code to}.
   *
   * @param keepUpgrade keep Connection and Upgrade, for a protocol upgrade that the next hop must see
   */
  public static void copy(MultiMap from, MultiMap to, boolean keepUpgrade) {
    String connection = from.get("connection");
    from.forEach((name, value) -> {
      if (keepUpgrade && (name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("upgrade"))) {
        to.add(name, value);

      } else if (!isHopByHop(name) && (connection == null || !namedIn(connection, from, name))) {
        to.add(name, value);
      }
    });
  }

  /**
   * The one TE an HTTP/2 hop carries (RFC 9113 §8.2.2): {@code trailers}, when the client said it reads them, or for
   * a gRPC call, whose servers require it.
   */
  public static void teTrailers(MultiMap from, MultiMap to) {
    boolean wanted = Grpc.is(from);
    for (String te : from.getAll("te")) {
      wanted |= containsToken(te, "trailers");
    }
    if (wanted) {
      to.set("te", "trailers");
    }
  }

  /**
   * The Host the client named: an HTTP/2 request's {@code :authority}, which Vert.x takes out of its headers, else
   * the Host header; null when none.
   */
  public static String host(io.vertx.core.http.HttpServerRequest request) {
    String host = request.headers().get("Host");
    if (host == null && request.version() == io.vertx.core.http.HttpVersion.HTTP_2 && request.authority() != null) {
      return request.authority().toString();
    }
    return host;
  }

  /** Joins several Cookie lines into one, with "; " (RFC 9113 §8.2.3), for an HTTP/1.1 hop. */
  public static void joinCookies(MultiMap headers) {
    java.util.List<String> cookies = headers.getAll("cookie");
    if (cookies.size() > 1) {
      headers.set("cookie", String.join("; ", cookies));
    }
  }

  /**
   * Removes the hop-by-hop headers from {@code headers} in place: the Netty path edits the one header list it has
   * rather than copying it.
   */
  public static void strip(io.netty.handler.codec.http.HttpHeaders headers) {
    java.util.List<String> named = connectionNames(headers);
    java.util.List<String> remove = null;
    for (java.util.Map.Entry<String, String> e : headers) {
      String name = e.getKey();
      if (isHopByHop(name) || (named != null && containsIgnoreCase(named, name))) {
        if (remove == null) {
          remove = new java.util.ArrayList<>(4);
        }
        remove.add(name);
      }
    }
    if (remove != null) {
      remove.forEach(headers::remove);
    }
  }

  /**
   * The header names the Connection header(s) list, beyond {@code close} and {@code keep-alive} (the usual ones,
   * which name no other header); null when there are none, so the common message costs no token scan per header.
   */
  private static java.util.List<String> connectionNames(io.netty.handler.codec.http.HttpHeaders headers) {
    java.util.List<String> names = null;
    for (String value : headers.getAll("connection")) {
      for (String token : value.split(",")) {
        String t = token.trim();
        if (!t.isEmpty() && !t.equalsIgnoreCase("close") && !t.equalsIgnoreCase("keep-alive")) {
          if (names == null) {
            names = new java.util.ArrayList<>(2);
          }
          names.add(t);
        }
      }
    }
    return names;
  }

  private static boolean containsIgnoreCase(java.util.List<String> names, String name) {
    for (String n : names) {
      if (n.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isHopByHop(String name) {
    for (String h : ALWAYS) {
      if (h.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return name.regionMatches(true, 0, "proxy-", 0, 6);
  }

  /** Whether {@code name} is one of the comma-separated tokens of the Connection header(s). */
  private static boolean namedIn(String firstConnection, MultiMap headers, String name) {
    if (containsToken(firstConnection, name)) {
      return true;
    }
    for (String more : headers.getAll("connection")) {
      if (more != firstConnection && containsToken(more, name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean containsToken(String list, String token) {
    int start = 0;
    int n = list.length();
    while (start < n) {
      int end = list.indexOf(',', start);
      if (end < 0) {
        end = n;
      }
      int s = start;
      int e = end;
      while (s < e && list.charAt(s) == ' ') {
        s++;
      }
      while (e > s && list.charAt(e - 1) == ' ') {
        e--;
      }
      if (e - s == token.length() && list.regionMatches(true, s, token, 0, token.length())) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }
}
