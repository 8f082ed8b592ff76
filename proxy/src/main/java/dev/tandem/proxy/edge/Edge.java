package dev.tandem.proxy.edge;

import dev.tandem.proxy.config.EdgeLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.util.AttributeKey;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.net.impl.ConnectionBase;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The edge of the data-plane listener: what a client may send before a request is forwarded. Shared by the
 * listener's event loops. For each HTTP/1.x connection it puts a {@link StrictRequestDecoder} and an
 * {@link EdgeGuard} into the connection's Netty pipeline (Vert.x exposes it: its connection is a Netty channel's
 * handler), counts open connections against {@code maxConnections}, and answers refused requests with JSON naming
 * the rule. Counts {@code tandem_rejected_requests_total{reason}} and {@code tandem_connections}.
 */
public final class Edge {

  static final String GUARD = "tandemEdgeGuard";
  private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf("tandem.edge.counted");
  private static final AttributeKey<EdgeRule> REJECTED = AttributeKey.valueOf("tandem.edge.rejected");
  /** Method, spaces and version around the target in a request line. */
  private static final int REQUEST_LINE_SLACK = 64;

  private final EdgeLimits limits;
  private final dev.tandem.proxy.config.Http2Config http2;
  private final HttpServerOptions decoderOptions;
  // Open HTTP/2 client connections: bounded by server.maxConnections, each removed when it closes; the drain sends
  // each a GOAWAY.
  private final java.util.Set<HttpConnection> http2Connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger cutByDrain = new AtomicInteger();
  // Bytes of request bodies held whole (routes with requestBuffering), over all event loops: at most
  // server.requestBufferBytes.
  private final java.util.concurrent.atomic.AtomicLong buffered = new java.util.concurrent.atomic.AtomicLong();
  // Of that, what each HTTP/2 connection holds (its streams are many requests at once): at most a quarter of the
  // budget, so that one client cannot take all of it. Touched on the connection's event loop only; removed when
  // the connection closes or holds nothing.
  private final Map<HttpConnection, java.util.concurrent.atomic.AtomicLong> http2Held =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean draining;
  private volatile long drainDeadline;
  // Open upgrade tunnels (WebSocket): bounded by server.maxConnections, each removed when it closes.
  private final java.util.Set<io.vertx.core.net.NetSocket> tunnels = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Map<EdgeRule, Counter> rejected = new EnumMap<>(EdgeRule.class);

  /** An edge without HTTP/2 (a benchmark's). */
  public Edge(EdgeLimits limits, MeterRegistry registry) {
    this(limits, null, registry);
  }

  /** @param http2 HTTP/2 from clients; null for none */
  public Edge(EdgeLimits limits, dev.tandem.proxy.config.Http2Config http2, MeterRegistry registry) {
    this.limits = limits;
    this.http2 = http2 != null && http2.enabled() ? http2 : null;
    this.decoderOptions = options(new HttpServerOptions());
    for (EdgeRule rule : EdgeRule.values()) {
      rejected.put(rule, Counter.builder("tandem.rejected.requests")
          .description("Requests (and connections) refused at the edge, never forwarded, by the rule they broke")
          .tag("reason", rule.reason())
          .register(registry));
    }
    Gauge.builder("tandem.connections", open, AtomicInteger::get)
        .description("Open client connections to the data plane")
        .register(registry);
    Gauge.builder("tandem.http2.connections", http2Connections, java.util.Set::size)
        .description("Open client connections that speak HTTP/2 (counted in tandem_connections too)")
        .register(registry);
    Gauge.builder("tandem.request.buffer", buffered, java.util.concurrent.atomic.AtomicLong::get)
        .description("Bytes of request bodies held whole before a backend is asked (routes with requestBuffering)")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("tandem.tunnels", tunnels, java.util.Set::size)
        .description("Open upgrade tunnels (WebSocket) through the data plane")
        .register(registry);
  }

  EdgeLimits limits() {
    return limits;
  }

  /**
   * From now on every answer says {@code Connection: close}: clients reconnect, and find another instance.
   *
   * @param deadlineNanos {@link System#nanoTime()} by which what is in flight is answered or cut
   */
  public void drain(long deadlineNanos) {
    drainDeadline = deadlineNanos;
    draining = true;
    http2Connections.forEach(this::goAway);
  }

