package dev.tandem.proxy.edge;

import dev.tandem.proxy.config.EdgeLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One client connection's guard, between Netty's HTTP codec and Vert.x. Every request head goes through
 * {@link HeadRules} before Vert.x sees it; a head that breaks one reaches Vert.x only as a failed decoder result,
 * which Vert.x hands, in order, to {@link Edge#answer}; the rest of the connection's input is dropped. While a head
 * or a body is being read, one timer per connection (re-armed lazily, never per request) enforces
 * {@code headerTimeout}, {@code bodyTimeout} and {@code minBodyRate}; a body that breaks a rule mid-way (a bad chunk,
 * a timeout) is answered here, since Vert.x has already begun the exchange, and the connection closed, which makes
 * the exchange reset its backend request. Time while Tandem itself stops reading (back-pressure from a slow
 * backend) is not held against the client.
 */
final class EdgeGuard extends ChannelDuplexHandler {

  private enum State { IDLE, HEAD, BODY, TUNNEL, DONE }

  private static final long TICK = TimeUnit.SECONDS.toNanos(1);

  private final Edge edge;
  private final EdgeLimits limits;
  private final StrictRequestDecoder decoder;
  private final long headerTimeout;
  private final long bodyTimeout;
  private ChannelHandlerContext ctx;
  private State state = State.HEAD;
  private boolean headBytes;
  private long headStart = System.nanoTime();
  private long bodyStart;
  private long lastProgress;
  private long lastTick;
  private long excused;
  private long bodyBytes;
  private int requests;
  private int answered;
  private boolean finalHeadWritten;
  private boolean awaitingContinue;
  private boolean ownAnswer;
  private ScheduledFuture<?> timer;
  private long timerAt;

  EdgeGuard(Edge edge, StrictRequestDecoder decoder) {
    this.edge = edge;
    this.limits = edge.limits();
    this.decoder = decoder;
    this.headerTimeout = limits.headerTimeout().toNanos();
    this.bodyTimeout = limits.bodyTimeout().toNanos();
  }

  /** The handler that goes before the decoder: it sees a head's first byte, which starts its clock. */
  ChannelInboundHandlerAdapter clock() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext c, Object msg) {
        if (msg instanceof ByteBuf b && b.isReadable()) {
          if (state == State.IDLE) {
            state = State.HEAD;
            headStart = System.nanoTime();
          }
          if (state == State.HEAD) {
            headBytes = true;
          }
        }
        c.fireChannelRead(msg);
      }
    };
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    arm(headerTimeout);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    switch (state) {
      case TUNNEL -> ctx.fireChannelRead(msg);
      case DONE -> ReferenceCountUtil.release(msg);
      default -> read(ctx, msg);
    }
  }

  private void read(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      requests++;
      Rejected r = request.decoderResult().isSuccess() ? HeadRules.check(request, decoder, limits) : null;
      if (r != null) {
        request.setDecoderResult(DecoderResult.failure(r));
      }
      if (!request.decoderResult().isSuccess()) {
        // Vert.x answers it after whatever it is still answering, then closes; nothing more is read.
        state = State.DONE;
        cancel();
        ctx.fireChannelRead(msg);
        return;
      }
      long now = System.nanoTime();
      state = State.BODY;
      bodyStart = now;
      lastProgress = now;
      lastTick = now;
      excused = 0;
      bodyBytes = 0;
      headBytes = false;
      // The client holds its body until it hears 100 Continue: until then the wait is the backend's, not its.
      awaitingContinue = request.headers().contains(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE, true);
    } else if (msg instanceof HttpContent content) {
      if (!content.decoderResult().isSuccess()) {
        Throwable cause = content.decoderResult().cause();
        ReferenceCountUtil.release(msg);
        refuse(new Rejected(EdgeRule.INVALID_CHUNK, cause == null ? "" : String.valueOf(cause.getMessage())));
        return;
      }
      bodyBytes += content.content().readableBytes();
      lastProgress = System.nanoTime();
    }
    if (msg instanceof LastHttpContent) {
      state = State.IDLE;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (state == State.HEAD || state == State.BODY) {
      long wanted = state == State.HEAD ? headStart + headerTimeout - System.nanoTime() : Math.min(TICK, bodyTimeout);
      if (timer == null || timerAt - System.nanoTime() > wanted) {
        cancel();
        arm(Math.max(0, wanted));
      }
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (ownAnswer) {
      // This connection was answered here; what Vert.x still writes for the exchange goes nowhere.
      ReferenceCountUtil.release(msg);
      promise.tryFailure(new ClosedChannelException());
      return;
    }
    if (msg instanceof HttpResponse response) {
      int code = response.status().code();
      if (code == 101) {
        state = State.TUNNEL;
        cancel();
      }
      finalHeadWritten = code >= 200;
      awaitingContinue = false;
    }
    if (msg instanceof LastHttpContent && finalHeadWritten) {
      finalHeadWritten = false;
      answered++;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  private void arm(long delayNanos) {
    timerAt = System.nanoTime() + delayNanos;
    timer = ctx.executor().schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void tick() {
    timer = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    long now = System.nanoTime();
    boolean reading = ctx.channel().config().isAutoRead();
    if (state == State.HEAD) {
      if (!reading) {
        headStart = now;
      }
      long left = headStart + headerTimeout - now;
      if (left > 0) {
        arm(left);
      } else if (!headBytes) {
        // Nothing of a request arrived: there is nobody to answer, as with NGINX's client_header_timeout.
        edge.count(EdgeRule.HEADER_TIMEOUT);
        state = State.DONE;
        ctx.close();
      } else {
        refuse(new Rejected(EdgeRule.HEADER_TIMEOUT, "the head was not complete after "
            + limits.headerTimeout().toMillis() + " ms"));
      }
    } else if (state == State.BODY) {
      if (!reading || awaitingContinue) {
        excused += now - lastTick;
        lastProgress = now;
      }
      lastTick = now;
      long active = now - bodyStart - excused;
      if (now - lastProgress >= bodyTimeout) {
        refuse(new Rejected(EdgeRule.BODY_TIMEOUT, "nothing for " + limits.bodyTimeout().toMillis() + " ms after "
            + bodyBytes + " bytes"));
      } else if (limits.minBodyRate() > 0 && active > bodyTimeout + bodyBytes * 1_000_000_000L / limits.minBodyRate()) {
        refuse(new Rejected(EdgeRule.BODY_TOO_SLOW, bodyBytes + " bytes in " + active / 1_000_000 + " ms, at least "
            + limits.minBodyRate() + " bytes a second after the first " + limits.bodyTimeout().toMillis() + " ms"));
      } else {
        arm(Math.min(TICK, bodyTimeout));
      }
    }
  }

  /**
   * Refuses the request being read. It is answered here when every earlier request was answered and this one's
   * answer has not begun; otherwise the connection is only closed, since an answer now would land inside another
   * (or follow the one the backend already gave).
   */
  private void refuse(Rejected r) {
    cancel();
    edge.count(r.rule());
    int owed = state == State.BODY ? requests - 1 : requests;
    boolean answerable = answered == owed && !finalHeadWritten;
    state = State.DONE;
    edge.rejected(ctx.channel(), r.rule());
    if (!answerable) {
      ctx.close();
      return;
    }
    ownAnswer = true;
    byte[] body = r.json().getBytes(StandardCharsets.UTF_8);
    DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(r.rule().status()), Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
