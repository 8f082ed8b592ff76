package dev.tandem.comparator;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import dev.tandem.comparator.grpc.ProtoSchema;
import dev.tandem.comparator.grpc.Shop;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class GrpcDiffTest {

  private static ProtoSchema schema;

  @BeforeAll
  static void load(@TempDir Path dir) throws Exception {
    schema = ProtoSchema.load(Shop.writeSet(dir));
  }

  private static Side grpc(String name, int status, String message, byte[] body) {
    return new Side(name, 200, Shop.headers(status, message), body, false, null, 1_000_000);
  }

  private static Side ok(String name, Message... messages) {
    return grpc(name, 0, "", Shop.frame(messages));
  }

  private static List<String> paths(ResponseDiff.Result r) {
    return r.differences().stream().map(d -> d.path() + " " + d.field() + " " + d.kind().label()).toList();
  }

  private static ResponseDiff.Result compare(Side p, Side c, String path, ProtoSchema s) {
    return ResponseDiff.compare(p, c, Rules.DEFAULT, path, s);
  }

  @Test
  @DisplayName("equal messages match, with and without the descriptor set")
  void equal() {
    Side a = ok("legacy", Shop.order("o-1", 7, "Ada", "new", "paid"));
    Side b = ok("candidate", Shop.order("o-1", 7, "Ada", "new", "paid"));
    assertThat(compare(a, b, Shop.GET_ORDER, ProtoSchema.NONE).matches()).isTrue();
    assertThat(compare(a, b, Shop.GET_ORDER, schema).matches()).isTrue();
  }

  @Test
  @DisplayName("a differing nested field: by number without a schema, by name with the descriptor set")
  void nestedField() {
    Side a = ok("legacy", Shop.order("o-1", 7, "Ada"));
    Side b = ok("candidate", Shop.order("o-1", 8, "Ada"));
    ResponseDiff.Result raw = compare(a, b, Shop.GET_ORDER, ProtoSchema.NONE);
    assertThat(paths(raw)).containsExactly("/messages/0/2/1 /messages/*/2/1 value");
    assertThat(raw.differences().get(0).primary()).isEqualTo("7");
    assertThat(raw.differences().get(0).candidate()).isEqualTo("8");
    assertThat(raw.notes()).isEmpty();
    assertThat(paths(compare(a, b, Shop.GET_ORDER, schema)))
        .containsExactly("/messages/0/customer/id /messages/*/customer/id value");
  }

  @Test
  @DisplayName("grpc-status 0 against 13 is its own difference, with grpc-message; never a header: one")
  void status() {
    Side a = ok("legacy", Shop.order("o-1", 7, "Ada"));
    Side b = grpc("candidate", 13, "boom", new byte[0]);
    ResponseDiff.Result r = compare(a, b, Shop.GET_ORDER, schema);
    assertThat(paths(r)).containsExactly("grpc-status grpc-status value", "grpc-message grpc-message value",
        "/messages /messages array_length");
    assertThat(r.differences().get(0).primary()).isEqualTo("0");
    assertThat(r.differences().get(0).candidate()).isEqualTo("13");

    Rules ignoring = Rules.DEFAULT.and(new Rules(List.of(), Set.of("grpc-status", "grpc-message"), Set.of(),
        Map.of(), Rules.Tolerance.EXACT, List.of(), Map.of(), true, java.time.Duration.ofMillis(1), false, List.of(),
        false, Map.of(), 50, Rules.DEFAULT_MAX_BODY_BYTES));
    Side failed = grpc("candidate", 13, "boom", Shop.frame(Shop.order("o-1", 7, "Ada")));
    assertThat(ResponseDiff.compare(a, failed, ignoring, Shop.GET_ORDER, schema).matches()).isTrue();
  }

  @Test
  @DisplayName("a streaming answer of three messages whose second differs: the path names message 1")
  void streaming() {
    Side a = ok("legacy", Shop.order("o-1", 1, "Ada"), Shop.order("o-2", 2, "Bob"), Shop.order("o-3", 3, "Cy"));
    Side b = ok("candidate", Shop.order("o-1", 1, "Ada"), Shop.order("o-2", 2, "Rob"), Shop.order("o-3", 3, "Cy"));
    assertThat(paths(compare(a, b, Shop.LIST_ORDERS, schema)))
        .containsExactly("/messages/1/customer/name /messages/*/customer/name value");
    assertThat(paths(compare(a, b, Shop.LIST_ORDERS, ProtoSchema.NONE)))
        .containsExactly("/messages/1/2/2 /messages/*/2/2 value");
  }

  @Test
  @DisplayName("a compressed message cannot be decoded: compared as bytes, said so, no exception")
  void compressed() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    Shop.frame(body, 1, new byte[] {31, -117, 8, 0});
    Side a = grpc("legacy", 0, "", body.toByteArray());
    Side b = ok("candidate", Shop.order("o-1", 7, "Ada"));
    ResponseDiff.Result r = compare(a, b, Shop.GET_ORDER, schema);
    assertThat(paths(r)).containsExactly("body body binary");
    assertThat(r.differences().get(0).primary())
        .endsWith("; not decoded: message 0 is compressed (grpc-encoding), not decoded");
    assertThat(r.differences().get(0).candidate()).doesNotContain("not decoded");
    assertThat(compare(a, grpc("candidate", 0, "", body.toByteArray()), Shop.GET_ORDER, schema).matches()).isTrue();
  }

  @Test
  @DisplayName("truncated framing likewise: compared as bytes, the reason in the difference")
  void brokenFraming() {
    byte[] whole = Shop.frame(Shop.order("o-1", 7, "Ada"));
    Side a = ok("legacy", Shop.order("o-1", 7, "Ada"));
    Side b = grpc("candidate", 0, "", Arrays.copyOf(whole, whole.length - 3));
    List<Difference> d = new java.util.ArrayList<>();
    assertThatCode(() -> d.addAll(compare(a, b, Shop.GET_ORDER, schema).differences())).doesNotThrowAnyException();
    assertThat(d).extracting(Difference::path).containsExactly("body");
    assertThat(d.get(0).kind()).isEqualTo(Difference.Kind.BINARY);
    assertThat(d.get(0).candidate()).contains("not decoded: message 0:").contains("bytes announced");
  }

  @Test
  @DisplayName("a method the descriptor set lacks, or a message not of its type: by number, and said so")
  void schemaFallback() {
    Side a = ok("legacy", Shop.order("o-1", 7, "Ada"));
    Side b = ok("candidate", Shop.order("o-1", 8, "Ada"));
    ResponseDiff.Result unknown = compare(a, b, "/shop.Orders/Other", schema);
    assertThat(paths(unknown)).containsExactly("/messages/0/2/1 /messages/*/2/1 value");
    assertThat(unknown.notes()).containsExactly("/shop.Orders/Other is not a method of " + schema.source()
        + ": fields by number");

    // order_id (a proto3 string) that is not UTF-8: a message by number, not an Order.
    byte[] notUtf8 = UnknownFieldSet.newBuilder().addField(1, UnknownFieldSet.Field.newBuilder()
        .addLengthDelimited(ByteString.copyFrom(new byte[] {(byte) 0xff, 1})).build()).build().toByteArray();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    Shop.frame(body, 0, notUtf8);
    ResponseDiff.Result notOrder = compare(a, grpc("candidate", 0, "", body.toByteArray()), Shop.GET_ORDER, schema);
    assertThat(notOrder.notes()).singleElement().asString().startsWith("a message is not a shop.Order (");
    assertThat(paths(notOrder))
        .containsExactly("/messages/0/1 /messages/*/1 value", "/messages/0/2 /messages/*/2 missing");
    assertThat(notOrder.differences().get(0).candidate()).isEqualTo("\"/wE=\"");
  }

  @Test
  @DisplayName("with the schema, a field it does not know still counts, under its number")
  void unknownField() {
    Message plain = Shop.order("o-1", 7, "Ada");
    Message extra = plain.toBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
        .addField(9, UnknownFieldSet.Field.newBuilder().addVarint(5).build()).build()).build();
    assertThat(paths(compare(ok("legacy", plain), ok("candidate", extra), Shop.GET_ORDER, schema)))
        .containsExactly("/messages/0/9 /messages/*/* extra");
  }

  @Test
  @DisplayName("a stream cut at the body limit: the messages both sides have in full are compared, and it says so")
  void cutStream() {
    byte[] one = Shop.frame(Shop.order("o-1", 1, "Ada"));
    Side a = ok("legacy", Shop.order("o-1", 1, "Ada"), Shop.order("o-2", 2, "Bob"), Shop.order("o-3", 3, "Cy"));
    Side b = ok("candidate", Shop.order("o-1", 1, "Ada"), Shop.order("o-2", 2, "Rob"), Shop.order("o-3", 3, "Cy"));
    Rules small = Rules.DEFAULT.and(new Rules(List.of(), Set.of(), Set.of(), Map.of(), Rules.Tolerance.EXACT,
        List.of(), Map.of(), true, java.time.Duration.ofMillis(1), false, List.of(), false, Map.of(), 50,
        one.length * 2L + 3));
    ResponseDiff.Result r = ResponseDiff.compare(a, b, small, Shop.LIST_ORDERS, schema);
    assertThat(r.truncated()).isTrue();
    assertThat(paths(r)).containsExactly("/messages/1/customer/name /messages/*/customer/name value");
    assertThat(r.notes()).containsExactly("a body was cut short (capture or comparison limit): the first 2 messages"
        + " compared");
  }

  @Test
  @DisplayName("through the engine: fields counted by name, ignore rules apply to them, samples carry the notes")
  void engine() {
    MemoryResultStore store = new MemoryResultStore(10);
    Rules ignoreTags = Rules.DEFAULT.and(new Rules(List.of(PathPattern.of("/messages/*/tags")), Set.of(), Set.of(),
        Map.of(), Rules.Tolerance.EXACT, List.of(), Map.of(), true, java.time.Duration.ofMillis(1), false, List.of(),
        false, Map.of(), 50, Rules.DEFAULT_MAX_BODY_BYTES));
    ComparisonEngine engine = new ComparisonEngine(ignoreTags, Map.of(), new EndpointGrouper(List.of(), 50),
        NoiseRule.DEFAULT, Redactor.defaults(), store, Map.of(), schema);
    for (int i = 0; i < 4; i++) {
      engine.compare(new RecordedExchange("x" + i, Instant.now(), "grpc", "POST", Shop.GET_ORDER, List.of(),
          new byte[0], ok("legacy", Shop.order("o-" + i, i, "Ada", "a")),
          ok("candidate", Shop.order("o-" + i, i, i % 2 == 0 ? "Ada" : "Eve", "b")), null));
    }
    JsonObject e = engine.summary().getJsonArray("endpoints").getJsonObject(0);
    assertThat(e.getLong("compared")).isEqualTo(4);
    assertThat(e.getJsonArray("fields").stream().map(f -> ((JsonObject) f).getString("field")))
        .containsExactly("/messages/*/customer/name");
    assertThat(e.getJsonArray("fields").getJsonObject(0).getLong("raw")).isEqualTo(2);

    ComparisonEngine plain = new ComparisonEngine(Rules.DEFAULT, Map.of(), new EndpointGrouper(List.of(), 50),
        NoiseRule.DEFAULT, Redactor.defaults(), store, Map.of(), schema);
    plain.compare(new RecordedExchange("y", Instant.now(), "grpc", "POST", "/shop.Orders/Other?x=1", List.of(),
        new byte[0], ok("legacy", Shop.order("o-1", 1, "Ada")), ok("candidate", Shop.order("o-1", 2, "Ada")), null));
    JsonObject sample = store.sample("y").result();
    assertThat(sample.getJsonArray("differences").getJsonObject(0).getString("path")).isEqualTo("/messages/0/2/1");
    assertThat(sample.getJsonArray("notes").getString(0)).startsWith("/shop.Orders/Other is not a method of");
  }

  @Test
  @DisplayName("grpc-web and plain answers are not read as gRPC")
  void detection() {
    Side web = new Side("legacy", 200, List.of(Map.entry("content-type", "application/grpc-web+proto")), new byte[0],
        false, null, 1);
    assertThat(GrpcDiff.isGrpc(web)).isFalse();
    assertThat(GrpcDiff.isGrpc(new Side("legacy", 200, List.of(Map.entry("Content-Type", "application/grpc+proto")),
        new byte[0], false, null, 1))).isTrue();
    assertThat(EndpointStats.ignoreRule("grpc-status"))
        .isEqualTo("comparator: { rules: { ignoreHeaders: [grpc-status] } }");
  }
}
