package dev.tandem.proxy.compare;

import dev.tandem.comparator.RecordedExchange;
import dev.tandem.comparator.Side;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where the two answers of one compared exchange meet: the primary's (from the data plane, once its body has been
 * passed to the client) and the candidate's (from the shadow sender). When both are in, the exchange goes to the
 * {@link Comparisons} workers; a copy that is never sent to the candidate (dropped, rate-limited, a duplicate) is
 * counted as skipped instead. Lives on one event loop; holds at most one capped body per side.
 */
public final class PendingComparison {

  private final Comparisons comparisons;
  private final String route;
  private final String candidateName;
  private final String method;
  private final String uri;
  private final List<Map.Entry<String, String>> headers;
  private final Instant time = Instant.now();
  private byte[] requestBody = new byte[0];
  private Side primary;
  private Side candidate;
  private Side secondary;
  private boolean expectSecondary;
  private boolean done;

  PendingComparison(Comparisons comparisons, String route, String candidateName, String method, String uri,
                    List<Map.Entry<String, String>> headers) {
    this.comparisons = comparisons;
    this.route = route;
    this.candidateName = candidateName;
    this.method = method;
    this.uri = uri;
    this.headers = headers;
  }

  /** The backend whose answer is compared with the primary's. */
  public String candidateName() {
    return candidateName;
  }

  /** The limit on each side's kept body. */
  public long maxBodyBytes() {
    return comparisons.maxBodyBytes();
  }

  public void requestBody(byte[] body) {
    this.requestBody = body == null ? new byte[0] : body;
  }

  public void primary(Side side) {
    primary = side;
    complete();
  }

  public void candidate(Side side) {
    candidate = side;
    complete();
  }

  /** A second primary instance also gets this request; wait for its answer too. */
  public void expectSecondary() {
    expectSecondary = true;
  }

  public boolean expectsSecondary() {
    return expectSecondary;
  }

  /** Whether this comparison has been submitted or given up; a secondary is not asked then. */
  public boolean isDone() {
    return done;
  }

  /** The primary's answer will not come (its exchange failed after the client left): counted as skipped. */
  public void abandon() {
    notSent();
  }

  /** The candidate's side of this comparison, as a shadow sender tells it. */
  public dev.tandem.proxy.mirror.ShadowWatch candidateWatch() {
    return watch(false);
  }

  /** The secondary's side: a secondary that was not asked is compared without noise. */
  public dev.tandem.proxy.mirror.ShadowWatch secondaryWatch() {
    return watch(true);
  }

  private dev.tandem.proxy.mirror.ShadowWatch watch(boolean ofSecondary) {
    return new dev.tandem.proxy.mirror.ShadowWatch() {
      @Override
      public long maxBodyBytes() {
        return PendingComparison.this.maxBodyBytes();
      }

      @Override
      public void answered(Side side) {
        if (ofSecondary) {
          secondary(side);
        } else {
          candidate(side);
        }
      }

      @Override
      public void notSent() {
        if (ofSecondary) {
          secondary(null);
        } else {
          PendingComparison.this.notSent();
        }
      }
    };
  }

  /** The secondary's answer, or null when it could not be asked (its pool full): compared without noise. */
  public void secondary(Side side) {
    secondary = side;
    expectSecondary = side != null;
    complete();
  }

  /** The candidate will not get this request: nothing to compare. */
  public void notSent() {
    if (!done) {
      done = true;
      comparisons.skipped(route);
    }
  }

  private void complete() {
    if (done || primary == null || candidate == null || (expectSecondary && secondary == null)) {
      return;
    }
    done = true;
    // A secondary that failed (no answer) would make everything look like noise: compare without it.
    Side noise = secondary != null && secondary.error() == null ? secondary : null;
    comparisons.submit(new RecordedExchange(UUID.randomUUID().toString(), time, route, method, uri, headers,
        requestBody, primary, candidate, noise));
  }
}
