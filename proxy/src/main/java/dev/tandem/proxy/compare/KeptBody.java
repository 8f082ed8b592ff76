package dev.tandem.proxy.compare;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The first {@code max} bytes of a body as it streams past, and whether there was more. */
public final class KeptBody {

  private final long max;
  private final Buffer kept = Buffer.buffer();
  private boolean truncated;

  public KeptBody(long max) {
    this.max = max;
  }

  public void add(Buffer chunk) {
    long room = max - kept.length();
    if (chunk.length() <= room) {
      kept.appendBuffer(chunk);
    } else {
      if (room > 0) {
        kept.appendBuffer(chunk.slice(0, (int) room));
      }
      truncated = true;
    }
  }

  public byte[] bytes() {
    return kept.getBytes();
  }

  public boolean truncated() {
    return truncated;
  }

  /** Headers as the comparator's model holds them: name and value pairs, in order. */
  public static List<Map.Entry<String, String>> headers(MultiMap headers) {
    return headers(headers, null);
  }

  /**
   * The headers and then the trailers, as the comparator takes an answer's (gRPC's status is in its trailers).
   *
   * @param trailers null or empty for none
   */
  public static List<Map.Entry<String, String>> headers(MultiMap headers, MultiMap trailers) {
    int n = headers.size() + (trailers == null ? 0 : trailers.size());
    List<Map.Entry<String, String>> out = new ArrayList<>(n);
    headers.forEach(h -> out.add(new AbstractMap.SimpleImmutableEntry<>(h.getKey(), h.getValue())));
    if (trailers != null) {
      trailers.forEach(h -> out.add(new AbstractMap.SimpleImmutableEntry<>(h.getKey(), h.getValue())));
    }
    return out;
  }
}
