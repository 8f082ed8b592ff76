package dev.tandem.proxy.grpc;

import dev.tandem.proxy.Tandem;
import dev.tandem.proxy.TandemHarness;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.tandem.proxy.TandemHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** gRPC through Tandem, between real grpc-java clients and servers: unary, errors, streaming, routes, the mirror. */
class GrpcTest {

  private static final Metadata.Key<String> KEY = Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TRACE = Metadata.Key.of("x-trace", Metadata.ASCII_STRING_MARSHALLER);

  private static final String RAW_PATH = "/messages/*/3";
  private static final String NAMED_PATH = "/messages/*/total_cents";

  private final TandemHarness h = new TandemHarness();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    h.close();
  }

  private GrpcBackend backend(String tag) {
    GrpcBackend b = new GrpcBackend(req -> concat(tag + ":", req));
    open.add(b);
    return b;
  }

  private ManagedChannel channel(Tandem t) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", t.port()).usePlaintext().build();
    open.add(() -> c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS));
    return c;
  }

  private Tandem tandem(int legacy, int candidate, String routes) {
    return tandem("", legacy, candidate, routes, "");
  }

  /**
   * @param server keys added to {@code server:}, after a comma
   * @param more   top-level YAML after the routes
   */
  private Tandem tandem(String server, int legacy, int candidate, String routes, String more) {
    return h.tandem("""
        server: { host: 127.0.0.1, port: 0, instances: 1 %s }
        admin: { host: 127.0.0.1, port: 0, token: %s }
        backends:
          legacy: { url: "http://127.0.0.1:%d", protocol: h2c }
          candidate: { url: "http://127.0.0.1:%d", protocol: h2c }
        routes:
        %s
        %s
        """.formatted(server, TandemHarness.TOKEN, legacy, candidate, routes, more));
  }

  @Test
  @DisplayName("a unary call reaches the backend over HTTP/2 and its answer and metadata come back")
  void unary() {
    GrpcBackend legacy = backend("legacy");
    Tandem t = tandem(legacy.port(), legacy.port(), "  - { name: default, primary: legacy }");
    Metadata md = new Metadata();
    md.put(TRACE, "abc");
    byte[] answer = ClientCalls.blockingUnaryCall(
        ClientInterceptors.intercept(channel(t), MetadataUtils.newAttachHeadersInterceptor(md)),
        GrpcBackend.CREATE, CallOptions.DEFAULT, bytes("order-1"));
    assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("legacy:order-1");
    GrpcBackend.Call call = legacy.calls.get(0);
    assertThat(call.request()).isEqualTo(bytes("order-1"));
    assertThat(call.headers().get(TRACE)).isEqualTo("abc");
    assertThat(call.headers().get(Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("127.0.0.1");
    // Recorded as the answer ends, which the client may see first.
    eventually("the call counted with its gRPC status", () -> h.registry.scrape().lines()
        .anyMatch(l -> l.startsWith("tandem_requests_total") && l.contains("grpc_status=\"0\"")));
  }

  @Test
  @DisplayName("a gRPC error from the backend reaches the client as it was, and is counted by its gRPC status")
  void error() {
    GrpcBackend legacy = backend("legacy");
    Tandem t = tandem(legacy.port(), legacy.port(), "  - { name: default, primary: legacy }");
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel(t), GrpcBackend.FAIL, CallOptions.DEFAULT,
        bytes("42")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).isEqualTo("order 42 not found");
        });
    eventually("the call counted as HTTP 200 with gRPC status 5", () -> h.registry.scrape().lines()
        .anyMatch(l -> l.startsWith("tandem_requests_total") && l.contains("code=\"200\"")
            && l.contains("grpc_status=\"5\"")));
  }

  @Test
  @DisplayName("a backend that cannot be reached is a gRPC UNAVAILABLE naming it, not an HTTP 502")
  void unreachable() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Tandem t = tandem(closed, closed, "  - { name: default, primary: legacy }");
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel(t), GrpcBackend.CREATE, CallOptions.DEFAULT,
        bytes("x")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).startsWith("legacy: ").contains("refused");
        });
  }

  @Test
  @DisplayName("a bidirectional stream flows both ways at once: each answer arrives before the next message is sent")
  void bidirectional() throws Exception {
    GrpcBackend legacy = backend("legacy");
    Tandem t = tandem(legacy.port(), legacy.port(), "  - { name: default, primary: legacy }");
    LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<byte[]> out = ClientCalls.asyncBidiStreamingCall(
        channel(t).newCall(GrpcBackend.CHAT, CallOptions.DEFAULT), new StreamObserver<>() {
          @Override
          public void onNext(byte[] value) {
            answers.add(new String(value, StandardCharsets.UTF_8));
          }

          @Override
          public void onError(Throwable t) {
            answers.add(t);
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    for (int i = 1; i <= 3; i++) {
      out.onNext(bytes("m" + i));
      // The server answers each message as it comes: Tandem must not hold the request stream until it ends.
      assertThat(answers.poll(10, TimeUnit.SECONDS)).isEqualTo("legacy:m" + i);
    }
    out.onCompleted();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(answers).isEmpty();
  }

  @Test
  @DisplayName("match: {grpcService, grpcMethod} sends one method to its own backend; the others take the default")
  void routeByMethod() {
    GrpcBackend legacy = backend("legacy");
    GrpcBackend candidate = backend("candidate");
    Tandem t = tandem(legacy.port(), candidate.port(), """
          - { name: create, match: { grpcService: test.v1.Orders, grpcMethod: Create }, primary: candidate }
          - { name: default, primary: legacy }""");
    ManagedChannel c = channel(t);
    assertThat(ClientCalls.blockingUnaryCall(c, GrpcBackend.CREATE, CallOptions.DEFAULT, bytes("a")))
        .isEqualTo(bytes("candidate:a"));
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(c, GrpcBackend.FAIL, CallOptions.DEFAULT, bytes("b")));
    assertThat(candidate.calls).extracting(GrpcBackend.Call::method).containsExactly("Create");
    assertThat(legacy.calls).extracting(GrpcBackend.Call::method).containsExactly("Fail");
  }

  @Test
  @DisplayName("a gRPC call that no route takes is UNIMPLEMENTED, as a gRPC server says of a method it lacks")
  void noRoute() {
    GrpcBackend legacy = backend("legacy");
    Tandem t = tandem(legacy.port(), legacy.port(),
        "  - { name: create, match: { grpcService: test.v1.Orders, grpcMethod: Create }, primary: legacy }");
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel(t), GrpcBackend.FAIL, CallOptions.DEFAULT,
        bytes("x")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
          assertThat(e.getStatus().getDescription()).isEqualTo("no route matches POST /test.v1.Orders/Fail");
        });
    assertThat(legacy.calls).isEmpty();
  }

  @Test
  @DisplayName("a mirrored gRPC write lands once: the shadow gets one copy per idempotency key, marked as a shadow's")
  void mirroredOnce() {
    GrpcBackend legacy = backend("legacy");
    GrpcBackend candidate = backend("candidate");
    Tandem t = tandem(legacy.port(), candidate.port(), """
          - name: default
            primary: legacy
            mirror: { backend: candidate, percent: 100 }""");
    Metadata md = new Metadata();
    md.put(KEY, "order-7-create");
    var c = ClientInterceptors.intercept(channel(t), MetadataUtils.newAttachHeadersInterceptor(md));
    for (int i = 0; i < 2; i++) { // a client's retry of the same write
      assertThat(ClientCalls.blockingUnaryCall(c, GrpcBackend.CREATE, CallOptions.DEFAULT, bytes("order-7")))
          .isEqualTo(bytes("legacy:order-7"));
    }
    eventually("the duplicate counted", () -> h.registry.scrape()
        .matches("(?s).*tandem_mirror_total\\{[^}]*outcome=\"duplicate\"[^}]*} 1\\.0.*"));
    eventually("the first copy delivered", () -> candidate.calls.size() == 1);
    assertThat(legacy.calls).hasSize(2);
    assertThat(candidate.calls).hasSize(1);
    Metadata shadow = candidate.calls.get(0).headers();
    assertThat(shadow.get(Metadata.Key.of("x-shadow-request", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("true");
    assertThat(shadow.get(KEY)).isNotBlank();
    assertThat(candidate.calls.get(0).request()).isEqualTo(bytes("order-7"));
  }

  @Test
  @DisplayName("x-canary: always metadata sends a gRPC call to the canary; without it, weight 0 keeps it on legacy")
  void canaryByMetadata() {
    GrpcBackend legacy = backend("legacy");
    GrpcBackend candidate = backend("candidate");
    Tandem t = tandem(legacy.port(), candidate.port(), """
          - name: default
            primary: legacy
            canary: { backend: candidate, weight: 0 }""");
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("x-canary", Metadata.ASCII_STRING_MARSHALLER), "always");
    ManagedChannel c = channel(t);
    assertThat(ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(c,
        MetadataUtils.newAttachHeadersInterceptor(md)), GrpcBackend.CREATE, CallOptions.DEFAULT, bytes("a")))
        .isEqualTo(bytes("candidate:a"));
    assertThat(ClientCalls.blockingUnaryCall(c, GrpcBackend.CREATE, CallOptions.DEFAULT, bytes("b")))
        .isEqualTo(bytes("legacy:b"));
  }

  @Test
  @DisplayName("a captured gRPC call keeps its body, HTTP/2 and its trailers; tandem replay sends it over HTTP/2 and"
      + " compares the two targets' grpc-status")
  void captureAndReplay() throws Exception {
    GrpcBackend legacy = backend("legacy");
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(h.stateDir(), "grpc-capture");
    Tandem t = tandem("", legacy.port(), legacy.port(), "  - { name: default, primary: legacy }",
        "capture: { enabled: true, dir: \"" + dir + "\", file: { gzip: false } }");
    byte[] binary = {0, 1, 2, (byte) 0xff, 10, 13};
    ManagedChannel c = channel(t);
    ClientCalls.blockingUnaryCall(c, GrpcBackend.CREATE, CallOptions.DEFAULT, binary);
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(c, GrpcBackend.FAIL, CallOptions.DEFAULT, bytes("42")));
    eventually("both written", () -> t.capturing().view().getLong("inOpenFile") == 2);
    TandemHarness.await(t.close());
    List<java.nio.file.Path> files;
    try (var list = java.nio.file.Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".jsonl")).toList();
    }
    List<dev.tandem.replay.CapturedExchange> read = dev.tandem.replay.CaptureFiles.read(files, 1 << 20, false,
        new ArrayList<>());
    assertThat(read).hasSize(2);
    dev.tandem.replay.CapturedExchange create = read.stream().filter(e -> e.uri().endsWith("/Create")).findFirst()
        .orElseThrow();
    assertThat(create.http2()).isTrue();
    assertThat(create.headers()).anySatisfy(e -> assertThat(e.getKey()).isEqualToIgnoringCase("host"));
    assertThat(unframe(create.body())).isEqualTo(binary);
    assertThat(create.response().trailers()).anySatisfy(e -> {
      assertThat(e.getKey()).isEqualTo("grpc-status");
      assertThat(e.getValue()).isEqualTo("0");
    });
    // Replayed against two servers: the second one's Create fails, so its grpc-status differs from legacy's.
    GrpcBackend failing = new GrpcBackend(req -> {
      throw io.grpc.Status.INTERNAL.withDescription("boom").asRuntimeException();
    });
    open.add(failing);
    dev.tandem.replay.Replayer replayer = new dev.tandem.replay.Replayer(h.vertx, dev.tandem.replay.Replayer.Options
        .of(java.net.URI.create("http://127.0.0.1:" + legacy.port()),
            java.net.URI.create("http://127.0.0.1:" + failing.port()), 2));
    dev.tandem.replay.Replayer.Result r = h.call(() -> replayer.run(read));
    assertThat(r.errors()).isZero();
    assertThat(r.compared()).isEqualTo(2);
    assertThat(r.differing()).as("Create: 0 against 13; Fail: 5 against 5").isEqualTo(1);
    assertThat(legacy.calls).extracting(GrpcBackend.Call::method)
        .containsExactlyInAnyOrder("Create", "Fail", "Create", "Fail");
  }

  @Test
  @DisplayName("a drain sends HTTP/2 clients a GOAWAY; the call in flight is answered")
  void drainGoAway() throws Exception {
    GrpcBackend legacy = backend("legacy");
    CountDownLatch arrived = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    legacy.answer(req -> {
      arrived.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return bytes("late");
    });
    Tandem t = tandem(", shutdown: { timeout: 10s }", legacy.port(), legacy.port(),
        "  - { name: default, primary: legacy }", "");
    io.vertx.core.http.HttpClientAgent client = h.vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    io.vertx.core.Promise<Void> goAway = io.vertx.core.Promise.promise();
    io.vertx.core.Future<String> answer = h.onContext(() -> client.request(new io.vertx.core.http.RequestOptions()
            .setHost("127.0.0.1").setPort(t.port()).setMethod(io.vertx.core.http.HttpMethod.POST)
            .setURI("/test.v1.Orders/Create"))
        .compose(req -> {
          req.connection().goAwayHandler(g -> goAway.tryComplete());
          req.putHeader("content-type", "application/grpc").putHeader("te", "trailers");
          return req.send(io.vertx.core.buffer.Buffer.buffer(frame(bytes("x"))));
        })
        .compose(resp -> resp.body().map(b -> resp.statusCode() + " " + resp.trailers().get("grpc-status"))));
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    io.vertx.core.Future<Tandem.Drained> drained = t.drain();
    TandemHarness.await(goAway.future());
    release.countDown();
    assertThat(TandemHarness.await(answer)).isEqualTo("200 0");
    assertThat(TandemHarness.await(drained).clean()).isTrue();
    client.close();
  }

  @Test
  @DisplayName("a mirrored gRPC answer that differs in one field is reported by field number without a schema,"
      + " by name with a descriptor set")
  void differingField() throws Exception {
    java.nio.file.Path descriptors = java.nio.file.Files.createTempDirectory(h.stateDir(), "protos")
        .resolve("orders.pb");
    java.nio.file.Files.write(descriptors, descriptorSet().toByteArray());
    for (boolean named : new boolean[] {false, true}) {
      GrpcBackend legacy = new GrpcBackend(req -> order(7, "alice", 1999));
      GrpcBackend candidate = new GrpcBackend(req -> order(7, "alice", 2000));
      open.add(legacy);
      open.add(candidate);
      Tandem t = tandem("", legacy.port(), candidate.port(),
          "  - { name: default, primary: legacy, mirror: { backend: candidate, percent: 100, compare: true } }",
          named ? "comparator: { grpc: { descriptorSet: \"" + descriptors + "\" } }" : "");
      assertThat(ClientCalls.blockingUnaryCall(channel(t), GrpcBackend.CREATE, CallOptions.DEFAULT, bytes("x")))
          .isEqualTo(order(7, "alice", 1999));
      String[] field = new String[1];
      eventually("the difference reported", () -> {
        var summary = h.admin(t, io.vertx.core.http.HttpMethod.GET, "/admin/diffs/summary", null).json();
        for (Object o : summary.getJsonArray("endpoints")) {
          var e = (io.vertx.core.json.JsonObject) o;
          if (e.getString("endpoint").equals("POST /test.v1.Orders/Create") && e.getLong("differing") == 1
              && !e.getJsonArray("fields").isEmpty()) {
            field[0] = e.getJsonArray("fields").getJsonObject(0).getString("field");
            return e.getJsonArray("fields").size() == 1;
          }
        }
        return false;
      });
      assertThat(field[0]).isEqualTo(named ? NAMED_PATH : RAW_PATH);
    }
  }

  /** {@code test.v1.Order {int64 id = 1; string customer = 2; int64 total_cents = 3;}}, encoded. */
  static byte[] order(long id, String customer, long totalCents) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(bytes);
      out.writeInt64(1, id);
      out.writeString(2, customer);
      out.writeInt64(3, totalCents);
      out.flush();
      return bytes.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** What protoc --descriptor_set_out writes for test.v1.Orders, built here instead (no protoc needed). */
  static com.google.protobuf.DescriptorProtos.FileDescriptorSet descriptorSet() {
    var int64 = com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_INT64;
    var string = com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_STRING;
    var optional = com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label.LABEL_OPTIONAL;
    var file = com.google.protobuf.DescriptorProtos.FileDescriptorProto.newBuilder()
        .setName("test/v1/orders.proto").setPackage("test.v1").setSyntax("proto3")
        .addMessageType(com.google.protobuf.DescriptorProtos.DescriptorProto.newBuilder().setName("Order")
            .addField(field("id", 1, int64, optional))
            .addField(field("customer", 2, string, optional))
            .addField(field("total_cents", 3, int64, optional)))
        .addMessageType(com.google.protobuf.DescriptorProtos.DescriptorProto.newBuilder().setName("CreateOrder"))
        .addService(com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.newBuilder().setName("Orders")
            .addMethod(com.google.protobuf.DescriptorProtos.MethodDescriptorProto.newBuilder().setName("Create")
                .setInputType(".test.v1.CreateOrder").setOutputType(".test.v1.Order")))
        .build();
    return com.google.protobuf.DescriptorProtos.FileDescriptorSet.newBuilder().addFile(file).build();
  }

  private static com.google.protobuf.DescriptorProtos.FieldDescriptorProto field(String name, int number,
      com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type type,
      com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label label) {
    return com.google.protobuf.DescriptorProtos.FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
        .setType(type).setLabel(label).build();
  }

  /** One gRPC message: the compressed flag, the length, the bytes. */
  static byte[] frame(byte[] message) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(5 + message.length);
    b.put((byte) 0).putInt(message.length).put(message);
    return b.array();
  }

  static byte[] unframe(byte[] body) {
    return java.util.Arrays.copyOfRange(body, 5, body.length);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(String prefix, byte[] b) {
    byte[] p = bytes(prefix);
    byte[] out = new byte[p.length + b.length];
    System.arraycopy(p, 0, out, 0, p.length);
    System.arraycopy(b, 0, out, p.length, b.length);
    return out;
  }
}
