package dev.tandem.proxy.metrics;

/** Receives the outcome of every answered request: its status and how long it took. */
@FunctionalInterface
public interface Recorder {

  void record(int statusCode, long nanos);

  /**
   * A gRPC call's outcome: its HTTP status and its gRPC status. By default recorded as the HTTP status a failed call
   * stands for, so that 5xx counts (rollout gates) see gRPC failures.
   */
  default void recordGrpc(int statusCode, int grpcStatus, long nanos) {
    record(dev.tandem.proxy.http.Grpc.httpEquivalent(statusCode, grpcStatus), nanos);
  }

  /** Both, in order. */
  default Recorder andThen(Recorder next) {
    Recorder first = this;
    return new Recorder() {
      @Override
      public void record(int status, long nanos) {
        first.record(status, nanos);
        next.record(status, nanos);
      }

      @Override
      public void recordGrpc(int status, int grpcStatus, long nanos) {
        first.recordGrpc(status, grpcStatus, nanos);
        next.recordGrpc(status, grpcStatus, nanos);
      }
    };
  }
}
