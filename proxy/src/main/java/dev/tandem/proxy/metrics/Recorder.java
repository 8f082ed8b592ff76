package dev.tandem.proxy.metrics;

/** Receives the outcome of every answered request: its status and how long it took. */
@FunctionalInterface
public interface Recorder {

  void record(int statusCode, long nanos);

  /** Both, in order. */
  default Recorder andThen(Recorder next) {
    return (status, nanos) -> {
      record(status, nanos);
      next.record(status, nanos);
    };
  }
}
