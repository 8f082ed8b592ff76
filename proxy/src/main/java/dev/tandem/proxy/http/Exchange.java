package dev.tandem.proxy.http;

import dev.tandem.proxy.metrics.Recorder;
import dev.tandem.proxy.capture.PendingCapture;
import dev.tandem.proxy.mirror.MirrorCopy;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import dev.tandem.comparator.Side;
import dev.tandem.proxy.compare.KeptBody;
import dev.tandem.proxy.compare.PendingComparison;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import dev.tandem.proxy.edge.Edge;
import dev.tandem.proxy.edge.EdgeRule;

import java.util.List;

/**
 * One request forwarded to one backend and its answer streamed back. Bodies flow through {@code Pipe}s in both
 * directions, so back-pressure holds: a slow reader on either side pauses the writer, and the heap holds at most a
 * few chunks per exchange however large the body.
 */
final class Exchange {

  /** Bodies up to this size, when their length is known, are forwarded in one write; larger ones stream. */
  static final long WHOLE_BODY_LIMIT = 32 * 1024;

  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final Backend backend;
  private final Recorder metrics;
  private final String uri;
  private final long startNanos;
  private final MirrorCopy copy;
  private final PendingCapture capture;
  private final Handler<HttpServerResponse> decorate;
  private final ForwardedHeaders forwarded;
  private final BodyLimit limit;
  private HttpClientRequest upstream;
  private boolean hasBody;
  private boolean chunked;
  /** The body went into the pipe to the backend (and through the mirror's tee and the capture's tap). */
  private boolean bodyPiped;
  private boolean finished;
  private final boolean grpc;
  private final boolean http2;
  private int grpcStatus = Grpc.NONE;
  private boolean peeking;
  private boolean endedEarly;
  private Buffer early;
  /** Bytes of the edge's request-buffer budget this exchange holds (a body read whole); given back once. */
  private long held;
  private boolean wholeBody;
  /** The body read whole, as the client's chunks (no copy into one growing buffer); null once sent. */
  private List<Buffer> whole;
  private long wholeLength;
  /** While a body is held, before any backend is asked: where the exchange is counted if it ends then. */
  private Recorder holding;
  private long holdTimer = -1;
  private io.vertx.core.Vertx holdVertx;

  /**
   * @param capture  records the exchange to a capture file; may be null
   * @param decorate adds Tandem's own headers (sticky cookie, backend header) to the answer; may be null
   * @param limit    holds a chunked body to the route's maxBodyBytes; null when the length is known (and was checked)
   */
  Exchange(HttpServerRequest request, Backend backend, Recorder metrics, String uri, long startNanos,
           MirrorCopy copy, PendingCapture capture, Handler<HttpServerResponse> decorate, ForwardedHeaders forwarded,
           BodyLimit limit) {
    this.forwarded = forwarded;
    this.limit = limit;
    this.copy = copy;
    this.capture = capture;
    this.decorate = decorate;
    this.request = request;
    this.response = request.response();
    this.backend = backend;
    this.metrics = metrics;
    this.uri = uri;
    this.startNanos = startNanos;
    this.http2 = request.version() == HttpVersion.HTTP_2;
    this.grpc = Grpc.is(request.headers());
  }

  /**
   * @param hasBody whether the request has a body (a Content-Length, or chunked)
   * @param chunked whether it is chunked
   * @param hold    non-null to read a chunked body whole (the route's requestBuffering) before a backend is asked:
   *                where a refusal of that body is counted (no backend, since none was asked)
   */
  void start(boolean hasBody, boolean chunked, Recorder hold) {
    this.hasBody = hasBody;
    this.chunked = chunked;
    if (hold != null && hasBody && chunked && limit != null) {
      holdBody(hold);
      return;
    }
    connect();
  }

