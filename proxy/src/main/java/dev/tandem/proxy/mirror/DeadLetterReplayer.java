package dev.tandem.proxy.mirror;

import dev.tandem.idempotency.IdempotencyStore;
import dev.tandem.idempotency.Reservation;
import dev.tandem.proxy.config.BackendConfig;
import dev.tandem.proxy.config.MirrorConfig;
import dev.tandem.proxy.config.TandemConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends dead letters again, one after another, each under its original idempotency key: the key is reserved first,
 * so a letter whose write already landed (a replay run twice, or two operators at once) is resolved as a duplicate
 * instead of being written again. A delivered letter is resolved; a failing one stays for the next replay.
 */
public final class DeadLetterReplayer {

  private static final Duration REPLAY_TIMEOUT = Duration.ofSeconds(10);

  private final Vertx vertx;
  private final TandemConfig config;
  private final IdempotencyStore store;
  private final Duration ttl;
  private final DeadLetterStore letters;
  private final Map<String, ShadowSender> senders = new HashMap<>();

  public DeadLetterReplayer(Vertx vertx, TandemConfig config, IdempotencyStore store, DeadLetterStore letters) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.ttl = config.idempotency().ttl();
    this.letters = letters;
  }

  /** What one replay did. */
  public record Report(int delivered, int duplicate, int failed, List<String> problems) {

    public JsonObject toJson() {
      return new JsonObject().put("delivered", delivered).put("duplicate", duplicate).put("failed", failed)
          .put("problems", new JsonArray(problems));
    }
  }

  /** Replays the unresolved letters whose id is in {@code ids}, or all of them when {@code ids} is empty. */
  public Future<Report> replay(List<String> ids) {
    return letters.unresolved().compose(open -> {
      List<DeadLetter> chosen = ids.isEmpty() ? open : open.stream().filter(d -> ids.contains(d.id())).toList();
      List<String> problems = new ArrayList<>();
      for (String id : ids) {
        if (open.stream().noneMatch(d -> d.id().equals(id))) {
          problems.add(id + ": no unresolved dead letter with this id");
        }
      }
      int[] counts = new int[3];
      Future<Void> chain = Future.succeededFuture();
      for (DeadLetter d : chosen) {
        chain = chain.compose(v -> replayOne(d, counts, problems));
      }
      return chain.map(v -> new Report(counts[0], counts[1], counts[2], problems));
    });
  }

  private Future<Void> replayOne(DeadLetter d, int[] counts, List<String> problems) {
    ShadowSender sender = sender(d.backend());
    if (sender == null) {
      counts[2]++;
      problems.add(d.id() + ": backend '" + d.backend() + "' is not in the configuration");
      return Future.succeededFuture();
    }
    MirrorRequest copy = new MirrorRequest(d.route(), d.method(), d.uri(), d.headers(), d.body(), d.idempotencyKey());
    Future<Reservation> reservation = copy.unsafe()
        ? store.reserve(d.idempotencyKey(), ttl)
        : Future.succeededFuture(Reservation.granted());
    return reservation.compose(r -> {
      if (!r.first()) {
        if (Reservation.PENDING.equals(r.priorOutcome())) {
          // Someone is delivering it right now; whether that lands decides, so leave the letter open.
          problems.add(d.id() + ": being delivered by another replay; left for it");
          return Future.succeededFuture();
        }
        counts[1]++;
        return letters.resolve(d.id());
      }
      sender.admitInFlight();
      return sender.send(copy).transform(ar -> {
        if (ar.succeeded() && ar.result() < 500) {
          counts[0]++;
          Future<Void> done = copy.unsafe()
              ? store.complete(d.idempotencyKey(), "delivered:" + ar.result(), ttl) : Future.succeededFuture();
          return done.compose(v -> letters.resolve(d.id()));
        }
        counts[2]++;
        problems.add(d.id() + ": " + (ar.succeeded() ? "shadow answered " + ar.result()
            : ShadowSender.failure(ar.cause())));
        return copy.unsafe() ? store.release(d.idempotencyKey()) : Future.succeededFuture();
      });
    }, storeDown -> {
      counts[2]++;
      problems.add(d.id() + ": idempotency store unavailable: " + storeDown.getMessage());
      return Future.succeededFuture();
    });
  }

  private ShadowSender sender(String backend) {
    BackendConfig b = config.backend(backend);
    if (b == null) {
      return null;
    }
    return senders.computeIfAbsent(backend, name -> new ShadowSender(vertx, b,
        new MirrorConfig.Shadow(name, 0, REPLAY_TIMEOUT, 16), new TokenBucket(0, System.nanoTime()), null));
  }

  public Future<Void> close() {
    return Future.join(senders.values().stream().map(ShadowSender::close).toList()).mapEmpty();
  }
}
