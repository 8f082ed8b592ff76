package dev.tandem.comparator;

/**
 * Diffy's rule for telling a real difference from noise. For a field, {@code raw} counts exchanges where the
 * primary and the candidate differed there, {@code noise} those where the primary and a second primary instance
 * differed there (volatile values: ids, timestamps). The field is a real difference only when raw exceeds noise by
 * enough, relatively and absolutely.
 *
 * @param relative minimum {@code |raw − noise| / (raw + noise)}, e.g. 0.20
 * @param absolute minimum {@code |raw − noise| / requests}, e.g. 0.0003 (0.03%)
 * @param likelyNoiseRate without a secondary: a field differing in at least this share of exchanges is flagged as
 *                        likely noise (ids and timestamps differ every time)
 */
public record NoiseRule(double relative, double absolute, double likelyNoiseRate) {

  public static final NoiseRule DEFAULT = new NoiseRule(0.20, 0.0003, 0.9);
  /** Fewer compared exchanges than this and a field is not called likely noise yet. */
  static final long MIN_EXCHANGES_FOR_LIKELY_NOISE = 3;

  /** Whether {@code raw} differences against {@code noise} over {@code requests} exchanges are real. */
  public boolean real(long raw, long noise, long requests) {
    if (raw <= noise || requests == 0) {
      return false;
    }
    double gap = raw - noise;
    return gap / (raw + noise) >= relative && gap / requests >= absolute;
  }

  /** Without a secondary: whether a field that differed in {@code raw} of {@code requests} exchanges looks volatile. */
  public boolean likelyNoise(long raw, long requests) {
    return requests >= MIN_EXCHANGES_FOR_LIKELY_NOISE && raw >= likelyNoiseRate * requests;
  }
}
