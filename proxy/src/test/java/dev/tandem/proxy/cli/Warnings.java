package dev.tandem.proxy.cli;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Every WARNING or worse logged (java.util.logging, where Vert.x and Micrometer log) while it is open. */
final class Warnings extends Handler implements AutoCloseable {

  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final Logger root = Logger.getLogger("");

  Warnings() {
    root.addHandler(this);
  }

  List<String> messages() {
    return List.copyOf(seen);
  }

  @Override
  public void publish(LogRecord r) {
    if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
      seen.add(r.getLoggerName() + ": " + r.getMessage());
    }
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    root.removeHandler(this);
  }
}
