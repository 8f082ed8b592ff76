package dev.tandem.comparator.grpc;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A small gRPC service built in code, as protoc would describe it: {@code customer.proto} (message Customer: id,
 * name) imported by {@code shop.proto} (message Order: order_id, customer, tags; service shop.Orders with GetOrder
 * and the server-streaming ListOrders). No protoc needed.
 */
public final class Shop {

  public static final String GET_ORDER = "/shop.Orders/GetOrder";
  public static final String LIST_ORDERS = "/shop.Orders/ListOrders";

  static final FileDescriptorProto CUSTOMER_PROTO = FileDescriptorProto.newBuilder().setName("customer.proto")
      .setPackage("shop").setSyntax("proto3")
      .addMessageType(DescriptorProto.newBuilder().setName("Customer")
          .addField(field("id", 1, FieldDescriptorProto.Type.TYPE_INT64))
          .addField(field("name", 2, FieldDescriptorProto.Type.TYPE_STRING)))
      .build();

  static final FileDescriptorProto SHOP_PROTO = FileDescriptorProto.newBuilder().setName("shop.proto")
      .setPackage("shop").setSyntax("proto3").addDependency("customer.proto")
      .addMessageType(DescriptorProto.newBuilder().setName("Order")
          .addField(field("order_id", 1, FieldDescriptorProto.Type.TYPE_STRING))
          .addField(field("customer", 2, FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".shop.Customer"))
          .addField(field("tags", 3, FieldDescriptorProto.Type.TYPE_STRING)
              .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)))
      .addMessageType(DescriptorProto.newBuilder().setName("OrderQuery")
          .addField(field("order_id", 1, FieldDescriptorProto.Type.TYPE_STRING)))
      .addService(ServiceDescriptorProto.newBuilder().setName("Orders")
          .addMethod(MethodDescriptorProto.newBuilder().setName("GetOrder").setInputType(".shop.OrderQuery")
              .setOutputType(".shop.Order"))
          .addMethod(MethodDescriptorProto.newBuilder().setName("ListOrders").setInputType(".shop.OrderQuery")
              .setOutputType(".shop.Order").setServerStreaming(true)))
      .build();

  /** The set as protoc --include_imports writes it, though with the importing file first. */
  public static final FileDescriptorSet SET = FileDescriptorSet.newBuilder().addFile(SHOP_PROTO)
      .addFile(CUSTOMER_PROTO).build();

  private static final Descriptor ORDER;
  private static final Descriptor CUSTOMER;

  static {
    try {
      FileDescriptor customer = FileDescriptor.buildFrom(CUSTOMER_PROTO, new FileDescriptor[0]);
      FileDescriptor shop = FileDescriptor.buildFrom(SHOP_PROTO, new FileDescriptor[] {customer});
      ORDER = shop.findMessageTypeByName("Order");
      CUSTOMER = customer.findMessageTypeByName("Customer");
    } catch (com.google.protobuf.Descriptors.DescriptorValidationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Shop() {
  }

  private static FieldDescriptorProto.Builder field(String name, int number, FieldDescriptorProto.Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
        .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL);
  }

  /** An Order message. */
  public static Message order(String id, long customerId, String customerName, String... tags) {
    Message customer = DynamicMessage.newBuilder(CUSTOMER).setField(CUSTOMER.findFieldByName("id"), customerId)
        .setField(CUSTOMER.findFieldByName("name"), customerName).build();
    DynamicMessage.Builder b = DynamicMessage.newBuilder(ORDER).setField(ORDER.findFieldByName("order_id"), id)
        .setField(ORDER.findFieldByName("customer"), customer);
    for (String t : tags) {
      b.addRepeatedField(ORDER.findFieldByName("tags"), t);
    }
    return b.build();
  }

  /** Messages framed as a gRPC body: flag 0, a 4-byte big-endian length, the bytes. */
  public static byte[] frame(Message... messages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Message m : messages) {
      frame(out, 0, m.toByteArray());
    }
    return out.toByteArray();
  }

  /** One frame with the given flag. */
  public static void frame(ByteArrayOutputStream out, int flag, byte[] message) {
    out.write(flag);
    int n = message.length;
    out.write(n >>> 24);
    out.write(n >>> 16);
    out.write(n >>> 8);
    out.write(n);
    out.writeBytes(message);
  }

  /** The descriptor set written to {@code dir}, as a user would configure it. */
  public static Path writeSet(Path dir) {
    try {
      return Files.write(dir.resolve("shop.pb"), SET.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The headers and trailers of a gRPC answer with {@code status}, as the proxy hands them over. */
  public static List<Map.Entry<String, String>> headers(int status, String message) {
    return List.of(Map.entry("content-type", "application/grpc"), Map.entry("grpc-accept-encoding", "gzip"),
        Map.entry("grpc-status", Integer.toString(status)), Map.entry("grpc-message", message));
  }
}
