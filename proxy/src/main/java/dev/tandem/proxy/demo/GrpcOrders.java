package dev.tandem.proxy.demo;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The demo's gRPC service, {@code demo.v1.Orders/GetOrder}, over cleartext HTTP/2 (Vert.x's server, no generated
 * code): the request is {@code GetOrderRequest {int64 id = 1;}}, the answer
 * {@code Order {int64 id = 1; string customer = 2; int64 total_cents = 3;}}, or NOT_FOUND for id 0. The candidate
 * rounds odd ids' totals to the euro: a difference in field 3 that the comparator finds without a schema.
 */
public final class GrpcOrders {

  public static final String PATH = "/demo.v1.Orders/GetOrder";

  private final boolean candidate;
  private HttpServer server;

  private GrpcOrders(boolean candidate) {
    this.candidate = candidate;
  }

  /** @param candidate the rewrite (with its rounding bug) rather than the legacy service */
  public static Future<GrpcOrders> start(Vertx vertx, boolean candidate) {
    GrpcOrders g = new GrpcOrders(candidate);
    g.server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
        .requestHandler(g::handle);
    return g.server.listen(0, "127.0.0.1").map(s -> g);
  }

  public int port() {
    return server.actualPort();
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      var response = request.response().putHeader("content-type", "application/grpc");
      if (!request.path().equals(PATH)) {
        response.putHeader("grpc-status", "12").putHeader("grpc-message", "unknown method").end();
        return;
      }
      long id = requestedId(body);
      if (id <= 0) {
        response.putHeader("grpc-status", "5").putHeader("grpc-message", "order " + id + " not found").end();
        return;
      }
      long total = 1999 + id * 250;
      if (candidate && id % 2 == 1) {
        total = Math.round(total / 100.0) * 100; // the rewrite's bug
      }
      response.setChunked(true).write(Buffer.buffer(frame(order(id, "customer-" + id, total))));
      response.putTrailer("grpc-status", "0").end();
    });
  }

  /** The id of a framed {@code GetOrderRequest}; 0 when there is none. */
  static long requestedId(Buffer body) {
    if (body.length() < 5) {
      return 0;
    }
    try {
      CodedInputStream in = CodedInputStream.newInstance(body.getBytes(5, body.length()));
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == (1 << 3)) {
          return in.readInt64();
        }
        in.skipField(tag);
      }
      return 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** A framed {@code GetOrderRequest}, as the demo's client sends it. */
  public static byte[] request(long id) {
    return frame(message(out -> out.writeInt64(1, id)));
  }

  private static byte[] order(long id, String customer, long totalCents) {
    return message(out -> {
      out.writeInt64(1, id);
      out.writeString(2, customer);
      out.writeInt64(3, totalCents);
    });
  }

  private interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Fields fields) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      fields.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** gRPC's length-prefixed message: not compressed, 4 bytes of length, the bytes. */
  private static byte[] frame(byte[] message) {
    return Buffer.buffer().appendByte((byte) 0).appendInt(message.length).appendBytes(message).getBytes();
  }

  public Future<Void> close() {
    return server.close();
  }
}
