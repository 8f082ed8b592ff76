package dev.tandem.bench;

import dev.tandem.proxy.config.EdgeLimits;
import dev.tandem.proxy.edge.Edge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.http.impl.VertxHttpResponseEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What the edge's checks add to one HTTP/1.1 exchange, measured where they run: a connection's Netty pipeline as
 * Vert.x builds it (its request decoder, its response encoder, a handler answering each request), plain against
 * guarded by {@link Edge#guard}. The requests are the ones wrk sends in bench/proxy-bench.sh (GET, and POST with a
 * 1 KB body). The difference, over the CPU time per proxied request of that benchmark, is the share of plain
 * proxying that the checks cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EdgeBenchmark {

  @Param({"plain", "strict"})
  public String pipeline;

  @Param({"GET", "POST"})
  public String method;

  private EmbeddedChannel channel;
  private ByteBuf request;

  /** Answers every request with a small response once its body has arrived, as the proxy's handler would. */
  private static final class Responder extends ChannelInboundHandlerAdapter {
    private final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.wrappedBuffer(new byte[1024]));

    Responder() {
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 1024);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      boolean last = msg instanceof LastHttpContent;
      ReferenceCountUtil.release(msg);
      if (last) {
        ctx.write(response.retainedDuplicate());
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }
  }

  @Setup
  public void setUp() {
    channel = channel(pipeline.equals("strict"));
    request = request(method);
  }

  /** A connection's pipeline as Vert.x builds it, guarded by the edge or not. */
  static EmbeddedChannel channel(boolean strict) {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("httpDecoder", new VertxHttpRequestDecoder(new HttpServerOptions()));
    channel.pipeline().addLast("httpEncoder", new VertxHttpResponseEncoder());
    channel.pipeline().addLast("handler", new Responder());
    if (strict) {
      new Edge(EdgeLimits.DEFAULT, new SimpleMeterRegistry()).guard(channel.pipeline());
    } else {
      // The guard keeps a timer scheduled; a real event loop always has some (Vert.x's own), an embedded one
      // checks its queue on every write only when it holds one: give the plain pipeline one too.
      channel.eventLoop().schedule(() -> { }, 1, TimeUnit.HOURS);
    }
    return channel;
  }

  /** The request wrk sends in bench/proxy-bench.sh. */
  static ByteBuf request(String method) {
    String head = method + " / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n"
        + (method.equals("POST") ? "Content-Length: 1024\r\nContent-Type: application/octet-stream\r\n" : "")
        + "\r\n";
    byte[] bytes = (head + (method.equals("POST") ? "x".repeat(1024) : "")).getBytes(StandardCharsets.US_ASCII);
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes));
  }

  @Benchmark
  public int exchange() {
    return exchange(channel, request);
  }

  static int exchange(EmbeddedChannel channel, ByteBuf request) {
    channel.writeInbound(request.duplicate());
    int bytes = 0;
    Object out;
    while ((out = channel.readOutbound()) != null) {
      if (out instanceof ByteBuf b) {
        bytes += b.readableBytes();
      }
      ReferenceCountUtil.release(out);
    }
    return bytes;
  }
}
