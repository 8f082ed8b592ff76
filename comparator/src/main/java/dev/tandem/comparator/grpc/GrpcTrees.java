package dev.tandem.comparator.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;

import java.util.ArrayList;
import java.util.List;

/**
 * Both sides' gRPC messages as trees to compare, {@code {"messages": [...]}}, one element per message in order: by
 * field name when the schema knows the method, else by field number. Both sides are always decoded the same way,
 * so a message only one side's schema decoding fails on does not turn every name into a number on that side alone.
 *
 * @param primary   the primary's tree
 * @param candidate the candidate's tree
 * @param byNumber  keys are field numbers (no schema, or the schema did not apply)
 * @param notes     how the bodies were read when not as configured: the schema not applying, a stream cut short
 */
public record GrpcTrees(JsonNode primary, JsonNode candidate, boolean byNumber, List<String> notes) {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  public GrpcTrees {
    notes = List.copyOf(notes);
  }

  /**
   * Decodes two readable bodies of a call to {@code path} ({@code /package.Service/Method}). When either was cut
   * short, only the messages both sides have in full are kept.
   */
  public static GrpcTrees of(GrpcFrames primary, GrpcFrames candidate, String path, ProtoSchema schema) {
    List<String> notes = new ArrayList<>();
    int keep = primary.partial() || candidate.partial()
        ? Math.min(primary.messages().size(), candidate.messages().size()) : Integer.MAX_VALUE;
    if (keep != Integer.MAX_VALUE) {
      notes.add("a body was cut short (capture or comparison limit): the first " + keep + " messages compared");
    }
    Descriptor type = schema.outputType(path);
    if (type == null && !schema.isEmpty()) {
      notes.add(path + " is not a method of " + schema.source() + ": fields by number");
    }
    if (type != null) {
      try {
        return new GrpcTrees(decoded(primary, keep, schema.trees(), type),
            decoded(candidate, keep, schema.trees(), type), false, notes);
      } catch (InvalidProtocolBufferException e) {
        notes.add("a message is not a " + type.getFullName() + " (" + e.getMessage() + "): fields by number");
      }
    }
    return new GrpcTrees(raw(primary, keep), raw(candidate, keep), true, notes);
  }

  private static JsonNode decoded(GrpcFrames frames, int keep, MessageTree tree, Descriptor type)
      throws InvalidProtocolBufferException {
    ObjectNode out = NODES.objectNode();
    ArrayNode messages = out.putArray("messages");
    for (ByteString m : frames.messages().subList(0, Math.min(keep, frames.messages().size()))) {
      messages.add(tree.decode(type, m));
    }
    return out;
  }

  private static JsonNode raw(GrpcFrames frames, int keep) {
    ObjectNode out = NODES.objectNode();
    ArrayNode messages = out.putArray("messages");
    frames.messages().stream().limit(keep).forEach(m -> messages.add(RawDecoder.message(m)));
    return out;
  }
}
