// Experiment, not part of the build: the floor of a Netty-level data plane on this JVM. A plain HTTP/1.1 reverse
// proxy in bare Netty (NIO, one event loop, as Tandem runs under the benchmark): each client connection gets its
// own keep-alive backend connection on the same event loop; the decoded request head is forwarded as the same
// object (one header list, hop-by-hop headers removed in place, X-Forwarded-* added), bodies as the same ByteBufs,
// answers the same way back. No routing, canary, mirror, comparison, capture or edge rules: what is left is what
// Netty's codecs, the JVM and the kernel cost, which is what a rewrite of Tandem's forwarding path could approach.
// Run by bench/proxy-bench.sh with TARGETS including netty-floor (Java's single-file source launcher, with
// tandem.jar, which holds Netty, on the class path):
//   java -cp proxy/target/tandem.jar bench/experiments/NettyFloorProxy.java LISTEN_PORT BACKEND_PORT
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;

public class NettyFloorProxy {

  public static void main(String[] args) throws Exception {
    int listen = Integer.parseInt(args[0]);
    int backendPort = Integer.parseInt(args[1]);
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new Front(backendPort));
          }
        }).bind("127.0.0.1", listen).sync();
    System.out.println("netty floor proxy on port " + listen + " -> " + backendPort);
    Thread.currentThread().join();
  }

  /** The client's side: opens its backend connection once, then forwards every message to it. */
  static final class Front extends ChannelInboundHandlerAdapter {
    private final int backendPort;
    private Channel backend;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>(); // until the backend connection is up

    Front(int backendPort) {
      this.backendPort = backendPort;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel client = ctx.channel();
      new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpClientCodec(), new Back(client));
            }
          })
          .connect(new InetSocketAddress("127.0.0.1", backendPort)).addListener(f -> {
            if (!f.isSuccess()) {
              client.close();
              return;
            }
            backend = ((io.netty.channel.ChannelFuture) f).channel();
            while (!waiting.isEmpty()) {
              backend.write(waiting.poll());
            }
            backend.flush();
          });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest req) {
        HttpHeaders h = req.headers();
        // The same header list goes on, edited in place: hop-by-hop headers out, the forwarding headers in.
        h.remove(HttpHeaderNames.CONNECTION);
        h.remove(HttpHeaderNames.KEEP_ALIVE);
        h.remove(HttpHeaderNames.PROXY_CONNECTION);
        h.remove(HttpHeaderNames.UPGRADE);
        h.add("X-Forwarded-For", "127.0.0.1");
        h.add("X-Forwarded-Proto", "http");
        String host = h.get(HttpHeaderNames.HOST);
        if (host != null) {
          h.add("X-Forwarded-Host", host);
        }
        HttpUtil.setKeepAlive(req, true);
      }
      if (backend == null) {
        waiting.add(msg);
      } else {
        backend.write(msg, backend.voidPromise());
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (backend != null) {
        backend.flush();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      waiting.forEach(ReferenceCountUtil::release);
      if (backend != null) {
        backend.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** The backend's side: every answer message goes back to the client as it came. */
  static final class Back extends ChannelInboundHandlerAdapter {
    private final Channel client;

    Back(Channel client) {
      this.client = client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof io.netty.handler.codec.http.HttpResponse resp) {
        resp.headers().remove(HttpHeaderNames.CONNECTION);
        resp.headers().remove(HttpHeaderNames.KEEP_ALIVE);
      }
      client.write(msg, client.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      client.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      client.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