  /**
   * HTTP/2 has no {@code Connection: close}: a GOAWAY tells the client to open no more streams here, the streams
   * already open are answered, and the connection is closed when they are or at the drain's deadline.
   */
  private void goAway(HttpConnection connection) {
    long millis = Math.max(0, (drainDeadline - System.nanoTime()) / 1_000_000);
    connection.shutdown(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** When a drain cuts what is still in flight ({@link System#nanoTime()}); meaningful while draining. */
  public long drainDeadline() {
    return drainDeadline;
  }

  public boolean draining() {
    return draining;
  }

  /** A client connection upgraded to a tunnel: the drain closes it, since it has no answer to wait for. */
  public void tunnelOpened(io.vertx.core.net.NetSocket client) {
    tunnels.add(client);
    client.closeHandler(v -> tunnels.remove(client));
    if (draining) {
      client.close();
    }
  }

  /** Closes every open tunnel (both its sockets end, the other pipe sees it); how many there were. */
  public int closeTunnels() {
    int n = 0;
    for (io.vertx.core.net.NetSocket t : tunnels) {
      t.close();
      n++;
    }
    return n;
  }

  /**
   * Sets the decoder's limits and HTTP/2's on a listener's options. Cleartext HTTP/2 is on only when the
   * {@link FrontDoor} can guard the HTTP/1.1 connections of the same port from their first byte (see there).
   */
  public HttpServerOptions options(HttpServerOptions options) {
    options.setMaxHeaderSize(limits.maxHeaderBytes())
        .setMaxInitialLineLength(limits.maxUriLength() + REQUEST_LINE_SLACK);
    if (http2 == null) {
      return options.setHttp2ClearTextEnabled(false).setAlpnVersions(java.util.List.of(
          io.vertx.core.http.HttpVersion.HTTP_1_1, io.vertx.core.http.HttpVersion.HTTP_1_0));
    }
    io.vertx.core.http.Http2Settings settings = new io.vertx.core.http.Http2Settings()
        .setMaxConcurrentStreams(http2.maxConcurrentStreams())
        .setMaxHeaderListSize(http2.maxHeaderListSize())
        .setInitialWindowSize(http2.initialWindowSize());
    return options
        .setHttp2ClearTextEnabled(http2.cleartext() && FrontDoor.installed())
        .setInitialSettings(settings)
        .setHttp2ConnectionWindowSize(http2.connectionWindowSize())
        .setHttp2RstFloodMaxRstFramePerWindow(http2.maxResetsPerWindow())
        .setHttp2RstFloodWindowDuration(http2.resetWindowSeconds())
        .setHttp2RstFloodWindowDurationTimeUnit(java.util.concurrent.TimeUnit.SECONDS);
  }

  /** HTTP/2 from clients; null when off. */
  public dev.tandem.proxy.config.Http2Config http2() {
    return http2;
  }

  /** Takes a new connection: refused beyond {@code maxConnections}, otherwise guarded. */
  public void connected(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    Channel channel = base.channel();
    if (channel.attr(COUNTED).get() == null && !admit(channel)) {
      return;
    }
    if (connection instanceof Http1xServerConnection) {
      if (channel.pipeline().get(GUARD) == null) { // the front door guarded it already
        guard(channel.pipeline());
      }
    } else if (connection instanceof io.vertx.core.http.impl.Http2ServerConnection) {
      http2Connections.add(connection);
      channel.closeFuture().addListener(f -> {
        http2Connections.remove(connection);
        http2Held.remove(connection);
      });
      if (draining) {
        goAway(connection);
      }
    }
  }

  /**
   * Counts a new client connection, or closes it when {@code maxConnections} are open: when Vert.x announces it, or
   * when it is accepted ({@link FrontDoor}, which sees cleartext connections before Vert.x does).
   *
   * @return whether it was admitted
   */
  boolean admit(Channel channel) {
    if (open.incrementAndGet() > limits.maxConnections()) {
      open.decrementAndGet();
      count(EdgeRule.TOO_MANY_CONNECTIONS);
      channel.close();
      return false;
    }
    channel.attr(COUNTED).set(Boolean.TRUE);
    channel.closeFuture().addListener(f -> open.decrementAndGet());
    return true;
  }

  /**
   * Replaces the pipeline's {@code httpDecoder} with a {@link StrictRequestDecoder} and puts an {@link EdgeGuard}
   * before its {@code handler}: Vert.x's HTTP/1.x server pipeline, or one built like it (a benchmark's).
   */
  public void guard(ChannelPipeline pipeline) {
    guard(pipeline, 0);
  }

  /** {@link #guard(ChannelPipeline)} for a connection accepted {@code agoNanos} before. */
  void guard(ChannelPipeline pipeline, long agoNanos) {
    StrictRequestDecoder decoder = new StrictRequestDecoder(decoderOptions, http2 != null && http2.upgrade());
    EdgeGuard guard = new EdgeGuard(this, decoder);
    guard.startedEarlier(agoNanos);
    decoder.guard(guard);
    pipeline.replace("httpDecoder", "httpDecoder", decoder);
    pipeline.addBefore("handler", GUARD, guard);
  }

  /** Answers a request that Vert.x received with a failed decoder result (a broken rule, or Netty's own). */
  public void answer(HttpServerRequest request) {
    Rejected r = Rejected.of(request.decoderResult().cause());
    count(r.rule());
    request.response()
        .setStatusCode(r.rule().status())
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(r.json()); // the guard closes the connection once the answer is out, after lingering
  }

  /**
   * The status a connection's client was given when the edge refused its request mid-body (the exchange in
   * progress then records that instead of a client abort); {@code otherwise} when it was not refused.
   */
  public static int status(HttpConnection connection, int otherwise) {
    return connection instanceof ConnectionBase base ? status(base.channel(), otherwise) : otherwise;
  }

  /** {@link #status(HttpConnection, int)} for a client connection's channel. */
  public static int status(Channel channel, int otherwise) {
    EdgeRule rule = channel.attr(REJECTED).get();
    return rule == null ? otherwise : rule.status();
  }

  /**
   * The edge's rules that still mean something on an HTTP/2 stream (Netty's codec has framed it, and enforced
   * {@code maxHeaderListSize}): the target's length, the number of header fields, and names with an underscore,
   * dropped unless {@code headersWithUnderscores: keep}. Answers and counts a refused request.
   *
   * @return whether the request may go on
   */
  public boolean checkHttp2(HttpServerRequest request) {
    Rejected r = null;
    String uri = request.uri();
    if (uri == null) {
      r = new Rejected(EdgeRule.MALFORMED_REQUEST, request.method() + " without a :path (CONNECT is not proxied)");
    } else if (uri.length() > limits.maxUriLength()) {
      r = new Rejected(EdgeRule.URI_TOO_LONG, uri.length() + " bytes, at most " + limits.maxUriLength());
    } else if (request.headers().size() > limits.maxHeaderCount()) {
      r = new Rejected(EdgeRule.TOO_MANY_HEADERS, "at most " + limits.maxHeaderCount());
    }
    if (r != null) {
      count(r.rule());
      request.response().setStatusCode(r.rule().status()).putHeader("Content-Type", "application/json")
          .end(r.json());
      return false;
    }
    if (!limits.keepUnderscores()) {
      java.util.List<String> drop = null;
      for (String name : request.headers().names()) {
        if (name.indexOf('_') >= 0) {
          drop = drop == null ? new java.util.ArrayList<>(2) : drop;
          drop.add(name);
        }
      }
      if (drop != null) {
        drop.forEach(request.headers()::remove);
      }
    }
    return true;
  }

  /** Counts a refusal of {@code rule} that the route does (a body over its {@code maxBodyBytes}). */
  public void count(EdgeRule rule) {
    rejected.get(rule).increment();
  }

  void rejected(Channel channel, EdgeRule rule) {
    channel.attr(REJECTED).set(rule);
  }

  /** Open client connections now. */
  public int openConnections() {
    return open.get();
  }

  /**
   * Takes {@code bytes} of the request-buffer budget ({@code server.requestBufferBytes}) for a body held whole;
   * false, taking nothing, when they do not fit.
   */
  public boolean holdBody(long bytes) {
    long max = limits.requestBufferBytes();
    long now;
    do {
      now = buffered.get();
      if (now + bytes > max) {
        return false;
      }
    } while (!buffered.compareAndSet(now, now + bytes));
    return true;
  }

  public long requestBufferBytes() {
    return limits.requestBufferBytes();
  }

  public java.time.Duration requestBufferTimeout() {
    return limits.requestBufferTimeout();
  }

  /** Gives back what {@link #holdBody} took. */
  public void releaseBody(long bytes) {
    buffered.addAndGet(-bytes);
  }

  /** As {@link #holdBody(long)}, for a request on {@code connection}: an HTTP/2 one holds a quarter at most. */
  public boolean holdBody(HttpConnection connection, long bytes) {
    java.util.concurrent.atomic.AtomicLong mine = connection != null && http2Connections.contains(connection)
        ? http2Held.computeIfAbsent(connection, c -> new java.util.concurrent.atomic.AtomicLong()) : null;
    if (mine != null && mine.get() + bytes > limits.requestBufferBytes() / 4) {
      return false;
    }
    if (!holdBody(bytes)) {
      return false;
    }
    if (mine != null) {
      mine.addAndGet(bytes);
    }
    return true;
  }

  /** Gives back what {@link #holdBody(HttpConnection, long)} took. */
  public void releaseBody(HttpConnection connection, long bytes) {
    releaseBody(bytes);
    java.util.concurrent.atomic.AtomicLong mine = connection == null ? null : http2Held.get(connection);
    if (mine != null && mine.addAndGet(-bytes) <= 0) {
      http2Held.remove(connection, mine);
    }
  }

  /** A connection closed at the drain's deadline with a request still unanswered. */
  void cutByDrain() {
    cutByDrain.incrementAndGet();
  }

  /** HTTP/1.x connections the drain's deadline closed with a request unanswered, as their guards saw it. */
  public int connectionsCutByDrain() {
    return cutByDrain.get();
  }
}
