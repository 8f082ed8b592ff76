package dev.tandem.proxy.http;

import dev.tandem.proxy.edge.Edge;
import dev.tandem.proxy.edge.EdgeRule;
import dev.tandem.proxy.edge.Rejected;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.ReadStream;

/**
 * A request body of unknown length (chunked) held to its route's {@code maxBodyBytes} as it streams: the chunk that
 * goes over is not passed on, and the exchange hears of it instead. A body whose Content-Length is over is refused
 * before the exchange starts ({@link #refuse}).
 */
final class BodyLimit implements ReadStream<Buffer> {

  /** How long the rest of a refused body is read and discarded, so that the client reads the 413, not a reset. */
  private static final long LINGER_MILLIS = 2000;

  private final long max;
  private final Edge edge;
  private ReadStream<Buffer> source;
  private Runnable onExceeded;
  private long seen;
  private boolean exceeded;

  BodyLimit(long max, Edge edge) {
    this.max = max;
    this.edge = edge;
  }

  /** Limits {@code body}; {@code onExceeded} runs once, on the first byte over. */
  ReadStream<Buffer> wrap(ReadStream<Buffer> body, Runnable onExceeded) {
    this.source = body;
    this.onExceeded = onExceeded;
    return this;
  }

  long max() {
    return max;
  }

  Edge edge() {
    return edge;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    source.handler(handler == null ? null : chunk -> {
      if (exceeded) {
        return;
      }
      seen += chunk.length();
      if (seen > max) {
        exceeded = true;
        edge.count(EdgeRule.BODY_TOO_LARGE);
        onExceeded.run();
        return;
      }
      handler.handle(chunk);
    });
    return this;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    source.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    source.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    source.resume();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    source.fetch(amount);
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    source.endHandler(endHandler == null ? null : v -> {
      if (!exceeded) {
        endHandler.handle(v);
      }
    });
    return this;
  }

  /**
   * Answers 413 with JSON (unless an answer has begun), reads and discards what is left of the body for a moment,
   * then closes the connection: it cannot carry another request with a body left unread.
   */
  static void refuse(HttpServerRequest request, String detail) {
    refuse(request, EdgeRule.BODY_TOO_LARGE, detail);
  }

  /** As {@link #refuse(HttpServerRequest, String)}, for {@code rule}: 413, or 503 when the buffers are full. */
  static void refuse(HttpServerRequest request, EdgeRule rule, String detail) {
    HttpServerResponse response = request.response();
    Promise<Void> drained = Promise.promise();
    request.exceptionHandler(e -> drained.tryComplete());
    if (request.isEnded()) {
      drained.tryComplete();
    } else {
      request.handler(ignored -> { });
      request.endHandler(v -> drained.tryComplete());
      request.resume();
      Vertx vertx = Vertx.currentContext().owner();
      long timer = vertx.setTimer(LINGER_MILLIS, id -> drained.tryComplete());
      drained.future().onComplete(v -> vertx.cancelTimer(timer));
    }
    Future<Void> answered = Future.succeededFuture();
    boolean http2 = request.version() == io.vertx.core.http.HttpVersion.HTTP_2;
    if (!response.headWritten() && !response.ended() && !response.closed()) {
      response.headers().clear();
      if (Grpc.is(request.headers())) {
        answered = Grpc.fail(response, Grpc.RESOURCE_EXHAUSTED_HTTP, "request " + detail);
      } else {
        response.setStatusCode(rule.status()).putHeader("Content-Type", "application/json");
        if (!http2) {
          response.putHeader("Connection", "close");
        }
        answered = response.end(new Rejected(rule, detail).json());
      }
    }
    // HTTP/2: the stream ends with the answer; the connection's other streams go on.
    Future.join(answered, drained.future()).onComplete(v -> {
      if (http2) {
        if (!request.isEnded()) {
          response.reset(8); // CANCEL: the rest of the body is not wanted
        }
      } else {
        request.connection().close();
      }
    });
  }
}
