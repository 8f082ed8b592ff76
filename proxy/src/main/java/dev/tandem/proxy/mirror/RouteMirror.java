package dev.tandem.proxy.mirror;

import dev.tandem.idempotency.KeyInput;
import dev.tandem.idempotency.KeyStrategy;
import dev.tandem.proxy.config.MirrorConfig;
import dev.tandem.proxy.http.HopByHop;
import dev.tandem.proxy.route.RouteState;
import dev.tandem.proxy.route.StablePoint;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The mirror of one route on one event loop: decides which requests get a copy and hands each copy to its
 * shadows through {@link Delivery}. Every decision is counted in the route's {@link MirrorLedger}.
 */
public final class RouteMirror {

  private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

  private final String route;
  private final MirrorConfig config;
  private final MirrorLedger ledger;
  private final List<ShadowSender> shadows;
  private final Delivery delivery;
  private final KeyStrategy keys;
  private final RouteState state;
  private final dev.tandem.proxy.compare.Comparisons comparisons;
  private ShadowSender secondary;

  /** @param comparisons where compared exchanges go; null when nothing is compared */
  RouteMirror(String route, MirrorConfig config, MirrorLedger ledger, List<ShadowSender> shadows, Delivery delivery,
              KeyStrategy keys, RouteState state, dev.tandem.proxy.compare.Comparisons comparisons) {
    this.comparisons = comparisons;
    this.route = route;
    this.state = state;
    this.config = config;
    this.ledger = ledger;
    this.shadows = List.copyOf(shadows);
    this.delivery = delivery;
    this.keys = keys;
  }

  /**
   * Starts a copy of {@code request} when the route mirrors it; null otherwise (already counted).
   *
   * @param uri      the path and query as forwarded
   * @param servedBy the backend answering the client; a shadow on the same backend gets no copy
   * @param capture  told of the first shadow's answer, when the request is captured; may be null
   */
  public MirrorCopy begin(HttpServerRequest request, String uri, String path, String servedBy, ShadowWatch capture) {
    SocketAddress remote = request.remoteAddress();
    MultiMap headers = request.headers();
    String host = HopByHop.host(request);
    if (host != null && !headers.contains("Host")) {
      // HTTP/2's :authority is the Host (Vert.x takes it out of the headers); the shadow and its pool need it.
      headers = MultiMap.caseInsensitiveMultiMap().addAll(headers).set("Host", host);
    }
    return begin(request.method().name(), headers, remote == null ? null : remote.hostAddress(), uri, path,
        servedBy, capture);
  }

  /**
   * {@link #begin(HttpServerRequest, String, String, String, ShadowWatch)} for a request seen as its method, its
   * headers as the client sent them (copied here, before the primary's are edited) and the client's address.
   */
  public MirrorCopy begin(String method, MultiMap headers, String remoteAddress, String uri, String path,
                          String servedBy, ShadowWatch capture) {
    String requestId = headers.get("X-Request-Id");
    List<ShadowSender> taking = new ArrayList<>(shadows.size());
    boolean filtered = isFiltered(method, path);
    // A random id only when sampling needs one: at 0% or 100% the decision does not depend on it.
    double percent = state.mirrorPercent();
    boolean partial = percent > 0 && percent < 100;
    String sampleKey = requestId != null || !partial ? requestId : UUID.randomUUID().toString();
    boolean sampled = !filtered && (partial ? sampled(sampleKey, percent) : percent >= 100);
    for (ShadowSender s : shadows) {
      ledger.count(Outcome.ELIGIBLE);
      if (filtered) {
        ledger.count(Outcome.SKIPPED_FILTERED);
      } else if (s.backend().equals(servedBy)) {
        ledger.count(Outcome.SKIPPED_CANARY);
      } else if (!sampled) {
        ledger.count(Outcome.SKIPPED_SAMPLE);
      } else {
        taking.add(s);
      }
    }
    if (taking.isEmpty()) {
      if (capture != null) {
        capture.notSent();
      }
      return null;
    }
    boolean unsafe = !SAFE.contains(method);
    boolean afterPrimary = config.send().equals(MirrorConfig.SEND_AFTER_PRIMARY)
        || (config.send().equals(MirrorConfig.SEND_AUTO) && unsafe);
    MirrorCopy copy = new MirrorCopy(this, taking, method, config.rewrite().apply(uri), path,
        shadowHeaders(method, headers, remoteAddress, uri, requestId), unsafe, afterPrimary, config.maxBodyBytes(), Instant.now());
    copy.originalUri(uri);
    boolean first = taking.get(0) == shadows.get(0);
    if (capture != null && first) {
      copy.watchFirstShadow(capture);
    } else if (capture != null) {
      capture.notSent();
    }
    if (comparisons != null && config.compare() && first) {
      copy.compareWith(comparisons.begin(route, shadows.get(0).backend(), method, headers, uri));
      if (secondary != null && !unsafe) {
        copy.comparison().expectSecondary(); // reads only: a write sent to a second legacy instance would land twice
      }
    }
    return copy;
  }

