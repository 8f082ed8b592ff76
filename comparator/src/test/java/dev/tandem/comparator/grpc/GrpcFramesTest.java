package dev.tandem.comparator.grpc;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcFramesTest {

  private static byte[] body(byte[]... messages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] m : messages) {
      Shop.frame(out, 0, m);
    }
    return out.toByteArray();
  }

  @Test
  @DisplayName("a body splits into its messages, an empty one included; an empty body has none")
  void splits() {
    GrpcFrames f = GrpcFrames.parse(body(new byte[] {8, 1}, new byte[0], new byte[] {8, 2}), false);
    assertThat(f.readable()).isTrue();
    assertThat(f.partial()).isFalse();
    assertThat(f.messages()).containsExactly(ByteString.copyFrom(new byte[] {8, 1}), ByteString.EMPTY,
        ByteString.copyFrom(new byte[] {8, 2}));
    assertThat(GrpcFrames.parse(new byte[0], false).messages()).isEmpty();
  }

  @Test
  @DisplayName("a compressed message, a length past the end, a short header or a bad flag: a problem, no messages")
  void problems() {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    Shop.frame(compressed, 0, new byte[] {8, 1});
    Shop.frame(compressed, 1, new byte[] {31, -117, 8});
    GrpcFrames c = GrpcFrames.parse(compressed.toByteArray(), false);
    assertThat(c.readable()).isFalse();
    assertThat(c.problem()).isEqualTo("message 1 is compressed (grpc-encoding), not decoded");
    assertThat(c.messages()).isEmpty();

    byte[] whole = body(new byte[] {8, 1, 16, 2});
    assertThat(GrpcFrames.parse(Arrays.copyOf(whole, whole.length - 1), false).problem())
        .isEqualTo("message 0: 4 bytes announced, 3 follow");
    assertThat(GrpcFrames.parse(Arrays.copyOf(whole, 3), false).problem())
        .isEqualTo("message 0: frame header cut short (3 of 5 bytes)");
    assertThat(GrpcFrames.parse("{\"a\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8), false).problem())
        .isEqualTo("message 0: flag byte 123 is neither 0 nor 1: not gRPC framing");
  }

  @Test
  @DisplayName("a body known to be cut keeps its complete messages and drops the incomplete last one")
  void cut() {
    byte[] whole = body(new byte[] {8, 1}, new byte[] {8, 2, 16, 3});
    GrpcFrames f = GrpcFrames.parse(Arrays.copyOf(whole, whole.length - 2), true);
    assertThat(f.readable()).isTrue();
    assertThat(f.partial()).isTrue();
    assertThat(f.messages()).containsExactly(ByteString.copyFrom(new byte[] {8, 1}));
  }
}
