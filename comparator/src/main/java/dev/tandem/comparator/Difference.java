package dev.tandem.comparator;

/**
 * One difference between the primary's and the candidate's answer.
 *
 * @param path      a JSON Pointer into the body ({@code /items/0/price}; gRPC messages {@code /messages/0/customer/id},
 *                  or by field number {@code /messages/0/2/1}), {@code status}, {@code grpc-status},
 *                  {@code grpc-message}, {@code header:Name}, {@code line:12} for text, {@code body} for binary
 * @param field     the path with array indices and id-like keys replaced by {@code *}, under which differences
 *                  are counted ({@code /items/*}{@code /price})
 * @param kind      what differs
 * @param primary   the primary's value as JSON text (or the line, the header value); null when absent
 * @param candidate the candidate's value, likewise
 */
public record Difference(String path, String field, Kind kind, String primary, String candidate) {

  /** The sorts of difference. */
  public enum Kind {
    /** Same type, different value. */
    VALUE,
    /** Different JSON types (a number against a string). */
    TYPE,
    /** In the primary, not in the candidate. */
    MISSING,
    /** In the candidate, not in the primary. */
    EXTRA,
    /** Arrays of different lengths. */
    ARRAY_LENGTH,
    /** The same elements in another order. */
    ORDER,
    /** A matcher (regex, presence) did not hold. */
    MATCHER,
    /** Bodies that are not JSON, compared as text lines or bytes. */
    TEXT,
    BINARY,
    /** One side's JSON could not be parsed. */
    INVALID,
    /** The body was longer than the comparison limit and was compared only up to it. */
    TRUNCATED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
