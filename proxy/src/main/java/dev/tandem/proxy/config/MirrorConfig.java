package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The mirror of a route: which requests get a copy, where the copies go, and when.
 *
 * @param shadows        one or more shadow backends, each with its own pool, rate limit, timeout and bound
 * @param percent        share of eligible requests mirrored, decided by a hash of the request id
 * @param methods        methods mirrored (empty: all)
 * @param excludeMethods methods never mirrored
 * @param paths          path regexes a request must match one of (empty: all)
 * @param excludePaths   path regexes that exclude a request
 * @param maxBodyBytes   largest request body copied; a larger one is not mirrored (never truncated)
 * @param send           {@code auto} (safe methods at once, unsafe after the primary answered), {@code immediate}
 *                       or {@code afterPrimary}
 * @param afterStatus    primary statuses after which an {@code afterPrimary} copy is sent ({@code 2xx}, {@code 201}…)
 * @param stripHeaders   request headers not passed to the shadow
 * @param setHeaders     headers set on every copy
 * @param rewrite        path prefix and query changes for the shadow's request target
 * @param secondary      a second instance of the primary's service; compared reads are also sent there, and what
 *                       differs between the two primaries is noise (Diffy's method); null for none
 */
public record MirrorConfig(
    List<Shadow> shadows,
    double percent,
    boolean compare,
    Set<String> methods,
    Set<String> excludeMethods,
    List<Pattern> paths,
    List<Pattern> excludePaths,
    long maxBodyBytes,
    String send,
    List<String> afterStatus,
    List<String> stripHeaders,
    Map<String, String> setHeaders,
    String secondary,
    dev.tandem.proxy.mirror.ShadowRewrite rewrite) {

  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  public static final String SEND_AUTO = "auto";
  public static final String SEND_IMMEDIATE = "immediate";
  public static final String SEND_AFTER_PRIMARY = "afterPrimary";

  public MirrorConfig {
    shadows = List.copyOf(shadows);
    methods = Set.copyOf(methods);
    excludeMethods = Set.copyOf(excludeMethods);
    paths = List.copyOf(paths);
    excludePaths = List.copyOf(excludePaths);
    afterStatus = List.copyOf(afterStatus);
    stripHeaders = List.copyOf(stripHeaders);
    setHeaders = Map.copyOf(setHeaders);
  }

  /** The first shadow's backend name, as the design's {@code mirror.backend} names it. */
  public String backend() {
    return shadows.get(0).backend();
  }

  /**
   * One shadow backend.
   *
   * @param rateLimit   copies per second at most (token bucket); 0 for no limit
   * @param timeout     longest wait for the shadow's answer
   * @param maxInFlight copies in flight per event loop; over it a copy is dropped and counted
   */
  public record Shadow(String backend, double rateLimit, Duration timeout, int maxInFlight) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_IN_FLIGHT = 256;
  }
}
