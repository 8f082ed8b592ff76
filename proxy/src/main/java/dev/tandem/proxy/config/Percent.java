package dev.tandem.proxy.config;

/**
 * The rule for percentages (canary weights, mirror percents, rollout steps): a number from 0 to 100 with at most
 * two decimals. Shared by the config loader and the admin API, so both refuse the same values in the same words.
 */
public final class Percent {

  private Percent() {
  }

  /** What is wrong with {@code value}, or null when it is a valid percentage. */
  public static String problem(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return "must be a number between 0 and 100, got " + value;
    }
    if (value < 0 || value > 100) {
      return "must be between 0 and 100, got " + plain(value);
    }
    if (Math.abs(value * 100 - Math.rint(value * 100)) > 1e-6) {
      return "must have at most two decimals, got " + plain(value);
    }
    return null;
  }

  /** As {@link #problem(double)}, for a value written as text (YAML scalars, JSON strings are refused elsewhere). */
  public static String problem(String text) {
    if (text == null) {
      return "must be a number between 0 and 100";
    }
    try {
      return problem(Double.parseDouble(text.trim()));
    } catch (NumberFormatException e) {
      return "must be a number between 0 and 100, got '" + text + "'";
    }
  }

  /** 12.5 as "12.5", 10.0 as "10". */
  public static String plain(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
  }
}
