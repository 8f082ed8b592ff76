package dev.tandem.comparator.grpc;

/** A descriptor set that cannot be used (unreadable, not a descriptor set, an import missing), naming the file. */
public final class ProtoSchemaException extends Exception {

  public ProtoSchemaException(String message) {
    super(message, null, false, false);
  }
}
