package dev.tandem.proxy.edge;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.impl.Http1xOrH2CHandler;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;

/**
 * Lets HTTP/1.1 and cleartext HTTP/2 clients share the data-plane port without an HTTP/1.1 request ever being parsed
 * by anything but the edge's {@link StrictRequestDecoder}.
 *
 * <p>Why this exists: with cleartext HTTP/2 on, Vert.x's server first looks for HTTP/2's preface, then builds an
 * HTTP/1.1 pipeline with its own request decoder, and tells the application of the connection only once the first
 * request has been decoded. The edge would come too late for that request. Vert.x has no hook between the two steps
 * and Netty none either, so Tandem makes one: Vert.x builds every server channel through its transport, and this
 * transport (Vert.x's NIO transport otherwise unchanged) puts a handler on each server channel that puts a
 * {@link Door} on each accepted connection, before Vert.x's own handlers. On the connection's first read the door
 * steps behind Vert.x's preface detector; on the read that the detector passes on, it finds either an HTTP/2
 * pipeline (left alone: the edge takes the connection when Vert.x announces it) or an HTTP/1.1 one, whose decoder
 * it replaces with the edge's before a byte is decoded.
 *
 * <p>Listeners ask for it by port ({@link #guard(int, Edge)}); other servers' connections lose the door on their
 * first read. Without this transport (a Vert.x built elsewhere), {@link Edge#options} keeps cleartext HTTP/2 off.
 */
public final class FrontDoor {

  private static final Map<Integer, Edge> GUARDED = new ConcurrentHashMap<>();
  // Listeners (verticle instances) guarding each port: the port stays guarded until the last one stops.
  private static final Map<Integer, Integer> LISTENERS = new ConcurrentHashMap<>();
  private static volatile boolean installed;

  private FrontDoor() {
  }

  /** Vert.x's NIO transport with the door on every accepted connection; give it to {@code Vertx.builder()}. */
  public static io.vertx.core.transport.Transport transport() {
    io.vertx.core.transport.Transport nio = io.vertx.core.transport.Transport.NIO;
    io.vertx.core.spi.transport.Transport doors = new Doors(nio.implementation());
    installed = true;
    return new io.vertx.core.transport.Transport() {
      @Override
      public String name() {
        return nio.name();
      }

      @Override
      public boolean available() {
        return nio.available();
      }

      @Override
      public Throwable unavailabilityCause() {
        return nio.unavailabilityCause();
      }

      @Override
      public io.vertx.core.spi.transport.Transport implementation() {
        return doors;
      }
    };
  }

  /** Whether a Vert.x in this JVM was built with {@link #transport()}. */
  static boolean installed() {
    return installed;
  }

  /** The edge guards the HTTP/1.1 connections accepted on {@code port} from their first byte. */
  public static void guard(int port, Edge edge) {
    GUARDED.put(port, edge);
    LISTENERS.merge(port, 1, Integer::sum);
  }

  /** One of the port's listeners has stopped; the last one takes the guard away. */
  public static void release(int port, Edge edge) {
    if (LISTENERS.merge(port, -1, Integer::sum) <= 0) {
      LISTENERS.remove(port);
      GUARDED.remove(port, edge);
    }
  }

