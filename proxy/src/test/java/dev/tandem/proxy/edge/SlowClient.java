package dev.tandem.proxy.edge;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;

import static dev.tandem.proxy.TandemHarness.await;

/**
 * A client that sends a first part at once and then the rest one byte at a time on a timer, as a slowloris or a
 * slow-POST attacker does, until the server closes the connection. Paced by Vert.x timers, not by sleeping.
 */
final class SlowClient {

  private final Buffer received = Buffer.buffer();
  private final Promise<String> closed = Promise.promise();
  /** Held while the client runs: Vert.x closes a client that is no longer referenced, with its connections. */
  private final io.vertx.core.net.NetClient client;

  SlowClient(Vertx vertx, int port, String first, String rest, long everyMillis) {
    client = vertx.createNetClient();
    NetSocket socket = await(client.connect(port, "127.0.0.1"));
    socket.handler(received::appendBuffer);
    socket.closeHandler(v -> closed.tryComplete(received.toString(StandardCharsets.ISO_8859_1)));
    socket.write(first);
    int[] next = {0};
    vertx.setPeriodic(everyMillis, id -> {
      if (closed.future().isComplete() || next[0] >= rest.length()) {
        vertx.cancelTimer(id);
        return;
      }
      socket.write(rest.substring(next[0], next[0] + 1));
      next[0]++;
    });
  }

  /** What the server sent before it closed the connection. */
  Future<String> whenClosed() {
    return closed.future();
  }
}
