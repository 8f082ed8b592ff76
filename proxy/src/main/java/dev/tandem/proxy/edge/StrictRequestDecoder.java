package dev.tandem.proxy.edge;

import io.netty.handler.codec.http.HttpMessage;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

/**
 * Vert.x's request decoder, changed in two ways for {@link HeadRules}: it counts the field lines, and the Host,
 * Content-Length and Transfer-Encoding ones, as they arrive (Vert.x's header map counts names, not lines) (Netty folds duplicate Content-Length lines of HTTP/1.0 into one),
 * and it keeps a Content-Length that comes with chunked instead of dropping it, so that the rules can see both.
 * Counted per head: a head's counts are read when its request leaves the decoder, before the next head is parsed.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  private static final AsciiString HOST = AsciiString.cached("host");
  private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");
  private static final AsciiString TRANSFER_ENCODING = AsciiString.cached("transfer-encoding");

  private int fields;
  private int host;
  private int contentLength;
  private int transferEncoding;

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
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

  @Override
  protected HttpMessage createMessage(String[] initialLine) {
    fields = 0;
    host = 0;
    contentLength = 0;
    transferEncoding = 0;
    return super.createMessage(initialLine);
  }

  @Override
  protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
    AsciiString name = super.splitHeaderName(sb, start, length);
    fields++;
    if (length == 4 && name.contentEqualsIgnoreCase(HOST)) {
      host++;
    } else if (length == 14 && name.contentEqualsIgnoreCase(CONTENT_LENGTH)) {
      contentLength++;
    } else if (length == 17 && name.contentEqualsIgnoreCase(TRANSFER_ENCODING)) {
      transferEncoding++;
    }
    return name;
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    // Kept: HeadRules rejects the request, or removes the length itself when configured to let chunked win.
  }
}
