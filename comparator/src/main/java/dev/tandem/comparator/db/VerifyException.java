package dev.tandem.comparator.db;

/** A verification that cannot be done (a database down, a table or column missing), with where and why. */
public final class VerifyException extends RuntimeException {

  public VerifyException(String message) {
    super(message, null, false, false);
  }
}
