package dev.tandem.comparator.grpc;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TypeRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The gRPC methods of a descriptor set, as {@code protoc --include_imports --descriptor_set_out=FILE} writes it, by
 * request path ({@code /package.Service/Method}). Immutable and safe to share between threads; {@link #NONE} knows no
 * method, and every gRPC body is then decoded by field number.
 */
public final class ProtoSchema {

  /** No descriptor set configured. */
  public static final ProtoSchema NONE = new ProtoSchema("no descriptor set", Map.of(),
      TypeRegistry.getEmptyTypeRegistry());

  private final String source;
  private final Map<String, MethodDescriptor> methods;
  private final MessageTree trees;

  private ProtoSchema(String source, Map<String, MethodDescriptor> methods, TypeRegistry types) {
    this.source = source;
    this.methods = methods;
    this.trees = new MessageTree(types);
  }

  /** Reads and links the descriptor set in {@code file}; every problem names the file. */
  public static ProtoSchema load(Path file) throws ProtoSchemaException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ProtoSchemaException(file + ": no such file");
    } catch (IOException e) {
      throw new ProtoSchemaException(file + ": cannot be read: " + e.getMessage());
    }
    FileDescriptorSet set;
    try {
      set = FileDescriptorSet.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ProtoSchemaException(file + ": not a FileDescriptorSet (write one with protoc --include_imports"
          + " --descriptor_set_out=FILE): " + e.getMessage());
    }
    return of(set, file.toString());
  }

  /**
   * Links {@code set}, whose files may come in any order as long as every import is among them.
   *
   * @param source where the set came from, for messages (a file name)
   */
  public static ProtoSchema of(FileDescriptorSet set, String source) throws ProtoSchemaException {
    if (set.getFileCount() == 0) {
      throw new ProtoSchemaException(source + ": not a FileDescriptorSet, or an empty one: it describes no .proto"
          + " file");
    }
    Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
    set.getFileList().forEach(f -> protos.put(f.getName(), f));
    Map<String, FileDescriptor> built = new LinkedHashMap<>();
    for (String name : protos.keySet()) {
      link(name, protos, built, new HashSet<>(), source);
    }
    Map<String, MethodDescriptor> methods = new LinkedHashMap<>();
    TypeRegistry.Builder types = TypeRegistry.newBuilder();
    for (FileDescriptor f : built.values()) {
      types.add(f.getMessageTypes());
      for (ServiceDescriptor s : f.getServices()) {
        s.getMethods().forEach(m -> methods.put("/" + s.getFullName() + "/" + m.getName(), m));
      }
    }
    if (methods.isEmpty()) {
      throw new ProtoSchemaException(source + ": defines no gRPC service");
    }
    return new ProtoSchema(source, Map.copyOf(methods), types.build());
  }

  /** Builds {@code name} after its imports; {@code linking} holds the files on the way, to catch a cycle. */
  private static FileDescriptor link(String name, Map<String, FileDescriptorProto> protos,
                                     Map<String, FileDescriptor> built, Set<String> linking, String source)
      throws ProtoSchemaException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new ProtoSchemaException(source + ": imports " + name + " but does not contain it (write the set with"
          + " protoc --include_imports)");
    }
    if (!linking.add(name)) {
      throw new ProtoSchemaException(source + ": " + name + " imports itself through " + linking);
    }
    List<String> imports = proto.getDependencyList();
    FileDescriptor[] deps = new FileDescriptor[imports.size()];
    for (int i = 0; i < deps.length; i++) {
      deps[i] = link(imports.get(i), protos, built, linking, source);
    }
    try {
      FileDescriptor f = FileDescriptor.buildFrom(proto, deps);
      built.put(name, f);
      linking.remove(name);
      return f;
    } catch (DescriptorValidationException e) {
      throw new ProtoSchemaException(source + ": " + name + ": " + e.getMessage());
    }
  }

  /** The method a request path names ({@code /package.Service/Method}); null when the set has none such. */
  public MethodDescriptor method(String path) {
    return path == null ? null : methods.get(path);
  }

  /** The answer's message type for a request path; null when the set has no such method. */
  public Descriptor outputType(String path) {
    MethodDescriptor m = method(path);
    return m == null ? null : m.getOutputType();
  }

  /** Whether no descriptor set was configured. */
  public boolean isEmpty() {
    return methods.isEmpty();
  }

  /** Decodes messages of this set's types (an {@code Any} of any of them included). */
  MessageTree trees() {
    return trees;
  }

  /** Where the set came from (its file), for messages. */
  public String source() {
    return source;
  }

  @Override
  public String toString() {
    return "ProtoSchema[" + source + ", " + methods.size() + " methods]";
  }
}
