package dev.tandem.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.tandem.proxy.TandemHarness.await;

/**
 * A backend for tests of what reaches it: an HTTP server that answers {@code 200 <METHOD> <URI> <body>} behind a
 * TCP relay that records every byte it is sent. {@link #requests()} lists the requests the server parsed whole;
 * {@link #aborted()} those begun and never finished; {@link #received()} is the raw bytes, as the backend saw them.
 */
public final class RecordingBackend {

  private final Buffer bytes = Buffer.buffer();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<String> aborted = new CopyOnWriteArrayList<>();
  private final List<io.vertx.core.MultiMap> headers = new CopyOnWriteArrayList<>();
  private final NetServer relay;
  /** Held for the life of the relay: Vert.x closes a client that is no longer referenced, with its connections. */
  private final NetClient client;

  public RecordingBackend(Vertx vertx) {
    HttpServer http = await(vertx.createHttpServer().requestHandler(req -> req.body().onComplete(ar -> {
      if (ar.failed()) {
        aborted.add(req.method() + " " + req.uri());
        return;
      }
      headers.add(io.vertx.core.MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
      requests.add(req.method() + " " + req.uri());
      req.response().putHeader("Content-Type", "text/plain")
          .end("ok " + req.method() + " " + req.uri() + " " + ar.result());
    })).listen(0, "127.0.0.1"));
    int target = http.actualPort();
    this.client = vertx.createNetClient();
    this.relay = await(vertx.createNetServer().connectHandler(in -> {
      in.pause();
      client.connect(target, "127.0.0.1").onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        in.handler(b -> {
          synchronized (bytes) {
            bytes.appendBuffer(b);
          }
          out.write(b);
        });
        out.handler(in::write);
        in.closeHandler(v -> out.close());
        out.closeHandler(v -> in.close());
        in.resume();
      });
    }).listen(0, "127.0.0.1"));
  }

  public int port() {
    return relay.actualPort();
  }

  /** Every byte sent to the backend so far. */
  public String received() {
    synchronized (bytes) {
      return bytes.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** The requests the backend parsed whole and answered, as {@code METHOD URI}. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  /** Requests whose head arrived but whose body never completed (the connection was reset or closed). */
  public List<String> aborted() {
    return List.copyOf(aborted);
  }

  /** The headers of each request in {@link #requests()}. */
  public List<io.vertx.core.MultiMap> headers() {
    return List.copyOf(headers);
  }
}
