package dev.tandem.proxy.mirror;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.List;

/**
 * Dead letters in a Redis stream ({@code XADD}), shared by every instance and kept across restarts; a resolved
 * letter is removed ({@code XDEL}). The stream is capped at {@link #MAX_LETTERS} entries so it cannot grow without
 * bound; {@code tandem_mirror_total{outcome="dead_lettered"}} says how many were written.
 */
public final class RedisDeadLetterStore implements DeadLetterStore {

  static final int MAX_LETTERS = 1_000_000;

  private final Redis redis;
  private final RedisAPI api;
  private final String stream;

  public RedisDeadLetterStore(Vertx vertx, String url, String stream) {
    String pool = dev.tandem.comparator.PoolNames.next("redis-dead-letters");
    this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url)
        .setPoolName(pool).setMetricsName(pool).setMaxPoolSize(4)
        .setMaxPoolWaiting(1024));
    this.api = RedisAPI.api(redis);
    this.stream = stream;
  }

  @Override
  public Future<Void> append(DeadLetter letter) {
    return api.xadd(List.of(stream, "MAXLEN", "~", Integer.toString(MAX_LETTERS), "*", "letter",
        letter.toJson().encode())).mapEmpty();
  }

  @Override
  public Future<List<DeadLetter>> unresolved() {
    return entries().map(list -> list.stream().map(e -> e.letter).toList());
  }

  @Override
  public Future<Void> resolve(String id) {
    return entries().compose(list -> {
      List<String> streamIds = list.stream().filter(e -> e.letter.id().equals(id)).map(e -> e.streamId).toList();
      if (streamIds.isEmpty()) {
        return Future.succeededFuture();
      }
      List<String> args = new ArrayList<>();
      args.add(stream);
      args.addAll(streamIds);
      return api.xdel(args).mapEmpty();
    });
  }

  private record Entry(String streamId, DeadLetter letter) {
  }

  private Future<List<Entry>> entries() {
    return api.xrange(List.of(stream, "-", "+")).map(r -> {
      List<Entry> out = new ArrayList<>();
      if (r == null) {
        return out;
      }
      for (Response entry : r) {
        Response fields = entry.get(1);
        for (int i = 0; i + 1 < fields.size(); i += 2) {
          if ("letter".equals(fields.get(i).toString())) {
            out.add(new Entry(entry.get(0).toString(), DeadLetter.fromJson(new JsonObject(fields.get(i + 1).toString()))));
          }
        }
      }
      return out;
    });
  }

  @Override
  public Future<Void> close() {
    return redis.close();
  }
}
