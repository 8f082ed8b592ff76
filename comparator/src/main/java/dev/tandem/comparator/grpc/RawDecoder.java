package dev.tandem.comparator.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A message without its schema, as {@code protoc --decode_raw} reads it: an object keyed by field number, a field
 * seen more than once as an array, varints and fixed32/64 as unsigned numbers. A length-delimited value is text when
 * it is printable UTF-8, else a nested message when its bytes parse completely as one, else text when valid UTF-8,
 * else base64. Printable text is tried before the message (unlike decode_raw): short strings such as {@code "hi"}
 * also parse as messages.
 */
final class RawDecoder {

  /** Deepest nesting tried as messages; deeper values are text or base64, so a crafted body cannot recurse far. */
  static final int MAX_DEPTH = 64;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RawDecoder() {
  }

  /** One top-level message: an object, or (bytes that are not a message) a string as for a nested value. */
  static JsonNode message(ByteString bytes) {
    try {
      return fields(UnknownFieldSet.parseFrom(bytes), 1);
    } catch (InvalidProtocolBufferException e) {
      return value(bytes, MAX_DEPTH);
    }
  }

  /** The fields of {@code set} as an object, for a message and for the unknown fields of a decoded one. */
  static ObjectNode fields(UnknownFieldSet set, int depth) {
    ObjectNode out = NODES.objectNode();
    for (Map.Entry<Integer, UnknownFieldSet.Field> e : set.asMap().entrySet()) {
      UnknownFieldSet.Field f = e.getValue();
      // The library groups a field's values by wire type; within a type they keep their order.
      List<JsonNode> values = new ArrayList<>();
      f.getVarintList().forEach(v -> values.add(unsigned(v)));
      f.getFixed32List().forEach(v -> values.add(NODES.numberNode(Integer.toUnsignedLong(v))));
      f.getFixed64List().forEach(v -> values.add(unsigned(v)));
      f.getLengthDelimitedList().forEach(v -> values.add(value(v, depth)));
      f.getGroupList().forEach(g -> values.add(fields(g, depth + 1)));
      String key = Integer.toString(e.getKey());
      if (values.size() == 1) {
        out.set(key, values.get(0));
      } else {
        ArrayNode all = out.putArray(key);
        values.forEach(all::add);
      }
    }
    return out;
  }

  static JsonNode unsigned(long v) {
    return v >= 0 ? NODES.numberNode(v) : NODES.numberNode(new BigInteger(Long.toUnsignedString(v)));
  }

  private static JsonNode value(ByteString bytes, int depth) {
    if (printable(bytes)) {
      return NODES.textNode(bytes.toStringUtf8());
    }
    if (depth < MAX_DEPTH) {
      try {
        return fields(UnknownFieldSet.parseFrom(bytes), depth + 1);
      } catch (InvalidProtocolBufferException e) {
        // not a message: text or bytes
      }
    }
    return bytes.isValidUtf8() ? NODES.textNode(bytes.toStringUtf8())
        : NODES.textNode(Base64.getEncoder().encodeToString(bytes.toByteArray()));
  }

  /** Valid UTF-8 without control characters but tab and line breaks; the empty value too. */
  private static boolean printable(ByteString bytes) {
    if (!bytes.isValidUtf8()) {
      return false;
    }
    String s = bytes.toStringUtf8();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        return false;
      }
    }
    return true;
  }
}
