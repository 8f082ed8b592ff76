/**
 * The data plane: two paths on one client connection.
 * <ul>
 *   <li><b>The Netty path</b> ({@link dev.tandem.proxy.http.FastLane}, {@link dev.tandem.proxy.http.FastPath},
 *       {@link dev.tandem.proxy.http.FastPool}) sits between the edge's handlers and Vert.x's in the connection's
 *       pipeline. A request it takes, decided from its head, is forwarded as Netty's own request object, its one
 *       header list edited in place, with its body's {@code ByteBuf}s, to a kept-alive backend connection on the
 *       same event loop; the answer comes back the same way. It covers routing, the canary choice, the mirror copy
 *       and its comparison, timeouts, cancellation (499), keep-alive, pipelining and the drain.</li>
 *   <li><b>The Vert.x path</b> ({@link dev.tandem.proxy.http.ForwardingHandler} and {@code Exchange}) takes the
 *       rest: no route, capture, effect probes, chunked uploads, {@code Expect}, upgrades, TLS backends, refused
 *       requests, and everything while draining. The first request the Netty path passes on hands the connection to
 *       Vert.x for good, so the two never answer on one connection at once.</li>
 * </ul>
 * {@code server.dataPlane: vertx} leaves the Netty path out. {@code docs/data-plane.md} explains the design and
 * what it gains, measured.
 */
package dev.tandem.proxy.http;
