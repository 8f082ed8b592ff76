/**
 * Reads gRPC answers for comparison: the body's length-prefixed messages ({@link GrpcFrames}), each decoded into a
 * Jackson tree ({@link GrpcTrees}) by field name with a {@link ProtoSchema}, or by field number without one, as
 * {@code protoc --decode_raw} does. Depends on protobuf-java and Jackson only; nothing here compares.
 */
package dev.tandem.comparator.grpc;
