package dev.tandem.replay;

import java.util.ArrayDeque;
import java.util.function.Predicate;

/**
 * Reads a capture on a thread of its own, a bounded distance ahead of the sender: at most {@code maxRecords}
 * exchanges and {@code maxBytes} of their bodies wait, so reading is paced by sending and a slow target never makes
 * the heap grow. The event loop polls without blocking and is woken through {@code onData} when it found nothing.
 */
final class ReadAhead implements AutoCloseable {

  private final ExchangeSource source;
  private final Predicate<CapturedExchange> filter;
  private final int maxRecords;
  private final long maxBytes;
  private final Runnable onData;
  private final ArrayDeque<CapturedExchange> queue = new ArrayDeque<>();
  private final Thread thread;
  private long bytes;
  private boolean done;
  private boolean closed;
  private boolean starved;
  private CaptureException failure;

  /**
   * @param filter which exchanges are replayed (shard, method, path, header); the others are passed over
   * @param onData called from the reading thread when the poller found the queue empty and data came
   */
  ReadAhead(ExchangeSource source, Predicate<CapturedExchange> filter, int maxRecords, long maxBytes,
            Runnable onData) {
    this.source = source;
    this.filter = filter;
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
    this.onData = onData;
    this.thread = new Thread(this::read, "tandem-replay-reader");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void read() {
    try {
      CapturedExchange e;
      while ((e = source.next()) != null) {
        if (!filter.test(e)) {
          continue;
        }
        if (!put(e)) {
          return;
        }
      }
      finish(null);
    } catch (CaptureException e) {
      finish(e);
    } catch (RuntimeException e) {
      finish(new CaptureException("capture", "cannot be read: " + e));
    } finally {
      source.close();
    }
  }

  private synchronized boolean put(CapturedExchange e) {
    long size = weight(e);
    while (!closed && !queue.isEmpty() && (queue.size() >= maxRecords || bytes + size > maxBytes)) {
      try {
        wait();
      } catch (InterruptedException x) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    if (closed) {
      return false;
    }
    queue.addLast(e);
    bytes += size;
    wake();
    return true;
  }

  private synchronized void finish(CaptureException e) {
    failure = e;
    done = true;
    wake();
  }

  private void wake() {
    if (starved) {
      starved = false;
      onData.run();
    }
  }

  /** The next exchange without taking it; null when none is ready (then {@code onData} will be called). */
  synchronized CapturedExchange peek() {
    CapturedExchange e = queue.peekFirst();
    if (e == null && !done) {
      starved = true;
    }
    return e;
  }

  synchronized CapturedExchange take() {
    CapturedExchange e = queue.pollFirst();
    if (e != null) {
      bytes -= weight(e);
      notifyAll();
    }
    return e;
  }

  /** Whether every exchange has been read and taken. */
  synchronized boolean exhausted() {
    return done && queue.isEmpty();
  }

  /** Why reading stopped early; null when it did not. */
  synchronized CaptureException failure() {
    return failure;
  }

  @Override
  public synchronized void close() {
    closed = true;
    notifyAll();
  }

  private static long weight(CapturedExchange e) {
    return 256 + e.body().length + (e.response() == null ? 0 : e.response().body().length);
  }
}