  /** On a server channel: puts a door on each connection it accepts, before Vert.x initializes it. */
  @ChannelHandler.Sharable
  private static final class Doorman extends ChannelInboundHandlerAdapter {
    static final Doorman INSTANCE = new Doorman();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Channel child && ctx.channel().localAddress() instanceof InetSocketAddress local
          && GUARDED.containsKey(local.getPort())) {
        child.pipeline().addLast("tandemFrontDoor", new Door(local.getPort(), GUARDED.get(local.getPort())));
      }
      ctx.fireChannelRead(msg);
    }
  }

  /**
   * On one accepted connection until its first read; see the class comment. Vert.x announces a cleartext connection
   * only after its first request here, so the door also does what the edge does on a connection's start: counts it
   * against {@code maxConnections}, and closes it when nothing arrives within {@code headerTimeout}.
   */
  private static final class Door extends ChannelInboundHandlerAdapter {
    private final int port;
    private final Edge edge;
    private boolean behind;
    private io.netty.util.concurrent.ScheduledFuture<?> silence;
    private long accepted = System.nanoTime();

    Door(int port, Edge edge) {
      this.port = port;
      this.edge = edge;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      if (behind || edge == null || !edge.admit(ctx.channel())) {
        return;
      }
      Channel channel = ctx.channel();
      silence = ctx.executor().schedule(() -> {
        // Nothing of a request (or of a preface) arrived in time: nobody to answer, as the guard does on a
        // kept-alive connection.
        if (channel.isActive()) {
          edge.count(EdgeRule.HEADER_TIMEOUT);
          channel.close();
        }
      }, edge.limits().headerTimeout().toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
      channel.closeFuture().addListener(f -> settled());
    }

    /** The protocol is known and its own deadlines guard the connection (the edge's guard, HTTP/2's idle timeout). */
    private void settled() {
      if (silence != null) {
        silence.cancel(false);
        silence = null;
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ChannelPipeline pipeline = ctx.pipeline();
      if (!behind) {
        if (edge != null && edge.http2() != null && !edge.http2().priorKnowledge()
            && msg instanceof io.netty.buffer.ByteBuf bytes && startsLikePreface(bytes)) {
          // Only upgrades lead to HTTP/2 here; Vert.x's detector would take the preface.
          io.netty.util.ReferenceCountUtil.release(msg);
          ctx.close();
          return;
        }
        ChannelHandlerContext detector = pipeline.context(Http1xOrH2CHandler.class);
        pipeline.remove(this);
        if (edge != null && detector != null) {
          // Read again once the detector has chosen the protocol and built its pipeline; until then (a preface
          // sent a byte at a time) the silence deadline still runs.
          Door again = new Door(port, edge);
          again.behind = true;
          again.accepted = accepted;
          again.silence = silence;
          pipeline.addAfter(detector.name(), "tandemFrontDoor", again);
        } else {
          settled();
        }
        ctx.fireChannelRead(msg);
        return;
      }
      settled();
      pipeline.remove(this);
      if (edge != null && pipeline.get("httpDecoder") instanceof VertxHttpRequestDecoder decoder
          && !(decoder instanceof StrictRequestDecoder)) {
        edge.guard(pipeline, System.nanoTime() - accepted);
      }
      ctx.fireChannelRead(msg);
    }
  }

  private static final byte[] PREFACE = Http1xOrH2CHandler.HTTP_2_PREFACE.getBytes(
      java.nio.charset.StandardCharsets.US_ASCII);

  /** Whether the first bytes read could begin HTTP/2's connection preface ("PRI * HTTP/2.0..."). */
  private static boolean startsLikePreface(io.netty.buffer.ByteBuf bytes) {
    // "PRI " is no HTTP/1.1 method's start; fewer bytes ("P" of a POST) decide nothing.
    if (bytes.readableBytes() < 4) {
      return false;
    }
    for (int i = 0; i < 4; i++) {
      if (bytes.getByte(bytes.readerIndex() + i) != PREFACE[i]) {
        return false;
      }
    }
    return true;
  }

  /** Vert.x's transport, each server channel with a {@link Doorman}. */
  private static final class Doors implements io.vertx.core.spi.transport.Transport {
    private final io.vertx.core.spi.transport.Transport nio;

    Doors(io.vertx.core.spi.transport.Transport nio) {
      this.nio = nio;
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      ChannelFactory<? extends ServerChannel> factory = nio.serverChannelFactory(domainSocket);
      return () -> {
        ServerChannel channel = factory.newChannel();
        channel.pipeline().addLast("tandemDoorman", Doorman.INSTANCE); // before the bootstrap's acceptor
        return channel;
      };
    }

    // The rest is Vert.x's NIO transport as it is.

    @Override
    public boolean supportsDomainSockets() {
      return nio.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return nio.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return nio.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return nio.unavailabilityCause();
    }

    @Override
    public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
      return nio.convert(address);
    }

    @Override
    public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
      return nio.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return nio.ioHandlerFactory();
    }

    @Override
    public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
      return nio.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
    }

    @Override
    public DatagramChannel datagramChannel() {
      return nio.datagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return nio.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return nio.channelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
      nio.configure(channel, options);
    }

    @Override
    public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
      nio.configure(options, connectTimeout, domainSocket, bootstrap);
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
      nio.configure(options, domainSocket, bootstrap);
    }
  }
}
