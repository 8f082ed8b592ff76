package dev.tandem.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * Passes a body through unchanged while showing each chunk, and the end, to an observer: the mirror keeps a copy of
 * the request body for the shadows, the comparator a copy of the primary's answer. The pace stays the reader's:
 * pause, resume and fetch go straight to the source.
 */
public final class TappedStream implements ReadStream<Buffer> {

  private final ReadStream<Buffer> source;
  private final Handler<Buffer> onChunk;
  private final Runnable onEnd;

  /** @param onEnd runs when the body has ended, before the reader hears of it; may be null */
  public TappedStream(ReadStream<Buffer> source, Handler<Buffer> onChunk, Runnable onEnd) {
    this.source = source;
    this.onChunk = onChunk;
    this.onEnd = onEnd;
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    source.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    source.handler(handler == null ? null : chunk -> {
      onChunk.handle(chunk);
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
  public ReadStream<Buffer> endHandler(Handler<Void> handler) {
    source.endHandler(handler == null || onEnd == null ? handler : v -> {
      onEnd.run();
      handler.handle(v);
    });
    return this;
  }
}
