package dev.tandem.comparator.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A message decoded with its type, as a tree keyed by proto field name ({@code customer_id}, as
 * {@code JsonFormat.printer().preservingProtoFieldNames()} names them). Built by hand rather than printed with
 * {@code JsonFormat}, which drops unknown fields (a field the shadow added would go unseen) and writes 64-bit
 * integers as strings (no numeric tolerance). Here unknown fields stay, keyed by number; fields without presence
 * appear with their default, so {@code 0} against {@code 5} is a changed value, not a missing one; well-known types
 * ({@code Timestamp}, {@code Duration}, wrappers, {@code Struct}, {@code Any}) are written as {@code JsonFormat} does.
 */
final class MessageTree {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> WELL_KNOWN = Set.of("google.protobuf.Any", "google.protobuf.Timestamp",
      "google.protobuf.Duration", "google.protobuf.FieldMask", "google.protobuf.Struct", "google.protobuf.Value",
      "google.protobuf.ListValue", "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
      "google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.Int32Value",
      "google.protobuf.UInt32Value", "google.protobuf.BoolValue", "google.protobuf.StringValue",
      "google.protobuf.BytesValue");

  private final JsonFormat.Printer printer;

  MessageTree(TypeRegistry types) {
    this.printer = JsonFormat.printer().usingTypeRegistry(types).omittingInsignificantWhitespace();
  }

  /** Parses {@code bytes} as {@code type}; throws when they are not one (required fields included). */
  JsonNode decode(Descriptor type, ByteString bytes) throws InvalidProtocolBufferException {
    return message(DynamicMessage.parseFrom(type, bytes));
  }

  private JsonNode message(Message m) {
    Descriptor type = m.getDescriptorForType();
    if (WELL_KNOWN.contains(type.getFullName())) {
      try {
        return JSON.readTree(printer.print(m));
      } catch (InvalidProtocolBufferException | JsonProcessingException e) {
        // an Any of a type the set lacks, a timestamp out of range: written field by field below
      }
    }
    ObjectNode out = NODES.objectNode();
    for (FieldDescriptor f : type.getFields()) {
      if (f.isRepeated() ? m.getRepeatedFieldCount(f) > 0 : !f.hasPresence() || m.hasField(f)) {
        out.set(f.getName(), field(f, m.getField(f)));
      }
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      if (e.getKey().isExtension()) {
        out.set("[" + e.getKey().getFullName() + "]", field(e.getKey(), e.getValue()));
      }
    }
    if (!m.getUnknownFields().asMap().isEmpty()) {
      out.setAll(RawDecoder.fields(m.getUnknownFields(), 1));
    }
    return out;
  }

  private JsonNode field(FieldDescriptor f, Object value) {
    if (f.isMapField()) {
      FieldDescriptor key = f.getMessageType().findFieldByNumber(1);
      FieldDescriptor val = f.getMessageType().findFieldByNumber(2);
      ObjectNode map = NODES.objectNode();
      for (Object entry : (List<?>) value) {
        Message e = (Message) entry;
        map.set(scalar(key, e.getField(key)).asText(), scalar(val, e.getField(val)));
      }
      return map;
    }
    if (f.isRepeated()) {
      ArrayNode all = NODES.arrayNode();
      ((List<?>) value).forEach(v -> all.add(scalar(f, v)));
      return all;
    }
    return scalar(f, value);
  }

  private JsonNode scalar(FieldDescriptor f, Object v) {
    return switch (f.getType()) {
      case MESSAGE, GROUP -> message((Message) v);
      case ENUM -> enumValue((EnumValueDescriptor) v);
      case UINT32, FIXED32 -> NODES.numberNode(Integer.toUnsignedLong((Integer) v));
      case UINT64, FIXED64 -> RawDecoder.unsigned((Long) v);
      case INT32, SINT32, SFIXED32 -> NODES.numberNode((Integer) v);
      case INT64, SINT64, SFIXED64 -> NODES.numberNode((Long) v);
      case BOOL -> NODES.booleanNode((Boolean) v);
      case STRING -> NODES.textNode((String) v);
      case BYTES -> NODES.textNode(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray()));
      case FLOAT -> Float.isFinite((Float) v) ? NODES.numberNode((Float) v) : NODES.textNode(v.toString());
      case DOUBLE -> Double.isFinite((Double) v) ? NODES.numberNode((Double) v) : NODES.textNode(v.toString());
    };
  }

  /** The value's name; a number the enum does not declare (an open enum's unknown value) as that number. */
  private static JsonNode enumValue(EnumValueDescriptor e) {
    return e.getIndex() < 0 ? NODES.numberNode(e.getNumber()) : NODES.textNode(e.getName());
  }
}
