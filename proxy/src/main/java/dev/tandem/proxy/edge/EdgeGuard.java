package dev.tandem.proxy.edge;

import dev.tandem.proxy.config.EdgeLimits;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One client connection's guard, between Netty's HTTP codec and Vert.x.
 * <ul>
 *   <li>Every request head goes through {@link HeadRules} before Vert.x sees it. A head that breaks one reaches
 *       Vert.x only as a failed decoder result, which Vert.x hands, in order after the requests before it, to
 *       {@link Edge#answer}; nothing after it on the connection is read.</li>
 *   <li>While a head or a body is being read, one timer per connection (re-armed lazily, never per request)
 *       enforces {@code headerTimeout}, {@code bodyTimeout} and {@code minBodyRate}. Time while Tandem itself stops
 *       reading (back-pressure from a slow backend), or while the client waits for a {@code 100 Continue} before its
 *       first body byte, is not held against the client.</li>
 *   <li>A body that breaks a rule mid-way (a bad chunk, a timeout) is answered here, since Vert.x has already begun
 *       the exchange, and the connection closed, which makes the exchange reset its backend request.</li>
 *   <li>A refused connection is not closed at once: its output is shut after the answer, and what the client still
 *       sends is read and discarded until it falls quiet (at most {@link #LINGER}), so that a client in the middle
 *       of sending reads the answer rather than a reset.</li>
 * </ul>
 * Once Vert.x has removed the HTTP decoder (a WebSocket joined to its backend), bytes pass through untouched.
 */
final class EdgeGuard extends ChannelDuplexHandler {

  private enum State { IDLE, HEAD, BODY, DONE }

  private static final long TICK = TimeUnit.SECONDS.toNanos(1);
  /** How early before the drain's deadline a close still counts as the deadline's (timers fire a little early). */
  private static final long DEADLINE_SLACK = TimeUnit.MILLISECONDS.toNanos(5);
  static final long LINGER = TimeUnit.SECONDS.toNanos(2);
  private static final long LINGER_QUIET = TimeUnit.MILLISECONDS.toNanos(200);
  private static final long LINGER_TICK = TimeUnit.MILLISECONDS.toNanos(50);

  private final Edge edge;
  private final EdgeLimits limits;
  private final StrictRequestDecoder decoder;
  private final long headerTimeout;
  private final long bodyTimeout;
  private ChannelHandlerContext ctx;
  private State state = State.HEAD;
  private boolean tunnel;
  private boolean headBytes;
  private long headStart = System.nanoTime();
  private long bodyStart;
  private long lastProgress;
  private long lastTick;
  private long excused;
  private long bodyBytes;
  private boolean progressed;
  private boolean awaitingContinue;
  private int requests;
  private int answered;
  private boolean finalHeadWritten;
  private boolean ownAnswer;
  private boolean lingering;
  private ChannelPromise deferredClose;
  private long lingerUntil;
  private long lastInput;
  private ScheduledFuture<?> timer;
  private long timerAt;

  EdgeGuard(Edge edge, StrictRequestDecoder decoder) {
    this.edge = edge;
    this.limits = edge.limits();
    this.decoder = decoder;
    this.headerTimeout = limits.headerTimeout().toNanos();
    this.bodyTimeout = limits.bodyTimeout().toNanos();
  }

  /** Whether the decoder is between requests or in a head (not in a body, not done). */
  boolean readingHead() {
    return state == State.IDLE || state == State.HEAD;
  }

  /** Bytes of a head arrived: the first starts its clock. */
  private long earlier;

  void bytesArrived() {
    if (state == State.IDLE) {
      state = State.HEAD;
      headStart = 0; // the clock starts when a read ends with the head incomplete (channelReadComplete)
    }
    if (state == State.HEAD) {
      headBytes = true;
    }
  }

  /** The connection began {@code nanos} before this guard was put in (the {@link FrontDoor} held it meanwhile). */
  void startedEarlier(long nanos) {
    this.earlier = Math.max(0, nanos);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    arm(Math.max(1, headerTimeout - earlier));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpObject)) {
      // Raw bytes: Vert.x took the HTTP decoder out (a WebSocket joined to its backend). Nothing to guard.
      tunnel = true;
      cancel();
      ctx.fireChannelRead(msg);
    } else if (state == State.DONE) {
      ReferenceCountUtil.release(msg);
      lastInput = System.nanoTime();
    } else {
      read(ctx, msg);
    }
  }

  private void read(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      requests++;
      Rejected r = request.decoderResult().isSuccess() ? HeadRules.check(request, decoder, limits) : null;
      decoder.headChecked();
      if (r != null) {
        request.setDecoderResult(DecoderResult.failure(r));
      }
      if (!request.decoderResult().isSuccess()) {
        // Vert.x answers it after whatever it is still answering; nothing more is read.
        state = State.DONE;
        cancel();
        ctx.fireChannelRead(msg);
        return;
      }
      // The body's clock starts when a read ends with the body incomplete (channelReadComplete), so that a request
      // read whole in one go costs no clock at all.
      state = State.BODY;
      bodyStart = 0;
      excused = 0;
      bodyBytes = 0;
      headBytes = false;
      awaitingContinue = decoder.expectLines() > 0
          && request.headers().contains(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE, true);
    } else if (msg instanceof HttpContent content) {
      if (!content.decoderResult().isSuccess()) {
        Throwable cause = content.decoderResult().cause();
        ReferenceCountUtil.release(msg);
        refuse(new Rejected(EdgeRule.INVALID_CHUNK, cause == null ? "" : String.valueOf(cause.getMessage())));
        return;
      }
      int n = content.content().readableBytes();
      bodyBytes += n;
      progressed = true;
      if (n > 0) {
        awaitingContinue = false; // it sends its body: it is not waiting for 100 Continue
      }
    }
    if (msg instanceof LastHttpContent) {
      state = State.IDLE;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (state == State.HEAD || state == State.BODY) {
      long now = System.nanoTime();
      if (state == State.HEAD && headStart == 0) {
        headStart = now;
      }
      if (state == State.BODY && (bodyStart == 0 || progressed)) {
        if (bodyStart == 0) {
          bodyStart = now;
          lastTick = now;
        }
        lastProgress = now;
        progressed = false;
      }
      long wanted = state == State.HEAD ? headStart + headerTimeout - now : Math.min(TICK, bodyTimeout);
      if (timer == null || timerAt - now > wanted) {
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
    if (!tunnel) {
      if (msg instanceof HttpResponse response) {
        if (state == State.BODY && answered == requests - 1) {
          awaitingContinue = false; // 100 Continue, or a final answer, to the request whose body is awaited
        }
        if (response.status().code() >= 200) {
          finalHeadWritten = true;
        }
      }
      if (msg instanceof LastHttpContent && finalHeadWritten) {
        finalHeadWritten = false;
        answered++;
        if (state == State.DONE && answered == requests) {
          // The refused request's answer (Vert.x wrote it, in order): linger once it is out.
          ctx.write(msg, promise);
          ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> linger());
          return;
        }
      }
    }
    ctx.write(msg, promise);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (state == State.DONE) {
      // Vert.x fails a connection after answering an invalid request; this guard closes it, after lingering.
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (lingering && ctx.channel().isActive()) {
      deferredClose = promise; // Vert.x closing a failed connection: closed when the linger ends
      return;
    }
    ctx.close(promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    if (edge.draining() && !tunnel && state != State.DONE && answered < requests
        && System.nanoTime() - edge.drainDeadline() >= -DEADLINE_SLACK) {
      edge.cutByDrain(); // closed by the drain's deadline (never earlier), its request unanswered
    }
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
    Channel channel = ctx.channel();
    if (!channel.isActive() || tunnel) {
      return;
    }
    long now = System.nanoTime();
    boolean reading = channel.config().isAutoRead();
    switch (state) {
      case HEAD -> headTick(now, reading);
      case BODY -> bodyTick(now, reading);
      case DONE -> lingerTick(now);
      default -> { }
    }
  }

  private void headTick(long now, boolean reading) {
    if (!reading || headStart == 0) {
      headStart = now; // Tandem stopped reading (a pipelined request waits): not the client's doing
    }
    long left = headStart + headerTimeout - now;
    if (left > 0) {
      arm(left);
    } else if (!headBytes && answered == requests) {
      // Nothing of a request arrived: there is nobody to answer, as with NGINX's client_header_timeout.
      edge.count(EdgeRule.HEADER_TIMEOUT);
      state = State.DONE;
      ctx.close();
    } else {
      refuse(new Rejected(EdgeRule.HEADER_TIMEOUT, "the head was not complete after "
          + limits.headerTimeout().toMillis() + " ms"));
    }
  }

  private void bodyTick(long now, boolean reading) {
    if (bodyStart == 0) {
      bodyStart = now;
      lastProgress = now;
      lastTick = now;
    }
    // Waiting for 100 Continue is the backend's time, until the client sends a byte or the request is answered;
    // the backend's own timeouts (connectTimeout, timeout: then 504) bound it.
    if (!reading || awaitingContinue) {
      excused += now - lastTick;
      lastProgress = now;
    }
    lastTick = now;
    double active = now - bodyStart - excused;
    double allowed = bodyTimeout + (limits.minBodyRate() > 0 ? bodyBytes * 1e9 / limits.minBodyRate() : 0);
    if (now - lastProgress >= bodyTimeout) {
      refuse(new Rejected(EdgeRule.BODY_TIMEOUT, "nothing for " + limits.bodyTimeout().toMillis() + " ms after "
          + bodyBytes + " bytes"));
    } else if (limits.minBodyRate() > 0 && active > allowed) {
      refuse(new Rejected(EdgeRule.BODY_TOO_SLOW, bodyBytes + " bytes in " + (long) (active / 1e6) + " ms, at least "
          + limits.minBodyRate() + " bytes a second after the first " + limits.bodyTimeout().toMillis() + " ms"));
    } else {
      arm(Math.min(TICK, bodyTimeout));
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
    lingering = true;
    byte[] body = r.json().getBytes(StandardCharsets.UTF_8);
    DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(r.rule().status()), Unpooled.wrappedBuffer(body));
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(f -> linger());
    if (owed < requests) {
      // Vert.x began an exchange for it: failing the connection's request stream resets its backend request now.
      ctx.fireExceptionCaught(r);
    }
  }

  /**
   * The answer is out: shut the output (the client sees the end at once) and read what it still sends until it is
   * quiet for a moment or {@link #LINGER} has passed, then close.
   */
  private void linger() {
    Channel channel = ctx.channel();
    lingering = true;
    if (!channel.isActive() || lingerUntil != 0) {
      return;
    }
    long now = System.nanoTime();
    lingerUntil = now + LINGER;
    lastInput = now;
    if (channel instanceof DuplexChannel duplex && ctx.pipeline().get(SslHandler.class) == null) {
      duplex.shutdownOutput();
    }
    channel.config().setAutoRead(true);
    cancel();
    arm(LINGER_TICK);
  }

  private void lingerTick(long now) {
    if (lingerUntil == 0) {
      return;
    }
    if (now >= lingerUntil || now - lastInput >= LINGER_QUIET) {
      ctx.close(deferredClose != null ? deferredClose : ctx.newPromise());
    } else {
      arm(LINGER_TICK);
    }
  }
}
