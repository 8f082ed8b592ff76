package dev.tandem.proxy.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real gRPC server (grpc-java, the reference implementation) on a free loopback port, serving {@code test.v1.Orders}
 * without generated code: messages are the bytes as they are (protobuf-encoded by the test).
 * <ul>
 *   <li>{@code Create} (unary): answers {@code answer(request)} (which may throw a status); records each call's
 *       metadata and request;</li>
 *   <li>{@code Fail} (unary): fails with NOT_FOUND "order 42 not found";</li>
 *   <li>{@code Chat} (bidirectional streaming): answers each message as it arrives with {@code answer(message)}.</li>
 * </ul>
 */
final class GrpcBackend implements AutoCloseable {

  static final String SERVICE = "test.v1.Orders";
  /** Messages as bytes: the test encodes and decodes them. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  static final MethodDescriptor<byte[], byte[]> CREATE = method("Create", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> FAIL = method("Fail", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<byte[], byte[]> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);

  /** One call as the server saw it. */
  record Call(String method, Metadata headers, byte[] request) {
  }

  final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Server server;
  private volatile UnaryOperator<byte[]> answer;

  GrpcBackend(UnaryOperator<byte[]> answer) {
    this.answer = answer;
    io.grpc.Context.Key<Metadata> current = io.grpc.Context.key("metadata");
    ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
        .addMethod(CREATE, ServerCalls.asyncUnaryCall((byte[] req, StreamObserver<byte[]> out) -> {
          calls.add(new Call("Create", current.get(), req));
          byte[] a;
          try {
            a = this.answer.apply(req);
          } catch (io.grpc.StatusRuntimeException e) {
            out.onError(e); // an answer may be a failure
            return;
          }
          out.onNext(a);
          out.onCompleted();
        }))
        .addMethod(FAIL, ServerCalls.asyncUnaryCall((byte[] req, StreamObserver<byte[]> out) -> {
          calls.add(new Call("Fail", current.get(), req));
          out.onError(Status.NOT_FOUND.withDescription("order 42 not found").asRuntimeException());
        }))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(out -> {
          calls.add(new Call("Chat", current.get(), new byte[0]));
          return new StreamObserver<byte[]>() {
            @Override
            public void onNext(byte[] message) {
              out.onNext(GrpcBackend.this.answer.apply(message));
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
              out.onCompleted();
            }
          };
        }))
        .build();
    ServerInterceptor metadata = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                         ServerCallHandler<Q, A> next) {
        return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(current, headers), call, headers,
            next);
      }
    };
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(ServerInterceptors.intercept(service, metadata))
          .directExecutor()
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return server.getPort();
  }

  void answer(UnaryOperator<byte[]> answer) {
    this.answer = answer;
  }

  static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }


  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
