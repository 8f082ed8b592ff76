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

  private static final AttributeKey<EdgeRule> REJECTED = AttributeKey.valueOf("tandem.edge.rejected");
  /** Method, spaces and version around the target in a request line. */
  private static final int REQUEST_LINE_SLACK = 64;

  private final EdgeLimits limits;
  private final HttpServerOptions decoderOptions;
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean draining;
  private volatile long drainDeadline;
  // Open upgrade tunnels (WebSocket): bounded by server.maxConnections, each removed when it closes.
  private final java.util.Set<io.vertx.core.net.NetSocket> tunnels = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Map<EdgeRule, Counter> rejected = new EnumMap<>(EdgeRule.class);

  public Edge(EdgeLimits limits, MeterRegistry registry) {
    this.limits = limits;
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

  /** Sets the decoder's limits on a listener's options; HTTP/2 stays off until it has edge rules of its own. */
  public HttpServerOptions options(HttpServerOptions options) {
    return options
        .setMaxHeaderSize(limits.maxHeaderBytes())
        .setMaxInitialLineLength(limits.maxUriLength() + REQUEST_LINE_SLACK)
        .setHttp2ClearTextEnabled(false);
  }

  /** Takes a new connection: refused beyond {@code maxConnections}, otherwise guarded. */
  public void connected(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    Channel channel = base.channel();
    if (open.incrementAndGet() > limits.maxConnections()) {
      open.decrementAndGet();
      count(EdgeRule.TOO_MANY_CONNECTIONS);
      channel.close();
      return;
    }
    channel.closeFuture().addListener(f -> open.decrementAndGet());
    if (connection instanceof Http1xServerConnection) {
      guard(channel.pipeline());
    }
  }

  /**
   * Replaces the pipeline's {@code httpDecoder} with a {@link StrictRequestDecoder} and puts an {@link EdgeGuard}
   * before its {@code handler}: Vert.x's HTTP/1.x server pipeline, or one built like it (a benchmark's).
   */
  public void guard(ChannelPipeline pipeline) {
    StrictRequestDecoder decoder = new StrictRequestDecoder(decoderOptions);
    EdgeGuard guard = new EdgeGuard(this, decoder);
    decoder.guard(guard);
    pipeline.replace("httpDecoder", "httpDecoder", decoder);
    pipeline.addBefore("handler", "tandemEdgeGuard", guard);
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
}