  /** Whether a hash of the request id falls in the mirrored share: the same id decides the same way everywhere. */
  static boolean sampled(String requestId, double percent) {
    if (percent >= 100) {
      return true;
    }
    if (percent <= 0) {
      return false;
    }
    return StablePoint.of(requestId) < percent;
  }

  private boolean isFiltered(String method, String path) {
    if (!config.methods().isEmpty() && !config.methods().contains(method)) {
      return true;
    }
    if (config.excludeMethods().contains(method)) {
      return true;
    }
    if (!config.paths().isEmpty() && config.paths().stream().noneMatch(p -> p.matcher(path).find())) {
      return true;
    }
    for (Pattern p : config.excludePaths()) {
      if (p.matcher(path).find()) {
        return true;
      }
    }
    return false;
  }

  private MultiMap shadowHeaders(String method, MultiMap headers, String remote, String uri, String requestId) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    HopByHop.copy(headers, h, false);
    for (String name : config.stripHeaders()) {
      h.remove(name);
    }
    String host = headers.get("Host");
    h.set("X-Shadow-Request", "true");
    if (host != null) {
      h.set("X-Original-Host", host);
    }
    h.set("X-Original-URI", uri);
    h.set("X-Original-Method", method);
    if (remote != null) {
      h.set("X-Original-Remote-Addr", remote);
    }
    if (requestId == null) {
      h.set("X-Request-Id", UUID.randomUUID().toString());
    }
    config.setHeaders().forEach(h::set);
    return h;
  }

  /** Called by a copy that is ready: gates each shadow, then delivers. */
  void dispatch(MirrorCopy copy) {
    String key = null;
    MultiMap headers = copy.headers();
    if (copy.unsafe()) {
      key = keys.keyFor(new KeyInput(copy.method(), copy.path(), headers, copy.body(), copy.arrived()));
      headers.set("Idempotency-Key", key);
    }
    MirrorRequest request = new MirrorRequest(route, copy.method(), copy.uri(), headers, copy.body(), key);
    for (ShadowSender s : copy.shadows()) {
      ShadowWatch watch = s == shadows.get(0) ? copy.watch() : null;
      if (!s.admitRate()) {
        ledger.count(Outcome.RATE_LIMITED);
        if (watch != null) {
          watch.notSent();
        }
      } else if (!s.admitInFlight()) {
        ledger.count(Outcome.DROPPED_QUEUE_FULL);
        if (watch != null) {
          watch.notSent();
        }
      } else {
        ledger.count(Outcome.SENT);
        delivery.deliver(s, watch != null ? request.watched(watch) : request, ledger);
      }
    }
    if (copy.comparison() != null && copy.comparison().expectsSecondary()) {
      if (copy.comparison().isDone()) {
        return; // the candidate was not asked: nothing to compare, so the secondary is not asked either
      }
      if (secondary.admitInFlight()) {
        // The request as the primary got it: a rewrite for the candidate's API version does not apply here.
        comparisons.secondaryStarted();
        secondary.send(new MirrorRequest(route, copy.method(), copy.originalUri(), headers, copy.body(), null,
            copy.comparison().secondaryWatch())).onComplete(ar -> comparisons.secondaryEnded());
      } else {
        copy.comparison().secondary(null);
      }
    }
  }

  void skip(MirrorCopy copy, Outcome why) {
    for (int i = 0; i < copy.shadows().size(); i++) {
      ledger.count(why);
    }
  }

  boolean statusAllowed(int status) {
    for (String s : config.afterStatus()) {
      if (s.endsWith("xx") ? s.charAt(0) - '0' == status / 100 : Integer.toString(status).equals(s)) {
        return true;
      }
    }
    return false;
  }

  /** The second primary instance whose answers are the noise baseline; not counted in the ledger. */
  void secondary(ShadowSender sender) {
    this.secondary = sender;
  }

  public MirrorLedger ledger() {
    return ledger;
  }

}
