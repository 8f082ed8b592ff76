package dev.tandem.proxy.mirror;

import io.vertx.core.Future;

import java.util.List;

/** Where undeliverable mirrored writes are kept until they are replayed. */
public interface DeadLetterStore {

  Future<Void> append(DeadLetter letter);

  /** The letters not yet resolved, oldest first. */
  Future<List<DeadLetter>> unresolved();

  /** Marks a letter delivered, so that it is not listed or replayed again. */
  Future<Void> resolve(String id);

  Future<Void> close();
}
