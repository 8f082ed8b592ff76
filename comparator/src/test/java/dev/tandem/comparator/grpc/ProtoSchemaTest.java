package dev.tandem.comparator.grpc;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProtoSchemaTest {

  @TempDir
  Path dir;

  @Test
  @DisplayName("a descriptor set file loads with its imports in any order, and names each method's types")
  void loads() throws Exception {
    ProtoSchema s = ProtoSchema.load(Shop.writeSet(dir));
    assertThat(s.isEmpty()).isFalse();
    assertThat(s.outputType(Shop.GET_ORDER).getFullName()).isEqualTo("shop.Order");
    assertThat(s.method(Shop.LIST_ORDERS).isServerStreaming()).isTrue();
    assertThat(s.method(Shop.LIST_ORDERS).getInputType().getFullName()).isEqualTo("shop.OrderQuery");
    assertThat(s.outputType("/shop.Orders/Nope")).isNull();
    assertThat(ProtoSchema.NONE.isEmpty()).isTrue();
  }

  @Test
  @DisplayName("a bad descriptor file is one clear error naming the file, without a stack trace")
  void badFiles() throws Exception {
    Path yaml = Files.writeString(dir.resolve("shop.yaml"), "routes:\n  - name: x\n");
    assertThatThrownBy(() -> ProtoSchema.load(yaml)).isInstanceOf(ProtoSchemaException.class)
        .hasMessageStartingWith(yaml + ": not a FileDescriptorSet")
        .satisfies(e -> assertThat(e.getStackTrace()).isEmpty());
    Path missing = dir.resolve("missing.pb");
    assertThatThrownBy(() -> ProtoSchema.load(missing)).isInstanceOf(ProtoSchemaException.class)
        .hasMessage(missing + ": no such file");
    Path noImports = Files.write(dir.resolve("no-imports.pb"),
        FileDescriptorSet.newBuilder().addFile(Shop.SHOP_PROTO).build().toByteArray());
    assertThatThrownBy(() -> ProtoSchema.load(noImports)).isInstanceOf(ProtoSchemaException.class)
        .hasMessage(noImports + ": imports customer.proto but does not contain it (write the set with protoc"
            + " --include_imports)");
    Path noService = Files.write(dir.resolve("types.pb"),
        FileDescriptorSet.newBuilder().addFile(Shop.CUSTOMER_PROTO).build().toByteArray());
    assertThatThrownBy(() -> ProtoSchema.load(noService)).isInstanceOf(ProtoSchemaException.class)
        .hasMessage(noService + ": defines no gRPC service");
  }
}
