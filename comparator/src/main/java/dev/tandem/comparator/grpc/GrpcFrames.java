package dev.tandem.comparator.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.util.ArrayList;
import java.util.List;

/**
 * A gRPC body split into its messages: each is one flag byte (1: compressed), a 4-byte big-endian length and that
 * many bytes. A body that cannot be read this way has a {@code problem} and no messages.
 *
 * @param messages the messages, views on the body (not copies)
 * @param partial  the body was cut (at the capture or comparison limit) and its last message was dropped incomplete
 * @param problem  why the body cannot be decoded (a compressed message, broken framing); null when it can
 */
public record GrpcFrames(List<ByteString> messages, boolean partial, String problem) {

  static final int HEADER_BYTES = 5;

  public GrpcFrames {
    messages = List.copyOf(messages);
  }

  /** Whether the messages can be decoded. */
  public boolean readable() {
    return problem == null;
  }

  /**
   * Splits {@code body}. With {@code cut}, the body is known to stop early, and an incomplete last message is dropped
   * rather than a problem.
   */
  public static GrpcFrames parse(byte[] body, boolean cut) {
    List<ByteString> out = new ArrayList<>();
    int at = 0;
    while (at < body.length) {
      int left = body.length - at;
      if (left < HEADER_BYTES) {
        return cut ? new GrpcFrames(out, true, null) : broken("message " + out.size() + ": frame header cut short ("
            + left + " of 5 bytes)");
      }
      int flag = body[at] & 0xff;
      long length = ((body[at + 1] & 0xffL) << 24) | ((body[at + 2] & 0xff) << 16) | ((body[at + 3] & 0xff) << 8)
          | (body[at + 4] & 0xff);
      if (flag == 1) {
        return broken("message " + out.size() + " is compressed (grpc-encoding), not decoded");
      }
      if (flag != 0) {
        return broken("message " + out.size() + ": flag byte " + flag + " is neither 0 nor 1: not gRPC framing");
      }
      if (length > left - HEADER_BYTES) {
        return cut ? new GrpcFrames(out, true, null) : broken("message " + out.size() + ": " + length
            + " bytes announced, " + (left - HEADER_BYTES) + " follow");
      }
      out.add(UnsafeByteOperations.unsafeWrap(body, at + HEADER_BYTES, (int) length));
      at += HEADER_BYTES + (int) length;
    }
    return new GrpcFrames(out, false, null);
  }

  private static GrpcFrames broken(String problem) {
    return new GrpcFrames(List.of(), false, problem);
  }
}
