package dev.tandem.proxy.cli;

import io.vertx.core.Future;

import java.util.concurrent.ExecutionException;

/** Waits for a future on the CLI's main thread, which is not an event loop; never call it from Vert.x code. */
final class Blocking {

  private Blocking() {
  }

  static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof Exception ex ? ex : new RuntimeException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw e;
    }
  }
}
