package dev.tandem.proxy.http;

import dev.tandem.proxy.canary.CanaryRouter;
import dev.tandem.comparator.Side;
import dev.tandem.proxy.compare.KeptBody;
import dev.tandem.proxy.compare.PendingComparison;
import dev.tandem.proxy.edge.Edge;
import dev.tandem.proxy.mirror.MirrorCopy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.impl.headers.HeadersAdaptor;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One client connection's Netty path: sits between the {@code EdgeGuard} and Vert.x's handler, takes the requests
 * {@link FastPath#target} accepts and forwards Netty's own request object (its headers edited in place) and body
 * buffers to a pooled backend connection on the same event loop, and the backend's response object and buffers
 * back. The first request it does not take, and everything after it on the connection, goes to Vert.x.
 * <p>
 * One exchange at a time: requests pipelined behind it are held (reading paused) until it is answered. Bodies
 * stream with back-pressure both ways (the reading side pauses while the other side's channel is not writable).
 * While the listener drains, Vert.x's close of the connection waits for the exchange in flight, at most until the
 * drain's deadline, and its answer says {@code Connection: close}.
 */
final class FastLane extends ChannelDuplexHandler {

  /** Request body held while the backend connection is being made; beyond it the client is paused. */
  private static final int PENDING_LIMIT = 64 * 1024;

  private final FastPath path;
  private ChannelHandlerContext ctx;
  private boolean vertx;
  private Exchange current;
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  private ChannelPromise deferredClose;
  private ScheduledFuture<?> drainCut;
  private boolean closing;
  // One timer per connection for the backend's silence, armed lazily and left to lapse, rather than one scheduled
  // and cancelled per request: on a kept-alive connection most requests find it armed already.
  private ScheduledFuture<?> silence;
  // Inside a read of the client's: what is written to the backend is flushed once, when the read completes, so that
  // a request's head and body leave in one write.
  private boolean reading;
  private long silenceAt;

  FastLane(FastPath path) {
    this.path = path;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    reading = true;
    if (vertx) {
      ctx.fireChannelRead(msg);
    } else if (closing) {
      ReferenceCountUtil.release(msg);
    } else if (current != null && (msg instanceof HttpRequest || current.requestDone || !held.isEmpty())) {
      held.add(msg); // pipelined behind the exchange in flight
      updateRead();
    } else {
      dispatch(msg);
    }
  }

  private void dispatch(Object msg) {
    if (msg instanceof HttpRequest request) {
      String uri = ForwardingHandler.originForm(request.uri());
      FastPath.Target target = path.edge().draining() ? null : path.target(request, uri, ctx.channel());
      if (target == null) {
        toVertx(msg);
        return;
      }
      current = new Exchange(request, uri, target);
      current.start();
    } else if (msg instanceof HttpContent content) {
      if (current != null && !current.requestDone) {
        current.requestContent(content);
      } else {
        content.release();
      }
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  /** From now on Vert.x serves the connection: this request, what is held, and all that follows. */
  private void toVertx(Object msg) {
    vertx = true;
    ctx.channel().config().setAutoRead(true); // before Vert.x sees anything: it pauses reading itself
    ctx.fireChannelRead(msg);
    while (!held.isEmpty()) {
      ctx.fireChannelRead(held.poll());
    }
    // Vert.x holds its writes until the read ends.
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    reading = false;
    if (current != null) {
      current.flushBackend();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null && ctx.channel().isWritable()) {
      current.clientWritable();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (current != null) {
      current.clientClosed();
      current = null;
    }
    releaseHeld();
    if (drainCut != null) {
      drainCut.cancel(false);
    }
    if (deferredClose != null) {
      deferredClose.trySuccess(); // the client closed first
      deferredClose = null;
    }
    if (silence != null) {
      silence.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (current != null && !closing && path.edge().draining() && ctx.channel().isActive()) {
      // The drain closes connections with nothing in flight as Vert.x sees it; this one has an exchange Vert.x
      // does not know of: it is closed once that is answered, or cut at the drain's deadline.
      current.closeAfter = true;
      if (deferredClose != null) {
        ChannelPromise first = deferredClose;
        first.addListener(f -> promise.trySuccess()); // a second close waits on the first
        return;
      }
      deferredClose = promise;
      long left = Math.max(0, path.edge().drainDeadline() - System.nanoTime());
      drainCut = ctx.executor().schedule(() -> closeNow(), left, TimeUnit.NANOSECONDS);
      return;
    }
    ctx.close(promise);
  }

  private void closeNow() {
    closing = true;
    releaseHeld();
    if (deferredClose != null) {
      ChannelPromise p = deferredClose;
      deferredClose = null;
      ctx.close(p);
    } else {
      ctx.close();
    }
  }

  private void releaseHeld() {
    while (!held.isEmpty()) {
      ReferenceCountUtil.release(held.poll());
    }
  }

  /** The exchange is over on both sides: the connection closes, or the next held request is taken. */
  private void exchangeDone(Exchange done, ChannelFuture lastWrite) {
    if (current != done) {
      return;
    }
    current = null;
    if (done.closeAfter) {
      closing = true;
      releaseHeld();
      lastWrite.addListener(f -> closeNow());
      return;
    }
    while (!held.isEmpty() && !vertx) {
      Object next = held.peek();
      if (current != null && (next instanceof HttpRequest || current.requestDone)) {
        break;
      }
      dispatch(held.poll());
    }
    if (current != null) {
      current.flushBackend();
    }
    updateRead();
  }

  /** Makes sure the silence timer fires within {@code nanos}; when it does, the exchange then current checks. */
  private void watchSilence(long nanos) {
    long at = System.nanoTime() + nanos;
    if (silence != null && silenceAt - at <= 0) {
      return;
    }
    if (silence != null) {
      silence.cancel(false);
    }
    silenceAt = at;
    silence = ctx.executor().schedule(() -> {
      silence = null;
      if (current != null) {
        current.checkTimeout();
      }
    }, nanos, TimeUnit.NANOSECONDS);
  }

  /** Reads while nothing is held and the backend takes what is sent. */
  private void updateRead() {
    if (vertx || closing) {
      return;
    }
    boolean paused = !held.isEmpty() || (current != null && current.holdsClient());
    ctx.channel().config().setAutoRead(!paused);
  }

  /** One request forwarded on the Netty path, and its answer. */
  private final class Exchange implements FastPool.User {
    private final HttpRequest request;
    private final FastPath.Target target;
    private final long start = System.nanoTime();
    private final boolean keepAlive;
    private final HttpVersion version;
    private final boolean head;
    private final long timeoutNanos;
    private final String uri;
    private List<HttpContent> pending;
    private int pendingBytes;
    private Channel backend;
    private boolean connecting;
    private boolean requestDone;
    private boolean headWritten;
    private boolean responseDone;
    private boolean interim;
    private boolean reused;
    private boolean backendSpoke;
    private boolean retried;
    private boolean bodySent;
    private boolean backendKeepAlive;
    private boolean finished;
    private boolean gone;
    private boolean closeAfter;
    private int status;
    private long lastRead;
    private MirrorCopy copy;
    private PendingComparison comparison;
    private KeptBody kept;
    private List<java.util.Map.Entry<String, String>> answerHeaders;
    private ChannelFuture lastWrite;

    Exchange(HttpRequest request, String uri, FastPath.Target target) {
      this.request = request;
      this.uri = uri;
      this.target = target;
      this.keepAlive = HttpUtil.isKeepAlive(request);
      this.version = request.protocolVersion();
      this.head = request.method() == HttpMethod.HEAD;
      this.timeoutNanos = target.backend().config().timeout().toNanos();
      // The decoder ends every request with a LastHttpContent, an empty one when it has no body.
      this.requestDone = request instanceof LastHttpContent;
      this.closeAfter = !keepAlive;
    }

    void start() {
      HttpHeaders headers = request.headers();
      io.vertx.core.MultiMap view = headers instanceof io.vertx.core.MultiMap m ? m : new HeadersAdaptor(headers);
      if (target.mirror() != null) {
        // Before the headers are edited for the primary: the copy takes them as the client sent them.
        path.onContext(() -> {
          copy = target.mirror().begin(request.method().name(), view, clientAddress(), uri,
              ForwardingHandler.pathOf(uri), target.backend().name(), null);
          comparison = copy == null ? null : copy.comparison();
        });
      }
      String clientHost = headers.get(HttpHeaderNames.HOST);
      HopByHop.strip(headers);
      headers.remove(HttpHeaderNames.HOST);
      path.forwarded().append(view, clientAddress(), isSsl(), clientHost,
          this::peerCertificates);
      headers.set(HttpHeaderNames.HOST, target.backend().hostHeaderFor(clientHost));
      request.setUri(target.backend().pathFor(uri));
      request.setProtocolVersion(HttpVersion.HTTP_1_1);
      connecting = true;
      target.pool().acquire(this);
    }

    /** Whether the client must stop sending: body piling up before the backend is there, or a full backend. */
    boolean holdsClient() {
      if (requestDone || responseDone) {
        return false;
      }
      return backend == null ? pendingBytes > PENDING_LIMIT : !backend.isWritable();
    }

    void requestContent(HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (last) {
        requestDone = true;
      }
      if (copy != null && !gone) {
        ByteBuf bytes = content.content();
        if (bytes.isReadable()) {
          copy.requestChunk(io.vertx.core.buffer.Buffer.buffer(io.netty.buffer.ByteBufUtil.getBytes(bytes)));
        }
        if (last) {
          path.onContext(copy::requestEnded);
        }
      }
      if (responseDone || gone || (backend == null && !connecting)) {
        content.release(); // answered already (or failed): the rest of the body is read and dropped
      } else if (backend == null) {
        if (pending == null) {
          pending = new ArrayList<>(4);
        }
        pending.add(content);
        pendingBytes += content.content().readableBytes();
        if (pendingBytes > PENDING_LIMIT) {
          updateRead();
        }
      } else {
        bodySent |= content.content().isReadable();
        backend.write(content);
        if (last && !reading) {
          backend.flush();
        } else if (!last && !backend.isWritable()) {
          updateRead(); // paused before the flush, which may make the backend writable again
          backend.flush();
        }
      }
      if (last) {
        maybeDone(null);
      }
    }

    void flushBackend() {
      if (backend != null) {
        backend.flush();
      }
    }

    @Override
    public void connected(Channel channel, boolean reused) {
      connecting = false;
      this.reused = reused;
      if (gone) {
        target.pool().release(channel); // nothing was sent on it
        return;
      }
      backend = channel;
      lastRead = System.nanoTime();
      channel.write(request);
      if (pending != null) {
        bodySent |= pendingBytes > 0;
        pending.forEach(channel::write);
        pending = null;
        pendingBytes = 0;
      } else if (retried && requestDone) {
        channel.write(LastHttpContent.EMPTY_LAST_CONTENT); // the first attempt had the end of the request
      }
      if (!reading) {
        channel.flush(); // a connection made, or freed, outside the client's read: nothing else will flush it
      }
      if (!responseDone) {
        watchSilence(timeoutNanos);
      }
      updateRead();
    }

    @Override
    public void connectFailed(Throwable failure) {
      connecting = false;
      fail(failure);
    }

    @Override
    public void backendRead(Object msg) {
      lastRead = System.nanoTime();
      backendSpoke = true;
      if (msg instanceof io.netty.handler.codec.http.HttpObject o && !o.decoderResult().isSuccess()) {
        ReferenceCountUtil.release(msg);
        Throwable cause = o.decoderResult().cause();
        fail(new IOException("the backend's answer is not valid HTTP: " + (cause == null ? "?" : cause.getMessage())));
        return;
      }
      if (msg instanceof HttpResponse response) {
        respond(response);
      }
      if (msg instanceof HttpContent content) {
        answerContent(content);
      } else if (!(msg instanceof HttpResponse)) {
        ReferenceCountUtil.release(msg);
      }
    }

    private void respond(HttpResponse response) {
      int code = response.status().code();
      if (code < 200) {
        if (code == 101) {
          // Relayed, the client would switch protocols on a connection Tandem keeps parsing as HTTP.
          fail(new IllegalStateException("the backend answered 101 to a request that did not ask to switch"
              + " protocols"));
        } else if (head) {
          // Netty's client codec pairs the interim answer with the HEAD it was sent for, and would then read the
          // final answer's Content-Length as a body that never comes: refused rather than misread.
          fail(new IllegalStateException("the backend sent " + code + " before its answer to HEAD, which this"
              + " path cannot frame; the answer was not relayed"));
        } else {
          interim = true; // 100 or 103: the final answer follows; the client hears that one
        }
        return;
      }
      if (gone || responseDone) {
        return;
      }
      status = code;
      HttpHeaders headers = response.headers();
      if (copy != null) {
        path.onContext(() -> copy.primaryAnswered(code));
      }
      if (comparison != null) {
        answerHeaders = KeptBody.headers(new HeadersAdaptor(headers)); // as the backend sent them
        kept = new KeptBody(comparison.maxBodyBytes());
      }
      boolean lengthKnown = headers.contains(HttpHeaderNames.CONTENT_LENGTH);
      // An answer ended by the backend closing the connection leaves nothing to reuse.
      backendKeepAlive = HttpUtil.isKeepAlive(response)
          && (lengthKnown || HttpUtil.isTransferEncodingChunked(response) || head || code == 204 || code == 304);
      HopByHop.strip(headers);
      decorate(headers);
      response.setProtocolVersion(version);
      boolean bodyless = head || code == 204 || code == 304;
      if (!bodyless && !lengthKnown) {
        if (version.equals(HttpVersion.HTTP_1_0)) {
          closeAfter = true; // an HTTP/1.0 client reads to the end of the connection
        } else {
          headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
      }
      if (path.edge().draining()) {
        closeAfter = true;
      }
      if (closeAfter) {
        if (!version.equals(HttpVersion.HTTP_1_0)) {
          headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
      } else if (version.equals(HttpVersion.HTTP_1_0)) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
      headWritten = true;
      ctx.write(response);
    }

    private void answerContent(HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (interim) {
        content.release();
        interim = !last;
        return;
      }
      if (gone || responseDone || !headWritten) {
        content.release();
        return;
      }
      if (kept != null && content.content().isReadable()) {
        kept.add(io.vertx.core.buffer.Buffer.buffer(io.netty.buffer.ByteBufUtil.getBytes(content.content())));
      }
      if (!last) {
        ctx.write(content);
        if (!ctx.channel().isWritable()) {
          // Paused before the flush: the flush may make the channel writable again, which resumes it.
          backend.config().setAutoRead(false);
          ctx.flush();
        }
        return;
      }
      responseDone = true;
      ChannelFuture written = ctx.writeAndFlush(content);
      finish(status);
      updateRead(); // an answer before the whole body: the client is read again, the rest of its body dropped
      if (comparison != null) {
        Side side = new Side(target.backend().name(), status, answerHeaders, kept.bytes(), kept.truncated(), null,
            System.nanoTime() - start);
        path.onContext(() -> comparison.primary(side));
      }
      releaseBackend();
      maybeDone(written);
    }

    @Override
    public void backendReadComplete() {
      if (headWritten && !responseDone && !gone) {
        ctx.flush();
      }
    }

    @Override
    public void backendWritable() {
      updateRead();
    }

    void clientWritable() {
      if (backend != null) {
        backend.config().setAutoRead(true);
      }
    }

    @Override
    public void backendClosed(Throwable failure) {
      backend = null; // closed: its pool counted it out
      if (responseDone || gone) {
        return;
      }
      if (reused && !retried && !backendSpoke && requestDone && !bodySent && idempotent()) {
        // A kept-alive connection the backend had closed as the request went out (the race every pool has):
        // nothing was answered and there is no body to resend, so the request goes once more, on a new one.
        retried = true;
        connecting = true;
        target.pool().acquireNew(this);
        return;
      }
      fail(failure != null ? failure : new IOException(headWritten
          ? "the backend closed the connection in the middle of its answer"
          : "the backend closed the connection without answering"));
    }

    /** Called by the connection's silence timer: the backend has been silent for {@code timeout}, or not. */
    private void checkTimeout() {
      if (responseDone || gone || backend == null) {
        return; // answered, or still connecting (connectTimeout covers that)
      }
      long silent = System.nanoTime() - lastRead;
      if (silent < timeoutNanos) {
        watchSilence(timeoutNanos - silent);
        return;
      }
      fail(new TimeoutException("the backend sent nothing for "
          + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + "ms (" + request.method() + " " + uri + ")"));
    }

    /** The backend could not be reached, or failed: a JSON answer naming it, or a cut connection mid-answer. */
    private void fail(Throwable failure) {
      if (finished || gone) {
        return;
      }
      if (backend != null) {
        Channel b = backend;
        backend = null;
        target.pool().discard(b);
      }
      if (pending != null) {
        pending.forEach(ReferenceCountUtil::release);
        pending = null;
        pendingBytes = 0;
      }
      int code = ProxyErrors.statusFor(failure);
      finish(code);
      if (copy != null) {
        boolean partial = headWritten;
        Side side = new Side(target.backend().name(), code, List.of(), new byte[0], false,
            ProxyErrors.describe(failure), System.nanoTime() - start);
        path.onContext(() -> {
          copy.primaryAnswered(code);
          if (comparison != null && partial) {
            comparison.abandon(); // the client had part of an answer: nothing whole to compare
          } else if (comparison != null) {
            comparison.primary(side);
          }
        });
      }
      responseDone = true;
      if (headWritten) {
        // Part of an answer is out: the client can only learn of the failure from a closed connection.
        closeAfter = true;
        ctx.flush();
        maybeDoneOrClose(ctx.newSucceededFuture());
        return;
      }
      JsonObject body = new JsonObject().put("error", code == ProxyErrors.GATEWAY_TIMEOUT ? "gateway_timeout"
          : "bad_gateway").put("message", ProxyErrors.describe(failure)).put("backend", target.backend().name());
      ByteBuf bytes = Unpooled.copiedBuffer(body.encode() + "\n", StandardCharsets.UTF_8);
      FullHttpResponse answer = new DefaultFullHttpResponse(version, HttpResponseStatus.valueOf(code), bytes);
      HttpHeaders headers = answer.headers();
      headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.readableBytes());
      decorate(headers);
      if (!requestDone || path.edge().draining()) {
        closeAfter = true; // the rest of the body is not worth reading
      }
      if (closeAfter) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      } else if (version.equals(HttpVersion.HTTP_1_0)) {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
      headWritten = true;
      maybeDoneOrClose(ctx.writeAndFlush(answer));
    }

    private void maybeDoneOrClose(ChannelFuture written) {
      if (closeAfter) {
        requestDone = true; // what is left of the body dies with the connection
      }
      maybeDone(written);
    }

    /** A method NGINX resends to the next upstream by default: not POST, PATCH or LOCK. */
    private boolean idempotent() {
      HttpMethod m = request.method();
      return m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS || m == HttpMethod.PUT
          || m == HttpMethod.DELETE || m == HttpMethod.TRACE;
    }

    /** Tandem's own headers: the sticky cookie and the backend header, as the Vert.x path adds them. */
    private void decorate(HttpHeaders headers) {
      CanaryRouter.Choice choice = target.choice();
      if (choice != null && choice.setCookie() != null) {
        headers.add(HttpHeaderNames.SET_COOKIE, choice.setCookie().encode());
      }
      if (target.backendHeader() != null) {
        headers.set(target.backendHeader(), target.backend().name());
      }
    }

    private void maybeDone(ChannelFuture written) {
      if (written != null) {
        lastWrite = written;
      }
      if (requestDone && responseDone) {
        if (backend != null) {
          releaseBackend();
        }
        exchangeDone(this, lastWrite == null ? ctx.newSucceededFuture() : lastWrite);
      }
    }

    /** The answer is complete: the backend connection carries the next request, unless it cannot. */
    private void releaseBackend() {
      Channel b = backend;
      if (b == null) {
        return;
      }
      backend = null;
      b.config().setAutoRead(true);
      if (requestDone && backendKeepAlive) {
        target.pool().release(b);
      } else {
        target.pool().discard(b); // the request was still being sent, or the backend said close
      }
    }

    /** The client went away first: the backend's work for it is stopped. */
    void clientClosed() {
      if (copy != null) {
        boolean answered = responseDone;
        path.onContext(() -> {
          copy.clientAborted(); // nothing once the copy was sent
          if (comparison != null && !answered) {
            comparison.abandon();
          }
        });
      }
      gone = true;
      finish(Edge.status(ctx.channel(), 499));
      if (connecting) {
        target.pool().cancel(this);
      }
      if (pending != null) {
        pending.forEach(ReferenceCountUtil::release);
        pending = null;
      }
      if (backend != null) {
        Channel b = backend;
        backend = null;
        if (responseDone && requestDone && backendKeepAlive) {
          target.pool().release(b);
        } else {
          target.pool().discard(b);
        }
      }
    }

    private void finish(int code) {
      if (!finished) {
        finished = true;
        target.recorder().record(code, System.nanoTime() - start);
      }
    }

    private String clientAddress() {
      SocketAddress remote = ctx.channel().remoteAddress();
      return remote instanceof InetSocketAddress inet && inet.getAddress() != null
          ? inet.getAddress().getHostAddress() : "unknown";
    }

    private boolean isSsl() {
      return ctx.pipeline().get(SslHandler.class) != null;
    }

    private List<java.security.cert.Certificate> peerCertificates() throws javax.net.ssl.SSLPeerUnverifiedException {
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      return ssl == null ? null : List.of(ssl.engine().getSession().getPeerCertificates());
    }
  }
}
