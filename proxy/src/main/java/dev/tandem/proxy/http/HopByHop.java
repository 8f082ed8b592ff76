package dev.tandem.proxy.http;

import io.vertx.core.MultiMap;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Copies headers from one message to the next hop without the hop-by-hop ones (RFC 9110 §7.6.1): Connection and
 * every header it names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, and Proxy-*.
 */
final class HopByHop {

  private static final Set<String> ALWAYS =
      Set.of("connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade");

  private HopByHop() {
  }

  /**
   * Adds every end-to-end header of {@code from} to {@code to}.
   *
   * @param keepUpgrade keep Connection and Upgrade, for a protocol upgrade that the next hop must see
   */
  static void copy(MultiMap from, MultiMap to, boolean keepUpgrade) {
    Set<String> named = connectionTokens(from);
    for (Map.Entry<String, String> h : from) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      boolean upgradeHeader = name.equals("connection") || name.equals("upgrade");
      if (keepUpgrade && upgradeHeader) {
        to.add(h.getKey(), h.getValue());
      } else if (!ALWAYS.contains(name) && !name.startsWith("proxy-") && !named.contains(name)) {
        to.add(h.getKey(), h.getValue());
      }
    }
  }

  private static Set<String> connectionTokens(MultiMap headers) {
    var values = headers.getAll("connection");
    if (values.isEmpty()) {
      return Set.of();
    }
    Set<String> tokens = new java.util.HashSet<>();
    for (String v : values) {
      for (String token : v.split(",")) {
        String t = token.trim().toLowerCase(Locale.ROOT);
        if (!t.isEmpty() && !t.equals("close") && !t.equals("keep-alive") && !t.equals("upgrade")) {
          tokens.add(t);
        }
      }
    }
    return tokens;
  }
}
