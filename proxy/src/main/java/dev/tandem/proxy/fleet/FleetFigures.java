package dev.tandem.proxy.fleet;

import dev.tandem.proxy.canary.Figures;
import dev.tandem.proxy.canary.RolloutFigures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A rollout judged on the whole fleet's traffic. Every instance counts what it served into the rollout's current
 * window and, every {@link #FLUSH_MILLIS} ms, writes its running total for the window into the Redis hash
 * {@code <prefix>rollout:<route>:window:<window>}, under its own id (a rewrite, not an increment, so a retried write
 * never counts twice); the driver, at the end of the interval, writes its own and adds up every instance's. What an
 * instance served but had not written when it hears of the next window is counted there (never twice). What it
 * wrote in between — a periodic write after the driver read the window, before the instance heard of the next —
 * lands in a window nobody reads again: up to a second of that instance's traffic per interval is not judged. A
 * sample, not a bias: gates judge rates and ratios of both sides over the same time.
 * Windows expire from Redis a while after their interval. Memory per instance: one total per route with a
 * rollout running.
 */
public final class FleetFigures implements RolloutFigures {

  private static final Logger LOG = Logger.getLogger(FleetFigures.class.getName());
  static final long FLUSH_MILLIS = 1_000;
  private static final long KEEP_MILLIS = 10 * 60_000;

  private final Vertx vertx;
  private final RedisAPI redis;
  private final String prefix;
  private final String instance;
  private final Source source;
  private final Map<String, Window> windows = new HashMap<>();
  private final long timer;

  /** One route's current window on this instance, and what this instance counted in it so far. */
  private static final class Window {
    final String id;
    Figures total;

    Window(String id, Figures total) {
      this.id = id;
      this.total = total;
    }
  }

  public FleetFigures(Vertx vertx, RedisAPI redis, String prefix, String instance, Source source) {
    this.vertx = vertx;
    this.redis = redis;
    this.prefix = prefix;
    this.instance = instance;
    this.source = source;
    this.timer = vertx.setPeriodic(FLUSH_MILLIS, id -> flushAll());
  }

  private String key(String route, String window) {
    return prefix + "rollout:" + route + ":window:" + window;
  }

  @Override
  public synchronized void windowStarted(String route, String window) {
    Window current = windows.get(route);
    if (current != null && current.id.equals(window)) {
      return;
    }
    if (current != null) {
      // What was served since the last flush goes into the new window: the driver summed the old one when its
      // interval ended, before this instance heard of the new one, so counted there it would never be judged.
      Figures rest = source.drain(route);
      windows.put(route, new Window(window, empty(current.total).plus(rest)));
    } else {
      Figures before = source.drain(route); // served before any window: not the rollout's
      windows.put(route, new Window(window, empty(before)));
    }
  }

  private static Figures empty(Figures like) {
    return Figures.empty(like.compared() >= 0);
  }

  @Override
  public synchronized void stopped(String route) {
    windows.remove(route);
  }

  @Override
  public Future<Figures> collect(String route, String window) {
    Window w;
    synchronized (this) {
      w = windows.get(route);
      if (w == null || !w.id.equals(window)) {
        return Future.failedFuture("this instance is not counting window " + window + " of route " + route);
      }
      w.total = w.total.plus(source.drain(route));
    }
    return write(route, w).compose(v -> redis.hgetall(key(route, window))).map(r -> sum(route, r, w.total));
  }

  private Figures sum(String route, Response all, Figures own) {
    Figures total = Figures.empty(own.compared() >= 0);
    int instances = 0;
    if (all != null) {
      for (String field : all.getKeys()) {
        try {
          total = total.plus(Figures.fromJson(new JsonObject(all.get(field).toString())));
          instances++;
        } catch (RuntimeException e) {
          LOG.warning("rollout figures of instance " + field + " for route " + route + " cannot be read; left out");
        }
      }
    }
    if (instances == 0) {
      total = own; // Redis lost the window (restarted): this instance's own figures at least
    }
    return total;
  }

  private synchronized void flushAll() {
    windows.forEach((route, w) -> {
      w.total = w.total.plus(source.drain(route));
      write(route, w);
    });
  }

  private Future<Void> write(String route, Window w) {
    String key = key(route, w.id);
    return redis.hset(List.of(key, instance, w.total.toJson().encode()))
        .compose(v -> redis.pexpire(List.of(key, Long.toString(KEEP_MILLIS))))
        .<Void>mapEmpty()
        .onFailure(e -> LOG.fine(() -> "rollout figures not written (" + e.getMessage() + "); kept for the next"
            + " write"));
  }

  @Override
  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }
}
