package dev.tandem.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * A request body read whole (a route's {@code requestBuffering}) as the stream the mirror's tee, the capture's tap
 * and the pipe to the backend read: the client's chunks as they came, then the end, as fast as the reader asks.
 * Kept as the chunks, not copied into one buffer that grows by doubling. Vert.x has no stream of buffers it
 * already holds.
 */
final class WholeBody implements ReadStream<Buffer> {

  private final Deque<Buffer> chunks;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private boolean paused = true;
  private boolean ended;
  private boolean emitting;

  WholeBody(List<Buffer> chunks) {
    this.chunks = new ArrayDeque<>(chunks);
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
    if (emitting) {
      return; // a reader resuming from its handler: the loop below goes on
    }
    emitting = true;
    try {
      while (!paused && handler != null && !chunks.isEmpty()) {
        handler.handle(chunks.poll());
      }
      if (chunks.isEmpty() && !paused && !ended && endHandler != null) {
        ended = true;
        endHandler.handle(null);
      }
    } finally {
      emitting = false;
    }
  }
}
