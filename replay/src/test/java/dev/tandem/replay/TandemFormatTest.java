package dev.tandem.replay;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TandemFormatTest {

  @TempDir
  Path dir;

  private static Map.Entry<String, String> h(String name, String value) {
    return new AbstractMap.SimpleImmutableEntry<>(name, value);
  }

  static CaptureRecord record(String id, Instant time, String method, String uri, byte[] body) {
    return new CaptureRecord(id, time, "default",
        new CaptureRecord.Request(method, uri, "HTTP/1.1", List.of(h("Host", "shop"), h("X-Dup", "1"), h("X-Dup", "2")),
            body, body.length),
        new CaptureRecord.Answer("legacy", 201, List.of(h("Content-Type", "application/json")),
            "{\"ok\":true}".getBytes(StandardCharsets.UTF_8), 11, 1_234_000, null),
        new CaptureRecord.Answer("candidate", 0, List.of(), new byte[0], 0, 2_000_000_000, "timeout"));
  }

  @Test
  @DisplayName("a record survives the round trip exactly: every byte value in a body, non-ASCII text, header order"
      + " and repeats, both answers, nanosecond time")
  void roundTrip() {
    byte[] every = new byte[256];
    for (int i = 0; i < 256; i++) {
      every[i] = (byte) i;
    }
    Instant t = Instant.parse("2026-12-01T10:00:00.123456789Z");
    for (byte[] body : List.of(every, "Zoë 🐵 \n\r\u0000 \"quoted\"".getBytes(StandardCharsets.UTF_8), new byte[0])) {
      byte[] line = TandemFormat.encode(record("r1", t, "POST", "/orders?q=a%20b", body));
      String text = new String(line, StandardCharsets.UTF_8);
      assertThat(text.indexOf('\n')).as("one line").isEqualTo(text.length() - 1);
      CaptureRecord back = TandemFormat.decode(new String(line, 0, line.length - 1, StandardCharsets.UTF_8));
      assertThat(back.request().body()).isEqualTo(body);
      assertThat(back.request().headers()).containsExactly(h("Host", "shop"), h("X-Dup", "1"), h("X-Dup", "2"));
      assertThat(back.time()).isEqualTo(t);
      assertThat(back.primary().status()).isEqualTo(201);
      assertThat(back.primary().latencyNanos()).isEqualTo(1_234_000);
      assertThat(back.shadow().error()).isEqualTo("timeout");
      assertThat(back.request().truncated()).isFalse();
    }
    assertThat(new String(TandemFormat.encode(record("r", t, "GET", "/", every)), StandardCharsets.UTF_8))
        .contains("\"base64\"");
    CaptureRecord r = record("r2", t, "GET", "/", new byte[0]);
    CaptureRecord withReplayed = new CaptureRecord(r.id(), r.time(), r.route(), r.request(), r.primary(), null,
        List.of(new CaptureRecord.Answer("http://127.0.0.1:9002", 200, List.of(), "x".getBytes(), 1, 5_000, null)));
    byte[] line = TandemFormat.encode(withReplayed);
    CaptureRecord back = TandemFormat.decode(new String(line, StandardCharsets.UTF_8).strip());
    assertThat(back.replayed()).singleElement().satisfies(a -> {
      assertThat(a.backend()).isEqualTo("http://127.0.0.1:9002");
      assertThat(a.body()).isEqualTo("x".getBytes());
    });
    assertThat(back.shadow()).isNull();
    assertThat(new String(TandemFormat.encode(record("r", t, "GET", "/", "é".getBytes(StandardCharsets.UTF_8))),
        StandardCharsets.UTF_8)).contains("\"text\":\"é\"");
  }

  /** A gRPC message as it travels: a 5-byte prefix (not compressed, length) and the protobuf bytes. */
  static byte[] grpcFrame(byte... message) {
    byte[] frame = new byte[5 + message.length];
    java.nio.ByteBuffer.wrap(frame).put((byte) 0).putInt(message.length).put(message);
    return frame;
  }

  static CaptureRecord grpcRecord(String id, byte[] body, String primaryStatus, String shadowStatus) {
    List<Map.Entry<String, String>> headers = List.of(h("content-type", "application/grpc"));
    return new CaptureRecord(id, Instant.parse("2026-12-01T10:00:00.5Z"), "grpc",
        new CaptureRecord.Request("POST", "/shop.Orders/Get", CaptureRecord.HTTP_2,
            List.of(h("content-type", "application/grpc"), h("te", "trailers")), body, body.length),
        new CaptureRecord.Answer("legacy", 200, headers, body, body.length, 1_000, null,
            List.of(h("grpc-status", primaryStatus), h("grpc-message", ""))),
        new CaptureRecord.Answer("candidate", 200, headers, body, body.length, 2_000, null,
            List.of(h("grpc-status", shadowStatus), h("grpc-message", "not found"))));
  }

  @Test
  @DisplayName("a gRPC record keeps its HTTP version, its binary framed bodies byte for byte and each side's"
      + " trailers: read back and written again it is the same line")
  void grpcRoundTrip() {
    byte[] body = grpcFrame((byte) 0x0a, (byte) 0x03, (byte) 0xff, (byte) 0x00, (byte) 0x80, (byte) '\n');
    byte[] line = TandemFormat.encode(grpcRecord("g1", body, "0", "5"));
    String text = new String(line, StandardCharsets.UTF_8);
    assertThat(text).contains("\"version\":\"HTTP/2\"", "\"base64\"",
        "\"trailers\":[[\"grpc-status\",\"0\"],[\"grpc-message\",\"\"]]");
    CaptureRecord back = TandemFormat.decode(text.strip());
    assertThat(TandemFormat.encode(back)).as("byte-identical when written again").isEqualTo(line);
    assertThat(back.request().version()).isEqualTo("HTTP/2");
    assertThat(back.request().body()).isEqualTo(body);
    assertThat(back.primary().body()).isEqualTo(body);
    assertThat(back.primary().trailers()).containsExactly(h("grpc-status", "0"), h("grpc-message", ""));
    assertThat(back.shadow().trailers()).containsExactly(h("grpc-status", "5"), h("grpc-message", "not found"));

    CapturedExchange e = TandemFormat.toExchange("cap.jsonl:2", back);
    assertThat(e.http2()).isTrue();
    assertThat(e.body()).isEqualTo(body);
    assertThat(e.response().trailers()).containsExactly(h("grpc-status", "0"), h("grpc-message", ""));
  }

  @Test
  @DisplayName("a record written before versions and trailers were kept reads as HTTP/1.1 without trailers, and is"
      + " written again without them")
  void oldRecordReadsAsHttp1() {
    String old = "{\"id\":\"o1\",\"time\":\"2026-12-01T10:00:00Z\",\"route\":\"default\","
        + "\"request\":{\"method\":\"GET\",\"uri\":\"/a\",\"headers\":[[\"Host\",\"shop\"]]},"
        + "\"primary\":{\"backend\":\"legacy\",\"status\":200,\"latencyMicros\":5,\"headers\":[],"
        + "\"body\":{\"text\":\"ok\"}}}";
    CaptureRecord r = TandemFormat.decode(old);
    assertThat(r.request().version()).isEqualTo("HTTP/1.1");
    assertThat(r.primary().trailers()).isEmpty();
    CapturedExchange e = TandemFormat.toExchange("old.jsonl:2", r);
    assertThat(e.protocol()).isEqualTo("HTTP/1.1");
    assertThat(e.http2()).isFalse();
    assertThat(e.response().trailers()).isEmpty();
    assertThat(new String(TandemFormat.encode(r), StandardCharsets.UTF_8)).doesNotContain("trailers");
  }

  @Test
  @DisplayName("trailers that are not [name, value] pairs are refused with where they are")
  void badTrailers() {
    String line = new String(TandemFormat.encode(grpcRecord("g", new byte[0], "0", "0")), StandardCharsets.UTF_8)
        .strip().replace("[[\"grpc-status\",\"0\"],[\"grpc-message\",\"\"]]", "{\"grpc-status\":0}");
    assertThatThrownBy(() -> TandemFormat.decode(line)).hasMessageContaining("primary.trailers must be a list of"
        + " [name, value] pairs");
  }

  private Path file(String name, String... lines) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(TandemFormat.headerLine(Instant.EPOCH, "test"));
    for (String l : lines) {
      out.writeBytes((l + "\n").getBytes(StandardCharsets.UTF_8));
    }
    Path p = dir.resolve(name);
    Files.write(p, out.toByteArray());
    return p;
  }

  private static String line(CaptureRecord r) {
    return new String(TandemFormat.encode(r), StandardCharsets.UTF_8).strip();
  }

  @Test
  @DisplayName("a Tandem capture is detected and read as exchanges with the primary's answer as the recorded"
      + " response; a damaged line is named by file and line, and with --skip-invalid the rest is still read")
  void readsAndReportsByLine() throws Exception {
    Instant t = Instant.parse("2026-12-01T10:00:00Z");
    Path f = file("cap.jsonl", line(record("a", t, "GET", "/a", new byte[0])), "{not json",
        line(record("b", t.plusMillis(5), "POST", "/b", "{}".getBytes(StandardCharsets.UTF_8))));
    assertThatThrownBy(() -> CaptureFiles.read(List.of(f), 1 << 20, false, new ArrayList<>()))
        .isInstanceOf(CaptureException.class).hasMessageContaining("cap.jsonl:3").hasMessageContaining("not valid JSON");
    List<String> problems = new ArrayList<>();
    List<CapturedExchange> all = CaptureFiles.read(List.of(f), 1 << 20, true, problems);
    assertThat(all).extracting(CapturedExchange::uri).containsExactly("/a", "/b");
    assertThat(problems).singleElement().asString().startsWith(f + ":3: ");
    assertThat(all.get(1).response().status()).isEqualTo(201);
    assertThat(all.get(1).timeNanos() - all.get(0).timeNanos()).isEqualTo(5_000_000);
    assertThat(all.get(1).source()).isEqualTo(f + ":4");
  }

  @Test
  @DisplayName("a request body cut at the capture limit is reported, never replayed short; a newer format version"
      + " and a missing header line are refused with what to do")
  void cutBodiesAndVersions() throws Exception {
    Instant t = Instant.parse("2026-12-01T10:00:00Z");
    CaptureRecord r = record("cut", t, "POST", "/big", "abc".getBytes(StandardCharsets.UTF_8));
    CaptureRecord cut = new CaptureRecord(r.id(), r.time(), r.route(), new CaptureRecord.Request("POST", "/big",
        "HTTP/1.1", List.of(), "abc".getBytes(StandardCharsets.UTF_8), 10_000), r.primary(), null);
    Path f = file("cut.jsonl", line(cut));
    assertThatThrownBy(() -> CaptureFiles.read(List.of(f), 1 << 20, false, new ArrayList<>()))
        .hasMessageContaining("cut.jsonl:2").hasMessageContaining("cut at the capture limit (3 of 10000 bytes)");

    Path newer = dir.resolve("newer.jsonl");
    Files.writeString(newer, "{\"format\":\"tandem-capture\",\"version\":9}\n");
    assertThatThrownBy(() -> CaptureFiles.read(List.of(newer), 1 << 20, true, new ArrayList<>()))
        .hasMessageContaining("newer.jsonl:1").hasMessageContaining("version 9 is not read");
  }
}
