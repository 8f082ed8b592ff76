package dev.tandem.replay;

/** A capture file that cannot be read, with where: {@code file:line} or {@code file@offset}, and why. */
public final class CaptureException extends Exception {

  public CaptureException(String where, String message) {
    super(where + ": " + message, null, false, false);
  }
}
