package dev.tandem.proxy.http;

import dev.tandem.proxy.canary.CanaryRouter;
import dev.tandem.proxy.edge.Edge;
import dev.tandem.proxy.metrics.Recorder;
import dev.tandem.proxy.mirror.RouteMirror;
import dev.tandem.proxy.route.Route;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The Netty path of one event loop's data plane (see {@link FastLane}): decides per request whether the path takes
 * it, and holds the backend connection pools of its loop. What it does not take goes to Vert.x's HTTP server and
 * the {@link ForwardingHandler}, on the same connection, from then on.
 */
final class FastPath {

  /** What the Netty path forwards one request to, decided from its head alone. */
  record Target(Route route, Backend backend, Recorder recorder, FastPool pool, CanaryRouter.Choice choice,
                String backendHeader, RouteMirror mirror) {
  }

  private final ForwardingHandler forwarding;
  private final Edge edge;
  private final Map<Backend, FastPool> pools = new IdentityHashMap<>();
  private final io.vertx.core.internal.ContextInternal context;
  private final io.micrometer.core.instrument.Counter served;

  /** @param context the verticle's: the mirror and the comparator, Vert.x code, run on it */
  FastPath(ForwardingHandler forwarding, Edge edge, io.vertx.core.Context context,
           io.micrometer.core.instrument.Counter served) {
    this.served = served;
    this.forwarding = forwarding;
    this.edge = edge;
    this.context = (io.vertx.core.internal.ContextInternal) context;
  }

  /** Runs Vert.x code (the mirror's, the comparator's) from a Netty handler, as the verticle's context. */
  void onContext(Runnable task) {
    context.dispatch(task);
  }

  Edge edge() {
    return edge;
  }

  ForwardedHeaders forwarded() {
    return forwarding.forwarded();
  }

  /** Puts a {@link FastLane} in front of Vert.x's handler on a guarded HTTP/1.x connection. */
  void install(ChannelPipeline pipeline) {
    if (pipeline.get("handler") != null && pipeline.get("httpEncoder") != null) {
      pipeline.addBefore("handler", "tandemFastLane", new FastLane(this));
    }
  }

  /**
   * Where the Netty path sends {@code request}; null when Vert.x's path must take it: no route (its 404), a route
   * that captures or probes effects, a body over the route's limit or chunked, {@code Expect}, an
   * upgrade, {@code CONNECT}, a TLS backend, or a client connection on another event loop than this path's pools.
   */
  Target target(HttpRequest request, String uri, Channel client) {
    HttpMethod method = request.method();
    HttpHeaders headers = request.headers();
    if (!request.decoderResult().isSuccess() || method == HttpMethod.CONNECT
        || request.protocolVersion().majorVersion() != 1
        || headers.contains(HttpHeaderNames.UPGRADE) || headers.contains(HttpHeaderNames.EXPECT)
        || HttpUtil.isTransferEncodingChunked(request)) {
      return null;
    }
    Route route = forwarding.match(method.name(), headers.get(HttpHeaderNames.HOST), ForwardingHandler.pathOf(uri));
    if (route == null || route.config().effects() != null || forwarding.capturing(route)) {
      return null;
    }
    ForwardingHandler.Plan plan = forwarding.plan(route);
    if (Exchange.contentLength(headers.get(HttpHeaderNames.CONTENT_LENGTH))
        > plan.maxBodyBytes()) {
      return null;
    }
    Backend backend = plan.primary();
    Recorder recorder = plan.primaryRecorder();
    CanaryRouter.Choice choice = null;
    String backendHeader = null;
    if (plan.canary() != null) {
      choice = plan.canary().choose(headers::get, name -> cookie(headers, name));
      if (choice.canary()) {
        backend = plan.canaryBackend();
        recorder = plan.canaryRecorder();
      }
      backendHeader = plan.canary().config().backendHeader();
    }
    if (backend.config().ssl() || backend.config().http2()) {
      return null; // its pools speak HTTP/1.1 in cleartext
    }
    if (client.eventLoop() != context.nettyEventLoop()) {
      return null; // its pools are this verticle's loop's
    }
    FastPool pool = pools.computeIfAbsent(backend, b -> new FastPool(b, context.nettyEventLoop(), client,
        context.owner().nameResolver().nettyAddressResolverGroup()));
    served.increment();
    return new Target(route, backend, recorder, pool, choice, backendHeader, plan.mirror());
  }

  /** The value of the request's cookie {@code name}, or null. */
  private static String cookie(HttpHeaders headers, String name) {
    for (String header : headers.getAll(HttpHeaderNames.COOKIE)) {
      for (Cookie c : ServerCookieDecoder.LAX.decode(header)) {
        if (c.name().equals(name)) {
          return c.value();
        }
      }
    }
    return null;
  }

  /** Closes the pools' idle connections. */
  void close() {
    pools.values().forEach(FastPool::close);
  }
}
