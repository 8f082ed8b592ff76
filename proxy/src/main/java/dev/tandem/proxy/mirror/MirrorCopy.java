package dev.tandem.proxy.mirror;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.time.Instant;
import java.util.List;

/**
 * The copy of one request for its shadows. The request body is teed as it streams to the primary — never held back
 * from it — and kept up to {@code maxBodyBytes}; over that the copy is skipped, never truncated. The copy goes out
 * when its body is complete, and for an after-primary copy only once the primary answered with an allowed status.
 * A write whose client went away before the primary answered is not mirrored.
 */
public final class MirrorCopy {

  private final RouteMirror mirror;
  private final List<ShadowSender> shadows;
  private final String method;
  private final String uri;
  private final String path;
  private final MultiMap headers;
  private final boolean unsafe;
  private final boolean afterPrimary;
  private final long maxBodyBytes;
  private final Instant arrived;
  private Buffer body = Buffer.buffer();
  private boolean bodyComplete;
  private int primaryStatus = -1;
  private boolean settled;
  private dev.tandem.proxy.compare.PendingComparison comparison;
  private ShadowWatch watch;
  private String originalUri;

  MirrorCopy(RouteMirror mirror, List<ShadowSender> shadows, String method, String uri, String path, MultiMap headers,
             boolean unsafe, boolean afterPrimary, long maxBodyBytes, Instant arrived) {
    this.mirror = mirror;
    this.shadows = shadows;
    this.method = method;
    this.uri = uri;
    this.path = path;
    this.headers = headers;
    this.unsafe = unsafe;
    this.afterPrimary = afterPrimary;
    this.maxBodyBytes = maxBodyBytes;
    this.arrived = arrived;
  }

  /** The request target as the primary got it, before any shadow rewrite. */
  void originalUri(String uri) {
    this.originalUri = uri;
  }

  String originalUri() {
    return originalUri == null ? uri : originalUri;
  }

  /** Compares the answers of the primary and of the first shadow. */
  void compareWith(dev.tandem.proxy.compare.PendingComparison c) {
    this.comparison = c;
    this.watch = ShadowWatch.both(watch, c.candidateWatch());
  }

  /** Also tells {@code w} of the first shadow's answer (the capture). */
  void watchFirstShadow(ShadowWatch w) {
    this.watch = ShadowWatch.both(watch, w);
  }

  /** Who waits for the first shadow's answer; null when nobody does. */
  ShadowWatch watch() {
    return watch;
  }

  /** Where the primary's answer goes for comparison; null when this copy is not compared. */
  public dev.tandem.proxy.compare.PendingComparison comparison() {
    return comparison;
  }

  /** The request body as the primary reads it, with a copy kept for the shadows. */
  public ReadStream<Buffer> tee(ReadStream<Buffer> source) {
    return new dev.tandem.proxy.http.TappedStream(source, this::append, this::bodyEnded);
  }

  /** A piece of the request body as the primary reads it (the Netty path's tee; the copy keeps its own bytes). */
  public void requestChunk(Buffer chunk) {
    append(chunk);
  }

  /** The request body has ended (the Netty path's tee). */
  public void requestEnded() {
    bodyEnded();
  }

  /** The request had no body: the copy is complete at once. */
  public void noBody() {
    bodyComplete = true;
    ready();
  }

  public void primaryAnswered(int status) {
    if (primaryStatus < 0) {
      primaryStatus = status;
      ready();
    }
  }

  /**
   * The client went away before its answer, or its request was refused mid-body: a copy not yet sent is not sent
   * (its body is incomplete, or, for a write, the primary did not answer).
   */
  public void clientAborted() {
    if (!settled) {
      settled = true;
      notCompared();
      mirror.skip(this, Outcome.SKIPPED_ABORTED);
    }
  }

  private void append(Buffer chunk) {
    if (body != null) {
      if (body.length() + chunk.length() > maxBodyBytes) {
        body = null;
      } else {
        body.appendBuffer(chunk);
      }
    }
  }

  private void bodyEnded() {
    bodyComplete = true;
    ready();
  }

  private void ready() {
    if (settled || !bodyComplete) {
      return;
    }
    if (body == null) {
      settled = true;
      notCompared();
      mirror.skip(this, Outcome.SKIPPED_BODY_TOO_LARGE);
      return;
    }
    if (afterPrimary) {
      if (primaryStatus < 0) {
        return;
      }
      if (!mirror.statusAllowed(primaryStatus)) {
        settled = true;
        notCompared();
        mirror.skip(this, Outcome.SKIPPED_STATUS);
        return;
      }
    }
    settled = true;
    if (comparison != null) {
      comparison.requestBody(body.getBytes());
    }
    mirror.dispatch(this);
  }

  private void notCompared() {
    if (watch != null) {
      watch.notSent();
    }
  }

  List<ShadowSender> shadows() {
    return shadows;
  }

  String method() {
    return method;
  }

  String uri() {
    return uri;
  }

  String path() {
    return path;
  }

  MultiMap headers() {
    return headers;
  }

  Buffer body() {
    return body;
  }

  boolean unsafe() {
    return unsafe;
  }

  Instant arrived() {
    return arrived;
  }
}
