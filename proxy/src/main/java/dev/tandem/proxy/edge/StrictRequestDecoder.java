package dev.tandem.proxy.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

import java.util.List;

/**
 * Vert.x's request decoder, changed for the edge:
 * <ul>
 *   <li>it tells its {@link EdgeGuard} when the bytes of a head arrive, also those of a pipelined head left in the
 *       buffer after a request (the first byte of a head starts its deadline);</li>
 *   <li>it sees each head's raw lines before Netty parses them, and notes a folded line (obs-fold, RFC 9112 §5.2),
 *       which Netty would join silently to the line before;</li>
 *   <li>it counts the field lines, and the Host, Content-Length, Transfer-Encoding and Connection ones, as they arrive
 *       (Vert.x's header map counts names, not lines, and Netty folds duplicate Content-Length lines of HTTP/1.0),
 *       and notes empty names and names with an underscore;</li>
 *   <li>it keeps a Content-Length that comes with chunked instead of dropping it, so that the rules see both.</li>
 * </ul>
 * What it notes belongs to the head being read; {@link HeadRules} reads it when the head's request leaves the
 * decoder, before the next head is parsed, and {@link #headChecked()} clears it.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  private static final AsciiString HOST = AsciiString.cached("host");
  private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");
  private static final AsciiString TRANSFER_ENCODING = AsciiString.cached("transfer-encoding");
  private static final AsciiString CONNECTION = AsciiString.cached("connection");
  private static final AsciiString EXPECT = AsciiString.cached("expect");
  private static final AsciiString UPGRADE = AsciiString.cached("upgrade");
  private static final AsciiString H2C = AsciiString.cached("h2c");
  private static final AsciiString HTTP2_SETTINGS = AsciiString.cached("http2-settings");

  private int fields;
  private int host;
  private int contentLength;
  private int transferEncoding;
  private int connection;
  private int expect;
  private int upgrade;
  private int underscores;
  private boolean emptyName;
  private boolean folded;
  private boolean requestLineSeen;
  private EdgeGuard guard;
  private final boolean h2cUpgrade;

  /** @param h2cUpgrade whether a request may ask to upgrade the connection to cleartext HTTP/2 */
  StrictRequestDecoder(HttpServerOptions options, boolean h2cUpgrade) {
    super(options);
    this.h2cUpgrade = h2cUpgrade;
  }

  /** The guard that hears when a head's bytes arrive. */
  void guard(EdgeGuard guard) {
    this.guard = guard;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (guard != null && msg instanceof ByteBuf b && b.isReadable()) {
      guard.bytesArrived();
    }
    super.channelRead(ctx, msg);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    if (guard != null && guard.readingHead() && buffer.isReadable()) {
      guard.bytesArrived(); // a head pipelined behind a request that ended in this same read
      scanHead(buffer);
    }
    int before = out.size();
    super.decode(ctx, buffer, out);
    for (int i = before; i < out.size(); i++) {
      if (out.get(i) instanceof io.netty.handler.codec.http.HttpRequest request) {
        gateH2cUpgrade(request);
      }
    }
  }

  /**
   * Vert.x's h2c upgrade handler sits between this decoder and the {@link EdgeGuard} and takes the request that
   * asks {@code Upgrade: h2c} for itself, so the guard's rules never see it. It is left to it only when the edge
   * allows upgrades and the request's framing leaves nothing to read differently: no body, one Host, one Upgrade
   * line. Otherwise the upgrade is taken out of the request, which is then served, and checked, as HTTP/1.1 (a server
   * may ignore an upgrade, RFC 9110 §7.8).
   */
  private void gateH2cUpgrade(io.netty.handler.codec.http.HttpRequest request) {
    io.netty.handler.codec.http.HttpHeaders headers = request.headers();
    if (upgrade == 0 || !headers.containsValue(UPGRADE, H2C, true)) {
      return;
    }
    boolean plain = h2cUpgrade && upgrade == 1 && host == 1 && contentLength == 0 && transferEncoding == 0
        && request.decoderResult().isSuccess();
    if (!plain) {
      headers.remove(UPGRADE);
      headers.remove(HTTP2_SETTINGS);
      upgrade = 0;
    }
  }

  /**
   * Looks at the unparsed part of a head, which always starts at a line's start (Netty takes whole lines only), up
   * to the empty line that ends it: a header line that starts with a space or a tab is a fold.
   */
  private void scanHead(ByteBuf buffer) {
    boolean headers = requestLineSeen;
    int i = buffer.readerIndex();
    int end = buffer.writerIndex();
    while (i < end) {
      byte first = buffer.getByte(i);
      if (headers && (first == ' ' || first == '\t')) {
        folded = true;
        return;
      }
      int lf = buffer.indexOf(i, end, (byte) '\n');
      if (lf < 0) {
        return;
      }
      boolean empty = lf == i || (lf == i + 1 && first == '\r');
      if (empty && headers) {
        return; // the end of the head: what follows is a body
      }
      headers |= !empty;
      i = lf + 1;
    }
  }

  int fieldLines() {
    return fields;
  }

  int hostLines() {
    return host;
  }

  int contentLengthLines() {
    return contentLength;
  }

  int transferEncodingLines() {
    return transferEncoding;
  }

  int connectionLines() {
    return connection;
  }

  int expectLines() {
    return expect;
  }

  int upgradeLines() {
    return upgrade;
  }

  /** Field names with an underscore in this head. */
  int underscoreNames() {
    return underscores;
  }

  boolean emptyName() {
    return emptyName;
  }

  boolean folded() {
    return folded;
  }

  /** The head's request has been checked: what was noted of it is cleared for the next head. */
  void headChecked() {
    folded = false;
    requestLineSeen = false;
  }

  @Override
  protected HttpMessage createMessage(String[] initialLine) {
    fields = 0;
    host = 0;
    contentLength = 0;
    transferEncoding = 0;
    connection = 0;
    expect = 0;
    upgrade = 0;
    underscores = 0;
    emptyName = false;
    requestLineSeen = true;
    return super.createMessage(initialLine);
  }

  @Override
  protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
    AsciiString name = super.splitHeaderName(sb, start, length);
    fields++;
    if (length == 0) {
      emptyName = true;
    } else if (length == 4 && name.contentEqualsIgnoreCase(HOST)) {
      host++;
    } else if (length == 14 && name.contentEqualsIgnoreCase(CONTENT_LENGTH)) {
      contentLength++;
    } else if (length == 17 && name.contentEqualsIgnoreCase(TRANSFER_ENCODING)) {
      transferEncoding++;
    } else if (length == 10 && name.contentEqualsIgnoreCase(CONNECTION)) {
      connection++;
    } else if (length == 6 && name.contentEqualsIgnoreCase(EXPECT)) {
      expect++;
    } else if (length == 7 && name.contentEqualsIgnoreCase(UPGRADE)) {
      upgrade++;
    } else {
      for (int i = start, end = start + length; i < end; i++) {
        if (sb[i] == '_') {
          underscores++;
          break;
        }
      }
    }
    return name;
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    // Kept: HeadRules rejects the request, or removes the length itself when configured to let chunked win.
  }
}
