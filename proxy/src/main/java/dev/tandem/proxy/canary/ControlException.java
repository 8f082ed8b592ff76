package dev.tandem.proxy.canary;

/** A change that cannot be made, with the HTTP status that says why (404 unknown route, 409 wrong state). */
public final class ControlException extends RuntimeException {

  private final int status;

  public ControlException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
