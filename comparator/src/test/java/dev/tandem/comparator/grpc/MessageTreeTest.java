package dev.tandem.comparator.grpc;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MessageOptions;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Timestamp;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.TypeRegistry;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MessageTreeTest {

  private static FieldDescriptorProto.Builder field(String name, int number, Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(Label.LABEL_OPTIONAL);
  }

  @Test
  @DisplayName("by name: 64-bit numbers as numbers, defaults present, enums by name, maps as objects, timestamps as"
      + " text")
  void fields() throws Exception {
    FileDescriptorProto proto = FileDescriptorProto.newBuilder().setName("ledger.proto").setPackage("ledger")
        .setSyntax("proto3").addDependency("google/protobuf/timestamp.proto")
        .addEnumType(EnumDescriptorProto.newBuilder().setName("State")
            .addValue(EnumValueDescriptorProto.newBuilder().setName("OPEN").setNumber(0))
            .addValue(EnumValueDescriptorProto.newBuilder().setName("CLOSED").setNumber(1)))
        .addMessageType(DescriptorProto.newBuilder().setName("Entry")
            .addField(field("amount", 1, Type.TYPE_INT64))
            .addField(field("count", 2, Type.TYPE_UINT32))
            .addField(field("state", 3, Type.TYPE_ENUM).setTypeName(".ledger.State"))
            .addField(field("at", 4, Type.TYPE_MESSAGE).setTypeName(".google.protobuf.Timestamp"))
            .addField(field("labels", 5, Type.TYPE_MESSAGE).setTypeName(".ledger.Entry.LabelsEntry")
                .setLabel(Label.LABEL_REPEATED))
            .addNestedType(DescriptorProto.newBuilder().setName("LabelsEntry")
                .setOptions(MessageOptions.newBuilder().setMapEntry(true))
                .addField(field("key", 1, Type.TYPE_STRING)).addField(field("value", 2, Type.TYPE_STRING))))
        .build();
    FileDescriptor file = FileDescriptor.buildFrom(proto, new FileDescriptor[] {TimestampProto.getDescriptor()});
    Descriptor entry = file.findMessageTypeByName("Entry");
    DynamicMessage labels = DynamicMessage.newBuilder(entry.findNestedTypeByName("LabelsEntry"))
        .setField(entry.findNestedTypeByName("LabelsEntry").findFieldByName("key"), "k")
        .setField(entry.findNestedTypeByName("LabelsEntry").findFieldByName("value"), "v").build();
    DynamicMessage m = DynamicMessage.newBuilder(entry)
        .setField(entry.findFieldByName("amount"), 9_007_199_254_740_993L)
        .setField(entry.findFieldByName("count"), -1)
        .setField(entry.findFieldByName("at"), Timestamp.newBuilder().setSeconds(1_793_613_600L).build())
        .addRepeatedField(entry.findFieldByName("labels"), labels).build();
    MessageTree tree = new MessageTree(TypeRegistry.getEmptyTypeRegistry());
    assertThat(tree.decode(entry, m.toByteString()).toString()).isEqualTo("{\"amount\":9007199254740993,"
        + "\"count\":4294967295,\"state\":\"OPEN\",\"at\":\"2026-11-02T10:00:00Z\",\"labels\":{\"k\":\"v\"}}");

    com.google.protobuf.ByteString unknownState = com.google.protobuf.UnknownFieldSet.newBuilder()
        .addField(3, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build()
        .toByteString();
    assertThat(tree.decode(entry, unknownState).get("state").asInt()).as("an enum number not declared").isEqualTo(7);
  }
}