  /**
   * Reads the body whole, as NGINX's {@code proxy_request_buffering} does, so that a body over {@code maxBodyBytes}
   * is refused before any backend, the mirror or the capture hears of it; then sends it with its Content-Length.
   * Memory: at most the route's {@code maxBodyBytes} per request and {@code server.requestBufferBytes} for all of
   * them, which the configuration checks; beyond the latter a request is answered 503 and nothing is forwarded.
   */
  private void holdBody(Recorder refusals) {
    Edge edge = limit.edge();
    holding = refusals;
    response.closeHandler(v -> aborted());
    request.exceptionHandler(e -> aborted());
    String expect = request.getHeader("Expect");
    if (expect != null && expect.equalsIgnoreCase("100-continue") && request.version() != HttpVersion.HTTP_1_0) {
      response.writeContinue(); // the body is read here, so Tandem answers the expectation, as NGINX does
    }
    List<Buffer> chunks = new java.util.ArrayList<>();
    long[] length = {0};
    holdVertx = io.vertx.core.Vertx.currentContext().owner(); // the request's own event loop
    holdTimer = holdVertx.setTimer(Math.max(1, edge.requestBufferTimeout().toMillis()), id -> {
      holdTimer = -1;
      if (!finished && !wholeBody) {
        // A body trickling in would hold its share of the budget for as long as it keeps the minimum rate.
        edge.count(EdgeRule.REQUEST_BUFFER_TIMEOUT);
        refuseHeld(refusals, EdgeRule.REQUEST_BUFFER_TIMEOUT.status());
        BodyLimit.refuse(request, EdgeRule.REQUEST_BUFFER_TIMEOUT, length[0] + " bytes in "
            + edge.requestBufferTimeout().toMillis() + " ms, and no end");
      }
    });
    request.handler(chunk -> {
      if (finished) {
        return;
      }
      if (length[0] + chunk.length() > limit.max()) {
        edge.count(EdgeRule.BODY_TOO_LARGE);
        refuseHeld(refusals, EdgeRule.BODY_TOO_LARGE.status());
        BodyLimit.refuse(request, "more than " + limit.max() + " bytes");
        return;
      }
      if (!edge.holdBody(request.connection(), chunk.length())) {
        edge.count(EdgeRule.REQUEST_BUFFERS_FULL);
        refuseHeld(refusals, EdgeRule.REQUEST_BUFFERS_FULL.status());
        BodyLimit.refuse(request, EdgeRule.REQUEST_BUFFERS_FULL, "server.requestBufferBytes ("
            + edge.requestBufferBytes() + " bytes) are held by other requests' bodies"
            + (http2 ? ", or a quarter of them by this connection's streams" : ""));
        return;
      }
      held += chunk.length();
      length[0] += chunk.length();
      chunks.add(chunk);
    });
    request.endHandler(v -> {
      if (finished) {
        return;
      }
      request.handler(null);
      request.endHandler(null); // the request has ended: nothing more to pause (HTTP/2 refuses to)
      cancelHoldTimer();
      holding = null;
      wholeBody = true;
      chunked = false;
      hasBody = length[0] > 0 || !http2; // HTTP/2 without a body (a GET) ends with its headers
      whole = chunks;
      wholeLength = length[0];
      connect();
    });
  }

  /** A held body refused: nothing of the exchange goes on; the budget it took is given back. */
  private void refuseHeld(Recorder refusals, int status) {
    finished = true;
    refusals.record(status, System.nanoTime() - startNanos);
    giveBack();
    if (copy != null) {
      copy.clientAborted();
    }
    if (capture != null) {
      capture.abandon();
    }
  }

  /** A chunk of a body no backend took, for the capture and the mirror's copy. */
  private void bodyRead(Buffer chunk) {
    if (capture != null) {
      capture.requestChunk(chunk);
    }
    if (copy != null) {
      copy.requestChunk(chunk);
    }
  }

  private void bodyReadWhole() {
    if (capture != null) {
      capture.requestEnded();
    }
    if (copy != null) {
      copy.requestEnded();
    }
  }

  private void cancelHoldTimer() {
    if (holdTimer >= 0) {
      holdVertx.cancelTimer(holdTimer);
      holdTimer = -1;
    }
  }

  private void giveBack() {
    cancelHoldTimer();
    if (held > 0) {
      limit.edge().releaseBody(request.connection(), held);
      held = 0;
    }
  }

