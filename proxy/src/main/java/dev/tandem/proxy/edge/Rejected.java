package dev.tandem.proxy.edge;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.json.JsonObject;

/**
 * A request refused by an {@link EdgeRule}, with what exactly was wrong. Carried as the failure of Netty's decoder
 * result, so that Vert.x answers it in order with the requests before it on the connection.
 */
public final class Rejected extends RuntimeException {

  private final EdgeRule rule;

  public Rejected(EdgeRule rule, String detail) {
    super(detail, null, false, false);
    this.rule = rule;
  }

  public EdgeRule rule() {
    return rule;
  }

  /** The rejection for a failure of Netty's own HTTP decoder. */
  static Rejected of(Throwable decoderFailure) {
    if (decoderFailure instanceof Rejected r) {
      return r;
    }
    String message = decoderFailure == null ? "" : String.valueOf(decoderFailure.getMessage());
    if (decoderFailure instanceof TooLongHttpLineException) {
      return new Rejected(EdgeRule.URI_TOO_LONG, "the request line is too long");
    }
    if (decoderFailure instanceof TooLongHttpHeaderException || decoderFailure instanceof TooLongFrameException) {
      return new Rejected(EdgeRule.HEADERS_TOO_LARGE, "the header fields are too large");
    }
    if (message.contains("Multiple Content-Length")) {
      return new Rejected(EdgeRule.CONTENT_LENGTH_REPEATED, message);
    }
    if (decoderFailure instanceof NumberFormatException || message.contains("Content-Length")) {
      return new Rejected(EdgeRule.CONTENT_LENGTH_INVALID, message);
    }
    return new Rejected(EdgeRule.MALFORMED_REQUEST, message);
  }

  /** The answer's body: {@code {"error":"rejected","rule":"...","message":"..."}}. */
  public String json() {
    return new JsonObject().put("error", "rejected").put("rule", rule.reason())
        .put("message", rule.description() + (getMessage().isEmpty() ? "" : ": " + getMessage())).encode() + "\n";
  }
}
