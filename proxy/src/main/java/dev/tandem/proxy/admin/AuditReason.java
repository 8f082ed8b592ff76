package dev.tandem.proxy.admin;

/** The {@code reason} an admin change may carry to the audit log: a string of at most 500 characters. */
final class AuditReason {

  static final int MAX_LENGTH = 500;

  private AuditReason() {
  }

  /** What is wrong with {@code value} as a reason; null when it is fine (or absent). */
  static String problem(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      return "reason must be a string, got " + value;
    }
    return s.length() > MAX_LENGTH ? "reason must be at most " + MAX_LENGTH + " characters, got " + s.length() : null;
  }

  /** A valid reason as audited: a blank one is none. */
  static String of(Object value) {
    return value instanceof String s && !s.isBlank() ? s : null;
  }
}
