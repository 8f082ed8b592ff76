package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Traffic capture (the {@code capture} key): which exchanges are written, where, and what is hidden first.
 *
 * @param enabled      whether capture starts on; {@code PUT /admin/capture} turns it on and off at run time
 * @param dir          where capture files go
 * @param percent      share of matching exchanges captured (0..100, two decimals)
 * @param routes       routes captured; empty: every route
 * @param maxBodyBytes each body kept up to this; a longer one is recorded cut, with its real length
 * @param maxFileBytes a file is rotated at this size (after compression)
 * @param maxFileAge   and at this age
 * @param maxFiles     complete files kept, oldest deleted first; 0 keeps all
 * @param gzip         files compressed ({@code .jsonl.gz})
 * @param queue        records waiting for the disk at most; beyond, shed and counted
 * @param queueBytes   and bytes of their bodies
 * @param redactHeaders    headers whose values are replaced by a stable hash (Authorization, Cookie… by default)
 * @param redactQuery      query parameters likewise
 * @param redactJson       JSON body paths likewise
 */
public record CaptureConfig(boolean enabled, String dir, double percent, Set<String> routes, long maxBodyBytes,
                            long maxFileBytes, Duration maxFileAge, int maxFiles, boolean gzip, int queue,
                            long queueBytes, Set<String> redactHeaders, Set<String> redactQuery,
                            List<dev.tandem.comparator.PathPattern> redactJson) {

  public static final String DEFAULT_DIR = "captures";
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  public static final long DEFAULT_MAX_FILE_BYTES = 128L * 1024 * 1024;
  public static final Duration DEFAULT_MAX_FILE_AGE = Duration.ofHours(1);
  public static final int DEFAULT_MAX_FILES = 100;
  public static final int DEFAULT_QUEUE = 10_000;
  public static final long DEFAULT_QUEUE_BYTES = 64L * 1024 * 1024;

  /** No capture section: off, and ready to be turned on at run time with the defaults. */
  public static final CaptureConfig DEFAULT = new CaptureConfig(false, DEFAULT_DIR, 100, Set.of(),
      DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILE_AGE, DEFAULT_MAX_FILES, true, DEFAULT_QUEUE,
      DEFAULT_QUEUE_BYTES, dev.tandem.comparator.Redactor.DEFAULT_HEADERS, Set.of(), List.of());

  public CaptureConfig {
    routes = Set.copyOf(routes);
    redactHeaders = Set.copyOf(redactHeaders);
    redactQuery = Set.copyOf(redactQuery);
    redactJson = List.copyOf(redactJson);
  }
}
