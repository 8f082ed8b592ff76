package dev.tandem.proxy.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One backend's keep-alive connections for the Netty path, on one event loop: the loop of the client connections
 * it serves, so that a request never changes threads. At most {@code maxConnections} are open; a request that finds
 * none free waits, in order, at most {@code connectTimeout} (as the Vert.x client's pool does). The waiters are
 * bounded by the client connections of the loop, each of which has at most one exchange in flight.
 */
final class FastPool {

  /** What an exchange does with a backend connection's events while it holds the connection. */
  interface User {
    /** @param reused whether the connection carried an earlier request (it may have been closed meanwhile) */
    void connected(Channel channel, boolean reused);

    void connectFailed(Throwable failure);

    void backendRead(Object msg);

    void backendReadComplete();

    void backendWritable();

    void backendClosed(Throwable failure);
  }

  private record Waiter(User user, ScheduledFuture<?> timer) {
  }

  private final Backend backend;
  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private final ArrayDeque<Channel> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final int max;
  private final long connectTimeoutMillis;
  private int open;

  /**
   * @param loop     the verticle's event loop
   * @param like     a client connection: the pool's channel type is its
   * @param resolver Vert.x's name resolver (asynchronous DNS), so that connecting by host name never blocks the loop
   */
  FastPool(Backend backend, EventLoop loop, Channel like,
           io.netty.resolver.AddressResolverGroup<? extends java.net.SocketAddress> resolver) {
    this.backend = backend;
    this.loop = loop;
    this.max = backend.config().maxConnections();
    this.connectTimeoutMillis = backend.config().connectTimeout().toMillis();
    this.bootstrap = new Bootstrap()
        .group(loop)
        .resolver(resolver)
        .channelFactory(new ReflectiveChannelFactory<>(like.getClass()))
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.ALLOCATOR, like.config().getAllocator())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis))
        .handler(new io.netty.channel.ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            // The Vert.x client's limits: 4 KB status line, 8 KB of headers, 8 KB chunks.
            ch.pipeline().addLast("codec", new HttpClientCodec(4096, 8192, 8192));
            ch.pipeline().addLast("tandem", new BackendHandler());
          }
        });
  }

  /** Gives {@code user} a new connection, not an idle one (a retry after a reused one was found closed). */
  void acquireNew(User user) {
    if (open < max) {
      connect(user);
    } else {
      acquire(user);
    }
  }

  /** Gives {@code user} a connection: an idle one, a new one, or the next one released. */
  void acquire(User user) {
    Channel ch;
    while ((ch = idle.pollLast()) != null) {
      if (ch.isActive()) {
        attach(ch, user);
        user.connected(ch, true);
        return;
      }
    }
    if (open < max) {
      connect(user);
      return;
    }
    ScheduledFuture<?> timer = loop.schedule(() -> timedOut(user), connectTimeoutMillis, TimeUnit.MILLISECONDS);
    waiters.add(new Waiter(user, timer));
  }

  /** A request no longer waits (its client left). */
  void cancel(User user) {
    waiters.removeIf(w -> {
      if (w.user == user) {
        w.timer.cancel(false);
        return true;
      }
      return false;
    });
  }

  /** The exchange is done with {@code ch}, which can carry the next request. */
  void release(Channel ch) {
    if (!ch.isActive()) {
      attach(ch, null); // closed as its answer ended: its closeFuture has counted it out
      return;
    }
    Waiter next = waiters.poll();
    if (next != null) {
      next.timer.cancel(false);
      attach(ch, next.user);
      next.user.connected(ch, true);
      return;
    }
    attach(ch, null);
    idle.addLast(ch);
  }

  /** Closes the idle connections (the verticle stops); those in use close with their exchange. */
  void close() {
    Channel ch;
    while ((ch = idle.pollLast()) != null) {
      ch.close();
    }
  }

  /** The exchange cannot leave {@code ch} in a known state: it is closed, and a waiter gets a new connection. */
  void discard(Channel ch) {
    attach(ch, null);
    ch.close();
  }

  private void timedOut(User user) {
    waiters.removeIf(w -> w.user == user);
    user.connectFailed(new TimeoutException("no connection to the backend was free within " + connectTimeoutMillis
        + "ms (maxConnections " + max + ")"));
  }

  private void connect(User user) {
    open++;
    bootstrap.connect(backend.config().host(), backend.config().port()).addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        open--;
        Throwable cause = f.cause();
        user.connectFailed(cause instanceof ConnectTimeoutException
            ? new TimeoutException("connecting took longer than " + connectTimeoutMillis + "ms") : cause);
        serveWaiter();
        return;
      }
      Channel ch = f.channel();
      ch.closeFuture().addListener(c -> {
        open--;
        idle.remove(ch);
        serveWaiter();
      });
      attach(ch, user);
      user.connected(ch, false);
    });
  }

  /** A connection closed or failed to open: the first waiter, if any, gets a new one. */
  private void serveWaiter() {
    if (open < max && !waiters.isEmpty()) {
      Waiter w = waiters.poll();
      w.timer.cancel(false);
      connect(w.user);
    }
  }

  private static void attach(Channel ch, User user) {
    BackendHandler h = ch.pipeline().get(BackendHandler.class);
    if (h != null) {
      h.user = user;
    }
  }

  /** Relays a backend connection's events to the exchange that holds it; an idle connection that speaks is closed. */
  private static final class BackendHandler extends ChannelInboundHandlerAdapter {
    private User user;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (user == null) {
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      user.backendRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (user != null) {
        user.backendReadComplete();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (user != null && ctx.channel().isWritable()) {
        user.backendWritable();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      User u = user;
      user = null;
      if (u != null) {
        u.backendClosed(null);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      User u = user;
      user = null;
      ctx.close();
      if (u != null) {
        u.backendClosed(cause);
      }
    }
  }
}
