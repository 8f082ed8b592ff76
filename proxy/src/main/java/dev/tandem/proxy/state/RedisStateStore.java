package dev.tandem.proxy.state;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Run-time state in Redis, shared by every instance: route states in the hash {@code <prefix>routes}, the audit
 * log in the list {@code <prefix>audit} (newest first, trimmed to {@link #MAX_AUDIT}), and a change announced on
 * the channel {@code <prefix>changes}. Each instance listens on that channel, and also re-reads every route every
 * {@link #REREAD_MILLIS} ms as a safety net for messages lost while its subscription was down; either way a change
 * made on one instance applies on all of them within a second. The subscription reconnects by itself.
 */
public final class RedisStateStore implements StateStore {

  private static final Logger LOG = Logger.getLogger(RedisStateStore.class.getName());
  static final long REREAD_MILLIS = 1_000;
  private static final long RESUBSCRIBE_MILLIS = 1_000;

  private final Vertx vertx;
  private final Redis redis;
  private final RedisAPI api;
  private final Redis subscriber;
  private final String routesKey;
  private final String auditKey;
  private final String channel;
  private final String prefix;
  private final List<BiConsumer<String, JsonObject>> listeners = new CopyOnWriteArrayList<>();
  private final long rereadTimer;
  private volatile RedisConnection subscription;
  private volatile boolean closed;

  public RedisStateStore(Vertx vertx, String url, String prefix) {
    this.vertx = vertx;
    String pool = dev.tandem.comparator.PoolNames.next("redis-state");
    this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url).setMaxPoolSize(2)
        .setPoolName(pool).setMetricsName(pool)
        .setMaxPoolWaiting(256));
    this.api = RedisAPI.api(redis);
    String changes = dev.tandem.comparator.PoolNames.next("redis-changes");
    this.subscriber = Redis.createClient(vertx, new RedisOptions().setConnectionString(url)
        .setPoolName(changes).setMetricsName(changes));
    this.routesKey = prefix + "routes";
    this.auditKey = prefix + "audit";
    this.channel = prefix + "changes";
    this.prefix = prefix;
    subscribe();
    this.rereadTimer = vertx.setPeriodic(REREAD_MILLIS, id -> load().onSuccess(all -> all.forEach(this::changed)));
  }

  private void subscribe() {
    if (closed) {
      return;
    }
    subscriber.connect().onComplete(ar -> {
      if (ar.failed()) {
        retrySubscribe();
        return;
      }
      RedisConnection conn = ar.result();
      subscription = conn;
      conn.handler(this::message);
      conn.exceptionHandler(e -> conn.close());
      conn.endHandler(v -> {
        subscription = null;
        retrySubscribe();
      });
      conn.send(Request.cmd(Command.SUBSCRIBE).arg(channel)).onFailure(e -> conn.close());
    });
  }

  private void retrySubscribe() {
    if (!closed) {
      vertx.setTimer(RESUBSCRIBE_MILLIS, id -> subscribe());
    }
  }

  private void message(Response r) {
    // RESP2 delivers ["message", channel, payload]; RESP3 the same as a push.
    if (r != null && r.size() >= 3 && "message".equals(r.get(0).toString())) {
      String route = r.get(2).toString();
      api.hget(routesKey, route).onSuccess(v -> {
        if (v != null) {
          changed(route, new JsonObject(v.toString()));
        }
      });
    }
  }

  private void changed(String route, JsonObject state) {
    for (BiConsumer<String, JsonObject> l : listeners) {
      try {
        l.accept(route, state);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "applying a state change of route " + route + " failed", e);
      }
    }
  }

  @Override
  public Future<Map<String, JsonObject>> load() {
    return api.hgetall(routesKey).map(r -> {
      Map<String, JsonObject> out = new HashMap<>();
      if (r != null) {
        for (String k : r.getKeys()) {
          try {
            out.put(k, new JsonObject(r.get(k).toString()));
          } catch (RuntimeException e) {
            LOG.warning("state of route " + k + " in Redis " + routesKey + " is not JSON; ignored");
          }
        }
      }
      return out;
    });
  }

  @Override
  public Future<Void> save(String route, JsonObject state) {
    return api.hset(List.of(routesKey, route, state.encode()))
        .compose(v -> api.publish(channel, route))
        .mapEmpty();
  }

  @Override
  public Future<Void> audit(JsonObject entry) {
    return api.lpush(List.of(auditKey, entry.encode()))
        .compose(v -> api.ltrim(auditKey, "0", Integer.toString(MAX_AUDIT - 1)))
        .mapEmpty();
  }

  @Override
  public Future<List<JsonObject>> audit(int limit) {
    return api.lrange(auditKey, "0", Integer.toString(Math.max(0, limit - 1))).map(r -> {
      List<JsonObject> out = new ArrayList<>();
      if (r != null) {
        for (Response e : r) {
          out.add(new JsonObject(e.toString()));
        }
      }
      return out;
    });
  }

  @Override
  public void onChange(BiConsumer<String, JsonObject> listener) {
    listeners.add(listener);
  }

  @Override
  public RedisAPI sharedRedis() {
    return api;
  }

  @Override
  public String prefix() {
    return prefix;
  }

  @Override
  public boolean startsWithoutSavedState() {
    return true; // the periodic re-read applies the saved values once Redis answers
  }

  @Override
  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(rereadTimer);
    RedisConnection s = subscription;
    if (s != null) {
      s.close();
    }
    subscriber.close();
    return redis.close();
  }
}
