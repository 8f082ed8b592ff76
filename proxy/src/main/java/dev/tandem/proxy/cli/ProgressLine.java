package dev.tandem.proxy.cli;

import dev.tandem.replay.Replayer;

import java.io.PrintWriter;

/**
 * The replay's live progress on stderr: done/total, rate, errors, differences and ETA. On a terminal it is redrawn
 * in place every half second; otherwise a plain line every five seconds, so that CI logs stay readable.
 */
final class ProgressLine {

  enum Mode { TERMINAL, PLAIN, NONE }

  private final PrintWriter err;
  private final Replayer.Progress progress;
  private final long total;
  private final Mode mode;
  private final long start = System.nanoTime();
  private long lastDone;
  private long lastNanos = start;
  private boolean drawn;

  ProgressLine(PrintWriter err, Replayer.Progress progress, long total, Mode mode) {
    this.err = err;
    this.progress = progress;
    this.total = total;
    this.mode = mode;
  }

  long periodMillis() {
    return mode == Mode.TERMINAL ? 500 : 5_000;
  }

  synchronized void print() {
    if (mode == Mode.NONE) {
      return;
    }
    long now = System.nanoTime();
    long done = progress.done();
    double rate = (done - lastDone) * 1e9 / Math.max(1, now - lastNanos);
    lastDone = done;
    lastNanos = now;
    double overall = done * 1e9 / Math.max(1, now - start);
    String eta = overall <= 0 || done >= total ? "-" : seconds((total - done) / overall);
    String line = String.format("replay: %d/%d (%.0f%%)  %.0f req/s  %d errors  %d differ  ETA %s", done, total,
        total == 0 ? 100.0 : done * 100.0 / total, rate, progress.errors(), progress.differing(), eta);
    if (mode == Mode.TERMINAL) {
      err.print("\r\033[K" + line);
      drawn = true;
    } else {
      err.println(line);
    }
    err.flush();
  }

  /** Ends the redrawn line so that the summary starts on its own. */
  synchronized void end() {
    if (drawn) {
      err.print("\r\033[K");
      err.flush();
    }
  }

  private static String seconds(double s) {
    long x = Math.round(s);
    return x >= 3600 ? String.format("%dh%02dm", x / 3600, x % 3600 / 60)
        : x >= 60 ? String.format("%dm%02ds", x / 60, x % 60) : x + "s";
  }
}
