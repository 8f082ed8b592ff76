package dev.tandem.replay;

import java.io.Closeable;

/**
 * Captured exchanges read one at a time, so that a capture of any size is replayed in bounded memory. Not
 * thread-safe: one reader thread pulls from it.
 */
public interface ExchangeSource extends Closeable {

  /** The next exchange, or null at the end; a record that cannot be read fails with its place and why. */
  CapturedExchange next() throws CaptureException;

  @Override
  void close();
}
