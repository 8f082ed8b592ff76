package dev.tandem.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A paused body with the chunk already read from it put back in front: the reader gets {@code first}, then the
 * rest from the source, with the source's back-pressure (it stays paused until the reader resumes it, and is not
 * resumed when the reader pauses on {@code first}).
 */
final class PrefixedStream implements ReadStream<Buffer> {

  private final ReadStream<Buffer> source;
  private Buffer first;
  private Handler<Buffer> handler;
  private boolean paused = true;

  PrefixedStream(Buffer first, ReadStream<Buffer> source) {
    this.first = first;
    this.source = source;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> h) {
    source.exceptionHandler(h);
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> h) {
    handler = h;
    source.handler(h);
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    paused = true;
    source.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    paused = false;
    if (first != null && handler != null) {
      Buffer b = first;
      first = null;
      handler.handle(b);
    }
    if (!paused) {
      source.resume();
    }
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    return amount > 0 ? resume() : this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> h) {
    source.endHandler(h);
    return this;
  }
}
