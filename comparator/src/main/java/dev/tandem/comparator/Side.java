package dev.tandem.comparator;

import java.util.List;
import java.util.Map;

/**
 * One side's answer as recorded for comparison.
 *
 * @param name      the backend's name ({@code legacy}, {@code candidate}): sides are labelled, never positional
 * @param status    HTTP status; 0 when the side failed before answering
 * @param headers   response headers, in order, names as sent; for gRPC, the trailers ({@code grpc-status}) after them
 * @param body      the body as received (possibly gzip or deflate), at most the capture limit
 * @param truncated true when the body was longer than what was kept
 * @param error     why there is no answer (timeout, refused); null when there is one
 * @param nanos     time to the end of the answer
 */
public record Side(String name, int status, List<Map.Entry<String, String>> headers, byte[] body, boolean truncated,
                   String error, long nanos) {

  public Side {
    headers = List.copyOf(headers);
  }

  /** The first value of {@code header}, case-insensitively; null when absent. */
  public String header(String header) {
    for (Map.Entry<String, String> h : headers) {
      if (h.getKey().equalsIgnoreCase(header)) {
        return h.getValue();
      }
    }
    return null;
  }
}
