package dev.tandem.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A request body read whole (a route's {@code requestBuffering}) as the stream the mirror's tee, the capture's tap
 * and the pipe to the backend read: one chunk, then the end, when the reader asks for data. Vert.x has no such
 * stream of a buffer it already holds.
 */
final class WholeBody implements ReadStream<Buffer> {

  private Buffer body;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private boolean paused = true;
  private boolean ended;

  WholeBody(Buffer body) {
    this.body = body;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
    return this; // nothing is read any more: nothing can fail
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> h) {
    handler = h;
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    paused = true;
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    paused = false;
    emit();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    return amount > 0 ? resume() : this;
  }

  private void emit() {
    if (body != null && handler != null) {
      Buffer b = body;
      body = null;
      if (b.length() > 0) {
        handler.handle(b);
      }
    }
    if (body == null && !paused && !ended && endHandler != null) {
      ended = true;
      endHandler.handle(null);
    }
  }
}