  /** Asks the backend for a connection; the request body, if it streams, waits paused until it is there. */
  private void connect() {
    if (wholeBody && hasBody) {
      // Read already, and the client's handlers set: the body goes out once the connection is there.
    } else if (hasBody && http2 && chunked && !backend.config().http2() && !request.headers().contains("Expect")) {
      // An HTTP/2 body of unknown length, for an HTTP/1.1 hop that must frame it: whether the stream ended with its
      // headers (a GET) is known only once Vert.x delivers the end, right after this handler. Until the backend
      // connection is there, the first chunk is held (and the client paused) or the end noted; a bodiless request
      // then goes out without a body, not as an empty chunked one.
      peeking = true;
      request.handler(chunk -> {
        early = early == null ? chunk : early.appendBuffer(chunk);
        request.pause();
        peeked();
      });
      request.endHandler(v -> {
        endedEarly = true;
        peeked();
      });
    } else if (hasBody) {
      // Held until the backend connection is there; then piped with back-pressure.
      request.pause();
    } else {
      if (copy != null) {
        copy.noBody();
      }
      if (capture != null) {
        capture.requestEnded();
      }
    }
    // A client that goes away cancels the backend request, so the backend stops working for nobody; so does a
    // request the edge refused mid-body (a bad chunk, a body timeout), which fails the request stream.
    response.closeHandler(v -> aborted());
    request.exceptionHandler(e -> aborted());
    backend.client().request(backend.requestOptions(request.method(), uri)).onComplete(ar -> {
      if (ar.failed()) {
        fail(ar.cause());
      } else {
        send(ar.result());
      }
    });
  }

  private void send(HttpClientRequest upstream) {
    this.upstream = upstream;
    // Failures reach us through the response future; a reset we asked for is no news.
    upstream.exceptionHandler(ignored -> { });
    if (finished) {
      upstream.reset();
      return;
    }
    if (peeking && early == null && !endedEarly) {
      return; // the connection came first (a pooled one, at once): the body's first event sends the head
    }
    forward();
  }

  /** The body's first event came: the head goes out if the backend connection is there already. */
  private void peeked() {
    if (peeking && upstream != null && !finished) {
      forward();
    }
  }

  /** Sends the head, then the body, on {@link #upstream}. */
  private void forward() {
    HttpClientRequest upstream = this.upstream;
    if (peeking) {
      peeking = false;
      request.handler(null);
      request.endHandler(null);
      if (endedEarly && early == null) {
        hasBody = false;
        chunked = false;
        if (copy != null) {
          copy.noBody();
        }
        if (capture != null) {
          capture.requestEnded();
        }
      }
    }
    MultiMap headers = upstream.headers();
    HopByHop.copy(request.headers(), headers, false);
    headers.remove("Host");
    forwarded.append(request, headers);
    upstream.authority(backend.authorityFor(request));
    boolean upstreamHttp2 = backend.config().http2();
    if (upstreamHttp2) {
      HopByHop.teTrailers(request.headers(), headers);
    } else if (http2) {
      HopByHop.joinCookies(headers); // RFC 9113 §8.2.3: HTTP/2 may split them; HTTP/1.1 has one line
    }
    if (chunked) {
      headers.remove("Content-Length");
      upstream.setChunked(true); // on HTTP/2 only Vert.x's permission to stream: no such header goes out
    }
    if (wholeBody) {
      headers.remove("Expect"); // answered by Tandem, which has the body
      headers.remove("Transfer-Encoding");
      if (hasBody) {
        headers.set("Content-Length", Long.toString(wholeLength));
      }
    } else if (request.headers().contains("Expect")) {
      // The client holds its body until it hears 100 Continue, so the head must go out without waiting for it.
      upstream.continueHandler(v -> response.writeContinue());
      upstream.sendHead();
    }
    upstream.response().onComplete(this::respond);
    if (!hasBody) {
      upstream.end();
      return;
    }
    ReadStream<Buffer> source;
    if (wholeBody) {
      source = new WholeBody(whole);
      whole = null;
    } else {
      source = early == null ? request : new PrefixedStream(early, request);
    }
    ReadStream<Buffer> body = limit == null || wholeBody ? source : limit.wrap(source, this::overLimit);
    body = copy == null ? body : copy.tee(body);
    if (capture != null) {
      body = new TappedStream(body, capture::requestChunk, capture::requestEnded);
    }
    bodyPiped = true;
    body.pipe()
        .endOnFailure(false)
        .to(upstream)
        .andThen(ar -> giveBack()) // a held body is written (or never will be): its budget is free
        .onFailure(t -> {
          upstream.reset();
          if (!request.isEnded()) {
            aborted(); // the request stream failed: the client left, or the edge refused the body
          }
        });
  }

  /** The client's side ended before its answer: nothing of the exchange is mirrored, compared or captured. */
  private void aborted() {
    if (response.ended() && http2) {
      return; // an HTTP/2 stream closes once its answer is out: that is the end, not an abort
    }
    if (copy != null) {
      copy.clientAborted();
    }
    boolean answered = response.ended();
    if (capture != null && !answered) {
      capture.abandon();
    }
    // Refused by the edge: the client was told why, with that status.
    finish(Edge.status(request.connection(), 499));
    if (upstream != null && !answered) {
      upstream.reset();
    }
  }

