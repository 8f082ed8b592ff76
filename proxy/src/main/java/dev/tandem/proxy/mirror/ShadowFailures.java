package dev.tandem.proxy.mirror;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Logs why copies to a shadow fail: the first failure at once, then at most one line a minute per route and shadow
 * with how many failed since, since a shadow that is down fails every copy. Shared by the event loops.
 */
final class ShadowFailures {

  static final long INTERVAL = TimeUnit.MINUTES.toNanos(1);
  private static final Logger LOG = Logger.getLogger(ShadowFailures.class.getName());

  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    private long next;
    private long unlogged;

    Window(long now) {
      this.next = now;
    }
  }

  /** A safe copy to {@code shadow} failed for {@code reason}. */
  void failed(String shadow, MirrorRequest copy, String reason) {
    long now = System.nanoTime();
    Window w = windows.computeIfAbsent(copy.route() + '\u0000' + shadow, k -> new Window(now));
    long since;
    synchronized (w) {
      if (now - w.next < 0) {
        w.unlogged++;
        return;
      }
      since = w.unlogged;
      w.unlogged = 0;
      w.next = now + INTERVAL;
    }
    String uri = copy.uri();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query) + "?…"; // queries often carry tokens: not logged
    LOG.warning("mirror: route " + copy.route() + ", shadow " + shadow + ": " + copy.method() + " " + path
        + " failed: " + reason + (since > 0 ? " (and " + since + " more since the last line)" : ""));
  }
}
