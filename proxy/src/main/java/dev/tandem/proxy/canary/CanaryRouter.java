package dev.tandem.proxy.canary;

import dev.tandem.proxy.config.CanaryConfig;
import dev.tandem.proxy.route.RouteState;
import dev.tandem.proxy.route.StablePoint;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;

import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Chooses the side of one request on a route with a canary, in NGINX ingress's order: the opt-in header
 * ({@code always}/{@code true}, {@code never}, or the configured value or pattern), then the matched headers, then
 * the opt-in cookie, then the weight. For the weight, each user has a stable point in [0, 100) — a hash of the
 * sticky header (a user id) when the request carries it, otherwise of the sticky cookie, which Tandem sets on the
 * user's first answer while the weight is between 0 and 100 — and is on the canary while the point is below it.
 */
public final class CanaryRouter {

  /** Why a request went where it went; shown in tests and, with {@code backendHeader}, to the client. */
  public enum Reason { HEADER, MATCH, COOKIE, WEIGHT }

  /**
   * The choice for one request.
   *
   * @param canary     true when the canary answers
   * @param reason     what decided it
   * @param setCookie  a sticky cookie to add to the answer (the user's first request); null otherwise
   */
  public record Choice(boolean canary, Reason reason, Cookie setCookie) {
  }

  private final CanaryConfig config;
  private final RouteState state;
  private final long maxAgeSeconds;

  public CanaryRouter(CanaryConfig config, RouteState state) {
    this.config = config;
    this.state = state;
    this.maxAgeSeconds = config.sticky().maxAge().toSeconds();
  }

  public CanaryConfig config() {
    return config;
  }

  public Choice choose(HttpServerRequest request) {
    return choose(request::getHeader, name -> {
      Cookie c = request.getCookie(name);
      return c == null ? null : c.getValue();
    });
  }

  /**
   * The choice for a request seen through its headers and cookies (the data plane's Netty path has no Vert.x
   * request).
   *
   * @param headers a header's first value by name, null when absent
   * @param cookies a cookie's value by name, null when absent
   */
  public Choice choose(java.util.function.Function<String, String> headers,
                       java.util.function.Function<String, String> cookies) {
    String header = headers.apply(config.header());
    if (header != null) {
      Boolean opt = optIn(header.trim());
      if (opt == null && config.headerValue() != null && header.equals(config.headerValue())) {
        opt = true;
      }
      if (opt == null && config.headerPattern() != null && config.headerPattern().matcher(header).find()) {
        opt = true;
      }
      if (opt != null) {
        return new Choice(opt, Reason.HEADER, null);
      }
    }
    for (Map.Entry<String, Pattern> m : config.matchHeaders().entrySet()) {
      String v = headers.apply(m.getKey());
      if (v != null && m.getValue().matcher(v).find()) {
        return new Choice(true, Reason.MATCH, null);
      }
    }
    String cookie = cookies.apply(config.cookie());
    if (cookie != null) {
      Boolean opt = optIn(cookie.trim());
      if (opt != null) {
        return new Choice(opt, Reason.COOKIE, null);
      }
    }
    return byWeight(headers, cookies);
  }

  private Choice byWeight(java.util.function.Function<String, String> headers,
                          java.util.function.Function<String, String> cookies) {
    double weight = state.canaryWeight();
    if (weight <= 0 || weight >= 100) {
      // Everyone on one side: no point to compute, and no cookie to set (it would keep shared caches from caching).
      return new Choice(weight >= 100, Reason.WEIGHT, null);
    }
    String key = config.sticky().header() == null ? null : headers.apply(config.sticky().header());
    Cookie newCookie = null;
    if (key == null || key.isEmpty()) {
      String sticky = cookies.apply(config.sticky().cookie());
      if (sticky != null && !sticky.isEmpty()) {
        key = sticky;
      } else {
        key = newStickyId();
        newCookie = Cookie.cookie(config.sticky().cookie(), key).setPath("/").setMaxAge(maxAgeSeconds)
            .setHttpOnly(true).setSameSite(CookieSameSite.LAX);
      }
    }
    boolean canary = StablePoint.of(key) < weight;
    return new Choice(canary, Reason.WEIGHT, newCookie);
  }

  /** {@code always}/{@code true} → true, {@code never} → false, anything else → null (not an opt-in). */
  private static Boolean optIn(String value) {
    switch (value.toLowerCase(Locale.ROOT)) {
      case "always", "true":
        return true;
      case "never":
        return false;
      default:
        return null;
    }
  }

  /** 128 random bits, base64url: the sticky cookie only places a user, it grants nothing, so no secure random. */
  private static String newStickyId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    byte[] b = new byte[16];
    r.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