  private void respond(AsyncResult<HttpClientResponse> ar) {
    if (ar.failed()) {
      fail(ar.cause());
      return;
    }
    HttpClientResponse answer = ar.result();
    if (finished) {
      abandonComparison();
      abandonCapture();
      return;
    }
    if (answer.statusCode() < 200) {
      // 101 to a request that asked for no upgrade (a WebSocket goes through UpgradeTunnel): relayed, the client
      // would switch protocols on a connection that Tandem keeps parsing as HTTP.
      answer.request().reset();
      fail(new IllegalStateException("the backend answered " + answer.statusCode()
          + " to a request that did not ask to switch protocols"));
      return;
    }
    if (copy != null) {
      copy.primaryAnswered(answer.statusCode());
    }
    response.setStatusCode(answer.statusCode());
    response.setStatusMessage(answer.statusMessage());
    HopByHop.copy(answer.headers(), response.headers(), false);
    if (decorate != null) {
      decorate.handle(response);
    }
    boolean bodyless = request.method() == HttpMethod.HEAD || answer.statusCode() == 204
        || answer.statusCode() == 304 || answer.statusCode() < 200;
    long length = contentLength(answer.headers().get("Content-Length"));
    PendingComparison comparison = copy == null ? null : copy.comparison();
    if (bodyless || length == 0) {
      answer.end().onComplete(done -> {
        trailers(answer);
        response.end();
        finish(answer.statusCode());
        if (comparison != null) {
          comparison.primary(side(answer, new byte[0], false));
        }
        captured(answer);
      });
      return;
    }
    if (length > 0 && length <= WHOLE_BODY_LIMIT) {
      // A small body of known size goes out with its head in one write, instead of one write per chunk.
      answer.body().onComplete(body -> {
        if (body.succeeded()) {
          trailers(answer);
          response.end(body.result());
          if (capture != null) {
            capture.primaryChunk(body.result());
            captured(answer);
          }
        } else {
          response.reset();
          abandonCapture();
        }
        finish(answer.statusCode());
        if (comparison != null && body.succeeded()) {
          KeptBody b = new KeptBody(comparison.maxBodyBytes());
          b.add(body.result());
          comparison.primary(side(answer, b.bytes(), b.truncated()));
        } else if (comparison != null) {
          comparison.abandon();
        }
      });
      return;
    }
    if (length < 0) {
      if (request.version() == HttpVersion.HTTP_1_0) {
        // An HTTP/1.0 client cannot read chunks: the end of the connection marks the end of the body.
        response.putHeader("Connection", "close");
      }
      response.setChunked(true);
    }
    KeptBody kept = comparison == null ? null : new KeptBody(comparison.maxBodyBytes());
    Handler<Buffer> tap = kept == null ? capture == null ? null : capture::primaryChunk
        : capture == null ? kept::add : chunk -> {
          kept.add(chunk);
          capture.primaryChunk(chunk);
        };
    new TappedStream(answer, tap == null ? chunk -> { } : tap, () -> trailers(answer)).pipe()
        .endOnFailure(false)
        .to(response)
        .onComplete(done -> {
          if (done.failed()) {
            upstream.reset();
            response.reset();
            abandonCapture();
          } else {
            captured(answer);
          }
          finish(answer.statusCode());
          if (kept != null && done.succeeded()) {
            comparison.primary(side(answer, kept.bytes(), kept.truncated()));
          } else if (kept != null) {
            comparison.abandon();
          }
        });
  }

  /** The chunked body went over the route's maxBodyBytes: nothing of it is mirrored, compared or captured. */
  private void overLimit() {
    finish(EdgeRule.BODY_TOO_LARGE.status());
    if (copy != null) {
      copy.clientAborted();
    }
    abandonComparison();
    abandonCapture();
    if (upstream != null) {
      upstream.reset();
    }
    BodyLimit.refuse(request, "more than " + limit.max() + " bytes");
  }

  /** The primary's answer has reached the client: the capture has its side. */
  private void captured(HttpClientResponse answer) {
    if (capture != null) {
      capture.primaryEnded(backend.name(), answer.statusCode(), answer.headers(), answer.trailers(),
          System.nanoTime() - startNanos);
    }
  }

