package dev.tandem.proxy.mirror;

import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import dev.tandem.proxy.config.BackendConfig;
import dev.tandem.proxy.config.MirrorConfig;

import dev.tandem.comparator.Side;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sends copies to one shadow from one event loop, over a connection pool of its own, so that a shadow that is
 * slow or gone can exhaust only its own connections, never the primary's. At most
 * {@code min(maxInFlight, backend maxConnections)} copies are outstanding, so that every copy in flight holds a
 * connection and none waits in the client's queue (where, under a slow shadow, copies would pile up and be held in
 * the heap for the length of the timeout); the caller drops what does not fit. The shadow's answer is read and
 * discarded as it arrives.
 */
public final class ShadowSender {

  private final BackendConfig backend;
  private final MirrorConfig.Shadow shadow;
  private final HttpClientAgent client;
  private final TokenBucket bucket;
  private final Timer timer;
  private final int limit;
  private int inFlight;

  /** @param timer records the shadow's answer times; null records nothing */
  ShadowSender(Vertx vertx, BackendConfig backend, MirrorConfig.Shadow shadow, TokenBucket bucket, Timer timer) {
    this.backend = backend;
    this.shadow = shadow;
    this.bucket = bucket;
    this.timer = timer;
    this.limit = Math.min(shadow.maxInFlight(), backend.maxConnections());
    // The shadow's own pool, in the shadow's protocol; its waiters bounded by the copies allowed in flight.
    this.client = vertx.createHttpClient(
        dev.tandem.proxy.http.UpstreamOptions.client(backend).setName("tandem-shadow-" + backend.name()),
        new PoolOptions().setHttp1MaxSize(limit).setHttp2MaxSize(limit).setMaxWaitQueueSize(limit));
  }

  public String backend() {
    return backend.name();
  }

  /** Takes a rate-limit token; false when the shadow's rate is used up. */
  boolean admitRate() {
    return bucket.tryTake(System.nanoTime());
  }

  /** Copies this sender lets be outstanding at once. */
  int limit() {
    return limit;
  }

  /** Takes an in-flight slot; false when the shadow already has {@link #limit()} copies outstanding. */
  boolean admitInFlight() {
    if (inFlight >= limit) {
      return false;
    }
    inFlight++;
    return true;
  }

  /** Sends one copy; the future holds the shadow's status, or fails (timeout, refused, reset, garbage). */
  Future<Integer> send(MirrorRequest copy) {
    long start = System.nanoTime();
    RequestOptions options = dev.tandem.proxy.tls.TlsOptions.address(new RequestOptions(), backend)
        .setMethod(HttpMethod.valueOf(copy.method()))
        .setURI(backend.basePath().isEmpty() ? copy.uri() : backend.basePath() + copy.uri())
        .setConnectTimeout(shadow.timeout().toMillis())
        .setIdleTimeout(shadow.timeout().toMillis());
    return client.request(options)
        .compose(req -> {
          req.exceptionHandler(ignored -> { }); // failures arrive through the response future
          req.headers().addAll(copy.headers());
          if (backend.http2()) {
            dev.tandem.proxy.http.HopByHop.teTrailers(copy.headers(), req.headers());
          } else {
            dev.tandem.proxy.http.HopByHop.joinCookies(req.headers()); // an HTTP/2 client's, split
          }
          String host = copy.headers().get("Host");
          req.headers().remove("Host");
          req.authority(backend.hostHeader().equals(BackendConfig.HOST_PRESERVE) && host != null
              ? HostAndPort.parseAuthority(host, backend.port())
              : HostAndPort.create(backend.host(), backend.port()));
          return req.send(copy.body());
        })
        .compose(resp -> copy.watch() == null ? resp.end().map(v -> resp.statusCode()) : captured(copy, resp, start))
        .timeout(shadow.timeout().toMillis() * 2, TimeUnit.MILLISECONDS)
        .andThen(ar -> {
          inFlight--;
          if (timer != null) {
            timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          }
          if (ar.failed() && copy.watch() != null) {
            copy.watch().answered(new Side(backend.name(), 0, List.of(), new byte[0], false,
                failure(ar.cause()), System.nanoTime() - start));
          }
        });
  }

  /**
   * Why a copy did not reach its shadow, as its dead letter, the log and the compared side say it: a TLS failure is
   * named as the primary's 502 names it ({@link dev.tandem.proxy.tls.TlsFailure}).
   */
  static String failure(Throwable cause) {
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return "timeout";
    }
    String tls = dev.tandem.proxy.tls.TlsFailure.describe(cause);
    return tls != null ? tls : "shadow unreachable: " + cause.getMessage();
  }

  /** Reads the answer keeping its head and up to the watcher's limit of its body, and hands it over. */
  private Future<Integer> captured(MirrorRequest copy, io.vertx.core.http.HttpClientResponse resp, long start) {
    ShadowWatch w = copy.watch();
    dev.tandem.proxy.compare.KeptBody kept = new dev.tandem.proxy.compare.KeptBody(w.maxBodyBytes());
    resp.handler(kept::add);
    return resp.end().map(v -> {
      List<Map.Entry<String, String>> headers = dev.tandem.proxy.compare.KeptBody.headers(resp.headers(),
          resp.trailers());
      w.answered(new Side(backend.name(), resp.statusCode(), headers, kept.bytes(), kept.truncated(), null,
          System.nanoTime() - start), resp.trailers().entries().size());
      return resp.statusCode();
    });
  }

  public Future<Void> close() {
    return client.close();
  }
}
