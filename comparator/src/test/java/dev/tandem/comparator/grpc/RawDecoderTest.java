package dev.tandem.comparator.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class RawDecoderTest {

  private interface Writes {
    void to(CodedOutputStream out) throws IOException;
  }

  private static ByteString bytes(Writes w) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(buf);
    w.to(out);
    out.flush();
    return ByteString.copyFrom(buf.toByteArray());
  }

  @Test
  @DisplayName("like protoc --decode_raw: keys by number, varints and fixed32/64 unsigned, repeated as arrays")
  void scalars() throws IOException {
    ByteString m = bytes(out -> {
      out.writeInt64(1, 150);
      out.writeInt64(2, -1);
      out.writeFixed32(3, -1);
      out.writeFixed64(4, -2);
      out.writeInt32(5, 7);
      out.writeInt32(5, 8);
    });
    assertThat(RawDecoder.message(m).toString()).isEqualTo("{\"1\":150,\"2\":18446744073709551615,"
        + "\"3\":4294967295,\"4\":18446744073709551614,\"5\":[7,8]}");
  }

  @Test
  @DisplayName("a length-delimited value: a nested message, printable text (even when it parses), else base64")
  void lengthDelimited() throws IOException {
    ByteString inner = bytes(out -> {
      out.writeInt64(1, 42);
      out.writeString(2, "Ada");
    });
    ByteString m = bytes(out -> {
      out.writeBytes(1, inner);
      out.writeString(2, "hi"); // 0x68 0x69 also parses as a message: field 13, varint 105
      out.writeBytes(3, ByteString.copyFrom(new byte[] {(byte) 0xff, 0x00, 0x01}));
      out.writeString(4, "");
      out.writeString(5, "two\nlines");
    });
    assertThat(RawDecoder.message(m).toString()).isEqualTo("{\"1\":{\"1\":42,\"2\":\"Ada\"},\"2\":\"hi\","
        + "\"3\":\"/wAB\",\"4\":\"\",\"5\":\"two\\nlines\"}");
  }

  @Test
  @DisplayName("bytes that are no message at the top level are kept as text or base64, not an error")
  void notAMessage() {
    assertThat(RawDecoder.message(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff})).asText())
        .isEqualTo("//8=");
  }

  @Test
  @DisplayName("nesting past the depth bound is not followed: a crafted body cannot recurse without end")
  void depthBound() throws IOException {
    ByteString m = bytes(out -> out.writeInt64(1, 1));
    for (int i = 0; i < RawDecoder.MAX_DEPTH + 10; i++) {
      ByteString inner = m;
      m = bytes(out -> out.writeBytes(1, inner));
    }
    com.fasterxml.jackson.databind.JsonNode n = RawDecoder.message(m);
    int depth = 0;
    while (n.isObject()) {
      n = n.get("1");
      depth++;
    }
    assertThat(depth).isEqualTo(RawDecoder.MAX_DEPTH);
    assertThat(n.isTextual()).as("base64 of the rest").isTrue();
  }
}
