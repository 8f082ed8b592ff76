package dev.tandem.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Passes a body through unchanged while keeping its first {@code max} bytes, for the comparator. The stream's
 * pace is the reader's: pause, resume and fetch go straight to the source.
 */
final class BodyTap implements ReadStream<Buffer> {

  private final ReadStream<Buffer> source;
  private final long max;
  private final Buffer kept = Buffer.buffer();
  private boolean truncated;

  BodyTap(ReadStream<Buffer> source, long max) {
    this.source = source;
    this.max = max;
  }

  Buffer kept() {
    return kept;
  }

  boolean truncated() {
    return truncated;
  }

  private void keep(Buffer chunk) {
    long room = max - kept.length();
    if (chunk.length() <= room) {
      kept.appendBuffer(chunk);
    } else {
      if (room > 0) {
        kept.appendBuffer(chunk.slice(0, (int) room));
      }
      truncated = true;
    }
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    source.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    source.handler(handler == null ? null : chunk -> {
      keep(chunk);
      handler.handle(chunk);
    });
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
    source.endHandler(endHandler);
    return this;
  }
}
