package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The canary of a route: the backend that takes {@code weight} percent of users, and how a request can ask for a
 * side. The order of decision is NGINX ingress's: the header, then the matched headers, then the cookie, then the
 * weight.
 *
 * @param backend       the canary backend
 * @param weight        percent of users on the canary, 0..100 with two decimals (already divided by a
 *                      {@code weightTotal} other than 100)
 * @param header        opt-in header ({@code X-Canary}): {@code always} or {@code true} → canary, {@code never} →
 *                      primary, anything else → decided further on (NGINX {@code canary-by-header})
 * @param headerValue   another value of {@code header} that means canary ({@code canary-by-header-value}); null
 * @param headerPattern a regex on {@code header}'s value that means canary ({@code canary-by-header-pattern}); null
 * @param matchHeaders  further headers whose value matching the regex means canary ({@code X-User-Group: ^beta-})
 * @param cookie        opt-in cookie ({@code canary}): {@code always}/{@code true} or {@code never}
 *                      ({@code canary-by-cookie})
 * @param sticky        how users are kept on their side
 * @param backendHeader response header naming the backend that answered; null when off (the default)
 * @param rollout       steps and gates declared in the file; null when none
 */
public record CanaryConfig(
    String backend,
    double weight,
    String header,
    String headerValue,
    Pattern headerPattern,
    Map<String, Pattern> matchHeaders,
    String cookie,
    Sticky sticky,
    String backendHeader,
    RolloutConfig rollout) {

  public static final String DEFAULT_HEADER = "X-Canary";
  public static final String DEFAULT_COOKIE = "canary";

  public CanaryConfig {
    matchHeaders = Map.copyOf(matchHeaders);
  }

  /** A canary with the defaults of the design, for tests and the demo. */
  public static CanaryConfig of(String backend, double weight) {
    return new CanaryConfig(backend, weight, DEFAULT_HEADER, null, null, Map.of(), DEFAULT_COOKIE, Sticky.DEFAULT,
        null, null);
  }

  /**
   * What keeps a user on one side: {@code header} (e.g. a user id) when the request has it, otherwise the cookie
   * Tandem sets on a user's first request.
   *
   * @param header a request header whose value identifies the user; null to use the cookie only
   * @param cookie the cookie Tandem sets ({@code tandem_canary}, HttpOnly, SameSite=Lax, Path=/)
   * @param maxAge the cookie's Max-Age
   */
  public record Sticky(String header, String cookie, Duration maxAge) {

    public static final String DEFAULT_COOKIE = "tandem_canary";
    public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(30);
    public static final Sticky DEFAULT = new Sticky(null, DEFAULT_COOKIE, DEFAULT_MAX_AGE);
  }
}