  private void abandonCapture() {
    if (capture != null) {
      capture.abandon();
    }
  }

  /** The primary's answer will not be compared (the client left first): counted as skipped, not lost. */
  private void abandonComparison() {
    if (copy != null && copy.comparison() != null) {
      copy.comparison().abandon();
    }
  }

  /** The primary's answer as the comparator sees it. */
  private Side side(HttpClientResponse answer, byte[] body, boolean truncated) {
    return new Side(backend.name(), answer.statusCode(), KeptBody.headers(answer.headers(), answer.trailers()), body,
        truncated, null, System.nanoTime() - startNanos);
  }

  private void fail(Throwable failure) {
    if (finished) {
      abandonComparison();
      abandonCapture();
      return;
    }
    int status = ProxyErrors.statusFor(failure);
    // The backend was never reached, or failed before the body went: the body is read now, as the client sends
    // it (or as it was held), for the capture and the mirror's copy, which would otherwise wait for it.
    boolean readHere = hasBody && !bodyPiped;
    boolean endedAlready = wholeBody || endedEarly || request.isEnded();
    if (peeking) {
      peeking = false;
      request.handler(null); // the peek is over
      request.endHandler(null);
    }
    if (readHere) {
      if (early != null) {
        bodyRead(early);
        early = null;
      }
      if (whole != null) {
        whole.forEach(this::bodyRead);
        whole = null;
      }
      if (endedAlready) {
        bodyReadWhole();
      }
    }
    if (capture != null) {
      capture.primaryFailed(backend.name(), status, ProxyErrors.describe(failure), System.nanoTime() - startNanos);
    }
    if (readHere && !endedAlready) {
      request.handler(this::bodyRead);
      request.endHandler(v -> bodyReadWhole());
    }
    if (copy != null) {
      copy.primaryAnswered(status);
      if (copy.comparison() != null) {
        copy.comparison().primary(new Side(backend.name(), status, List.of(), new byte[0], false,
            ProxyErrors.describe(failure), System.nanoTime() - startNanos));
      }
    }
    if (!request.isEnded()) {
      request.resume(); // HTTP/2's request refuses a resume once ended
    }
    if (response.headWritten()) {
      response.reset();
    } else {
      if (decorate != null) {
        decorate.handle(response);
      }
      if (grpc) {
        Grpc.fail(response, status, backend.name() + ": " + ProxyErrors.describe(failure));
        grpcStatus = Grpc.status(response.headers(), null);
        status = 200;
      } else {
        ProxyErrors.send(response, status, backend.name(), ProxyErrors.describe(failure));
      }
    }
    finish(status);
  }

  /**
   * The backend's trailers go on to the client (gRPC's status is in them): on HTTP/2 always, on HTTP/1.1 after a
   * chunked body (a body of known length has no place for them, and they are dropped, as RFC 9110 §6.5.1 allows).
   */
  private void trailers(HttpClientResponse answer) {
    MultiMap t = answer.trailers();
    if (!t.isEmpty() && (http2 || response.isChunked())) {
      response.trailers().addAll(t);
    }
    grpcStatus = grpc ? Grpc.status(answer.headers(), t) : Grpc.NONE;
  }

  private void finish(int status) {
    giveBack();
    if (!finished && holding != null) {
      // Ended while its body was held (the client left): no backend was asked, none is charged with it.
      finished = true;
      holding.record(status, System.nanoTime() - startNanos);
      return;
    }
    if (!finished) {
      finished = true;
      if (grpc && grpcStatus == Grpc.NONE && status == 200) {
        // No grpc-status came (the answer was cut, or the server broke the protocol): a client reads UNKNOWN.
        grpcStatus = Grpc.UNKNOWN;
      }
      if (grpcStatus != Grpc.NONE) {
        metrics.recordGrpc(status, grpcStatus, System.nanoTime() - startNanos);
      } else {
        metrics.record(status, System.nanoTime() - startNanos);
      }
    }
  }

  /** The length a Content-Length header gives; -1 when there is none (the edge has rejected any that is invalid). */
  static long contentLength(String header) {
    if (header == null) {
      return -1;
    }
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static boolean isChunked(MultiMap headers) {
    String te = headers.get("Transfer-Encoding");
    return te != null && te.toLowerCase(java.util.Locale.ROOT).contains("chunked");
  }
}
