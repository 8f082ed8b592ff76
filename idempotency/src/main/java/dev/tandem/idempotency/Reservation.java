package dev.tandem.idempotency;

/**
 * The answer to {@link IdempotencyStore#reserve}: either this caller is the first to hold the key and should deliver,
 * or the key was already taken, with what became of that earlier delivery.
 *
 * @param first        true when the key was free and is now reserved by this caller
 * @param priorOutcome for a duplicate, the outcome recorded by the first holder ({@link #PENDING} while it is
 *                     still delivering); null when {@code first}
 */
public record Reservation(boolean first, String priorOutcome) {

  /** The value a key holds between its reservation and its recorded outcome. */
  public static final String PENDING = "pending";

  public static Reservation granted() {
    return new Reservation(true, null);
  }

  public static Reservation duplicate(String priorOutcome) {
    return new Reservation(false, priorOutcome);
  }
}
