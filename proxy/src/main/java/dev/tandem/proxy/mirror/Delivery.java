package dev.tandem.proxy.mirror;

import dev.tandem.idempotency.IdempotencyStore;
import dev.tandem.idempotency.Reservation;
import io.vertx.core.Future;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Delivers admitted copies so that a write lands once: an unsafe copy first reserves its idempotency key, a
 * duplicate is not sent again, and a write that cannot be delivered (shadow failing, store down under
 * {@code failClosed}) is released and dead-lettered for a later replay under the same key.
 */
public final class Delivery {

  private static final Logger LOG = Logger.getLogger(Delivery.class.getName());

  private final IdempotencyStore store;
  private final Duration ttl;
  private final boolean failOpen;
  private final DeadLetterStore deadLetters;
  private final ShadowFailures failures = new ShadowFailures();

  public Delivery(IdempotencyStore store, Duration ttl, boolean failOpen, DeadLetterStore deadLetters) {
    this.store = store;
    this.ttl = ttl;
    this.failOpen = failOpen;
    this.deadLetters = deadLetters;
  }

  public IdempotencyStore store() {
    return store;
  }

  public DeadLetterStore deadLetters() {
    return deadLetters;
  }

  /** Delivers one admitted copy and settles it in the ledger (the caller counted it as sent). */
  void deliver(ShadowSender shadow, MirrorRequest copy, MirrorLedger ledger) {
    if (!copy.unsafe()) {
      shadow.send(copy).onComplete(ar -> {
        if (ar.succeeded()) {
          ledger.settle(Outcome.DELIVERED);
        } else if (ar.cause() instanceof TimeoutException) {
          ledger.settle(Outcome.TIMEOUT);
        } else {
          failures.failed(shadow.backend(), copy, ShadowSender.failure(ar.cause()));
          ledger.settle(Outcome.FAILED);
        }
      });
      return;
    }
    store.reserve(copy.idempotencyKey(), ttl).onComplete(reserved -> {
      if (reserved.failed()) {
        if (failOpen) {
          shadow.send(copy).onComplete(ar -> settleWrite(shadow, copy, ledger, ar.succeeded() ? ar.result() : -1,
              ar.cause(), false));
        } else {
          notCompared(copy);
          deadLetter(shadow, copy, ledger, "idempotency store unavailable: " + reserved.cause().getMessage());
        }
        return;
      }
      Reservation r = reserved.result();
      if (!r.first()) {
        notCompared(copy);
        ledger.settle(Outcome.DUPLICATE);
        return;
      }
      shadow.send(copy).onComplete(ar -> settleWrite(shadow, copy, ledger, ar.succeeded() ? ar.result() : -1,
          ar.cause(), true));
    });
  }

  private static void notCompared(MirrorRequest copy) {
    if (copy.watch() != null) {
      copy.watch().notSent();
    }
  }

  private void settleWrite(ShadowSender shadow, MirrorRequest copy, MirrorLedger ledger, int status, Throwable failure,
                           boolean reserved) {
    if (failure == null && status < 500) {
      if (reserved) {
        store.complete(copy.idempotencyKey(), "delivered:" + status, ttl);
      }
      ledger.settle(Outcome.DELIVERED);
      return;
    }
    String reason = failure == null ? "shadow answered " + status : ShadowSender.failure(failure);
    if (reserved) {
      // Free the key, so that replaying the dead letter is not mistaken for a duplicate.
      store.release(copy.idempotencyKey());
    }
    deadLetter(shadow, copy, ledger, reason);
  }

  private void deadLetter(ShadowSender shadow, MirrorRequest copy, MirrorLedger ledger, String reason) {
    DeadLetter letter = new DeadLetter(UUID.randomUUID().toString(), Instant.now(), copy.route(), shadow.backend(),
        copy.method(), copy.uri(), copy.headers(), copy.body(), copy.idempotencyKey(), reason);
    deadLetters.append(letter).onComplete(ar -> {
      if (ar.succeeded()) {
        ledger.settle(Outcome.DEAD_LETTERED);
      } else {
        LOG.log(Level.SEVERE, "could not record dead letter for " + copy.method() + " " + copy.uri() + " ("
            + reason + "): " + ar.cause().getMessage());
        ledger.settle(Outcome.FAILED);
      }
    });
  }
}
