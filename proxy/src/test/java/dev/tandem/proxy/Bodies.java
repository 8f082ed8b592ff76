package dev.tandem.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.streams.WriteStream;

import java.util.zip.CRC32;

/** Large bodies for streaming tests: a repeating pattern written with back-pressure, and read back into a CRC. */
public final class Bodies {

  public static final int CHUNK = 64 * 1024;

  private Bodies() {
  }

  /** One chunk of the pattern every body is made of. */
  public static byte[] pattern() {
    byte[] b = new byte[CHUNK];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 31 + 7);
    }
    return b;
  }

  /** Writes {@code total} bytes of the pattern with back-pressure, adding them to {@code crc}, then ends. */
  public static Future<Void> pump(WriteStream<Buffer> out, long total, CRC32 crc) {
    Promise<Void> done = Promise.promise();
    byte[] chunk = pattern();
    long[] remaining = {total};
    Runnable[] step = new Runnable[1];
    step[0] = () -> {
      while (remaining[0] > 0 && !out.writeQueueFull()) {
        int n = (int) Math.min(CHUNK, remaining[0]);
        crc.update(chunk, 0, n);
        out.write(Buffer.buffer(n == CHUNK ? chunk.clone() : java.util.Arrays.copyOf(chunk, n)));
        remaining[0] -= n;
      }
      if (remaining[0] == 0) {
        out.end().onComplete(done);
      } else {
        out.drainHandler(v -> step[0].run());
      }
    };
    step[0].run();
    return done.future();
  }

  /** Reads a response's body into {@code crc}; how many bytes it had. */
  public static Future<Long> read(HttpClientResponse resp, CRC32 crc) {
    Promise<Long> done = Promise.promise();
    long[] n = {0};
    resp.handler(b -> {
      n[0] += b.length();
      crc.update(b.getBytes());
    });
    resp.endHandler(v -> done.tryComplete(n[0]));
    resp.exceptionHandler(done::tryFail);
    return done.future();
  }
}
