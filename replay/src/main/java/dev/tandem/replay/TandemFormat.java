package dev.tandem.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Tandem's capture format (docs/capture-format.md): JSON Lines, a header line naming the format and its version,
 * then one exchange per line. A body is {@code {"text": ...}} when it is valid UTF-8 and {@code {"base64": ...}}
 * otherwise, so every byte survives (a gRPC body, length-prefixed protobuf, comes back byte for byte either way);
 * JSON escapes every control character, so no record spans two lines and one damaged line never takes its
 * neighbours with it.
 *
 * <p>{@code request.version} is the HTTP version the client spoke ({@code HTTP/1.0}, {@code HTTP/1.1},
 * {@code HTTP/2}; absent reads as {@code HTTP/1.1}). Each answer ({@code primary}, {@code shadow}, each of
 * {@code replayed}) may carry {@code trailers}, the fields that followed its body, as {@code [name, value]} pairs
 * like {@code headers} ({@code "trailers":[["grpc-status","0"],["grpc-message",""]]}); absent when there were
 * none. Both were added within version 1: older files read unchanged, and older readers ignore them.
 */
public final class TandemFormat {

  public static final String FORMAT = "tandem-capture";
  public static final int VERSION = 1;

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper JSON = new ObjectMapper();

  private TandemFormat() {
  }

  /** The first line of every file: what it is, which version, who wrote it and when. */
  public static byte[] headerLine(Instant created, String writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("format", FORMAT);
      g.writeNumberField("version", VERSION);
      g.writeStringField("created", created.toString());
      g.writeStringField("writer", writer);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  /** One record as a line, newline included. */
  public static byte[] encode(CaptureRecord r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8,
        512 + r.bodyBytes() * 4 / 3));
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("id", r.id());
      g.writeStringField("time", r.time().toString());
      g.writeStringField("route", r.route());
      g.writeObjectFieldStart("request");
      g.writeStringField("method", r.request().method());
      g.writeStringField("uri", r.request().uri());
      g.writeStringField("version", r.request().version());
      pairs(g, "headers", r.request().headers());
      body(g, r.request().body(), r.request().bodyLength());
      g.writeEndObject();
      answer(g, "primary", r.primary());
      answer(g, "shadow", r.shadow());
      if (!r.replayed().isEmpty()) {
        g.writeArrayFieldStart("replayed");
        for (CaptureRecord.Answer a : r.replayed()) {
          answer(g, null, a);
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  private static void answer(JsonGenerator g, String name, CaptureRecord.Answer a) throws IOException {
    if (a == null) {
      return;
    }
    if (name == null) {
      g.writeStartObject();
    } else {
      g.writeObjectFieldStart(name);
    }
    g.writeStringField("backend", a.backend());
    g.writeNumberField("status", a.status());
    if (a.error() != null) {
      g.writeStringField("error", a.error());
    }
    g.writeNumberField("latencyMicros", a.latencyNanos() / 1000);
    pairs(g, "headers", a.headers());
    body(g, a.body(), a.bodyLength());
    if (!a.trailers().isEmpty()) {
      pairs(g, "trailers", a.trailers());
    }
    g.writeEndObject();
  }

  /** {@code field} as a list of {@code [name, value]} pairs, in order: headers and trailers. */
  private static void pairs(JsonGenerator g, String field, List<Map.Entry<String, String>> pairs)
      throws IOException {
    g.writeArrayFieldStart(field);
    for (Map.Entry<String, String> h : pairs) {
      g.writeStartArray();
      g.writeString(h.getKey());
      g.writeString(h.getValue());
      g.writeEndArray();
    }
    g.writeEndArray();
  }

  private static void body(JsonGenerator g, byte[] body, long length) throws IOException {
    if (body.length == 0 && length == 0) {
      return;
    }
    g.writeObjectFieldStart("body");
    String text = utf8(body);
    if (text != null) {
      g.writeStringField("text", text);
    } else {
      g.writeStringField("base64", Base64.getEncoder().encodeToString(body));
    }
    if (length > body.length) {
      g.writeNumberField("length", length); // cut at the capture limit: the real length
    }
    g.writeEndObject();
  }

  /** The bytes as a string when they are valid UTF-8 (so that encoding the string gives them back); else null. */
  static String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Whether {@code line} is a Tandem capture's header line; fails when it is one of a version not read here. */
  static boolean isHeader(String line) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (IOException e) {
      return false;
    }
    if (n == null || !FORMAT.equals(n.path("format").asText())) {
      return false;
    }
    if (n.path("version").asInt() != VERSION) {
      throw new IllegalArgumentException("capture format version " + n.path("version").asText()
          + " is not read by this Tandem (it reads version " + VERSION + ")");
    }
    return true;
  }

  /** Parses one record line; an IllegalArgumentException says what is wrong with it. */
  public static CaptureRecord decode(String line) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (IOException e) {
      String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
          : e.getMessage();
      throw new IllegalArgumentException("not valid JSON: " + m);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("a record must be a JSON object");
    }
    JsonNode req = n.path("request");
    if (!req.isObject()) {
      throw new IllegalArgumentException("request is missing");
    }
    Instant time;
    try {
      time = Instant.parse(required(n, "time"));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("time is not an ISO instant: '" + n.path("time").asText() + "'");
    }
    byte[] body = body(req.path("body"), "request.body");
    CaptureRecord.Request request = new CaptureRecord.Request(required(req, "method"), required(req, "uri"),
        req.path("version").asText("HTTP/1.1"), headers(req.path("headers"), "request.headers"), body,
        req.path("body").path("length").asLong(body.length));
    List<CaptureRecord.Answer> replayed = new ArrayList<>();
    JsonNode list = n.path("replayed");
    for (int i = 0; i < list.size(); i++) {
      replayed.add(answer(list.get(i), "replayed[" + i + "]"));
    }
    return new CaptureRecord(required(n, "id"), time, n.path("route").asText(""), request,
        answer(n.path("primary"), "primary"), answer(n.path("shadow"), "shadow"), replayed);
  }

  private static CaptureRecord.Answer answer(JsonNode a, String name) {
    if (a.isMissingNode() || a.isNull()) {
      return null;
    }
    if (!a.path("status").canConvertToInt()) {
      throw new IllegalArgumentException(name + ".status must be a number");
    }
    byte[] body = body(a.path("body"), name + ".body");
    return new CaptureRecord.Answer(a.path("backend").asText(""), a.path("status").asInt(),
        headers(a.path("headers"), name + ".headers"), body, a.path("body").path("length").asLong(body.length),
        a.path("latencyMicros").asLong(0) * 1000, a.hasNonNull("error") ? a.path("error").asText() : null,
        headers(a.path("trailers"), name + ".trailers"));
  }

  private static String required(JsonNode n, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(key + " is missing or not a string");
    }
    return v.asText();
  }

  private static List<Map.Entry<String, String>> headers(JsonNode list, String where) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    if (list.isMissingNode()) {
      return out;
    }
    if (!list.isArray()) {
      throw new IllegalArgumentException(where + " must be a list of [name, value] pairs");
    }
    for (JsonNode h : list) {
      if (!h.isArray() || h.size() != 2 || !h.get(0).isTextual() || !h.get(1).isTextual()) {
        throw new IllegalArgumentException(where + " must be a list of [name, value] pairs, got " + h);
      }
      out.add(new AbstractMap.SimpleImmutableEntry<>(h.get(0).asText(), h.get(1).asText()));
    }
    return out;
  }

  private static byte[] body(JsonNode b, String where) {
    if (b.isMissingNode() || b.isNull()) {
      return new byte[0];
    }
    if (b.has("text")) {
      return b.path("text").asText().getBytes(StandardCharsets.UTF_8);
    }
    if (b.has("base64")) {
      try {
        return Base64.getDecoder().decode(b.path("base64").asText());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ".base64 is not base64: " + e.getMessage());
      }
    }
    throw new IllegalArgumentException(where + " must hold 'text' or 'base64'");
  }

  /** The record as the replayer sees it: the primary's answer is the recorded response. */
  static CapturedExchange toExchange(String source, CaptureRecord r) {
    Instant t = r.time();
    CaptureRecord.Answer p = r.primary();
    CapturedExchange.Response response = p == null || p.status() == 0 ? null
        : new CapturedExchange.Response(p.status(), p.headers(), p.body(), p.latencyNanos(), p.trailers());
    return new CapturedExchange(source, r.id(), t.getEpochSecond() * 1_000_000_000L + t.getNano(),
        r.request().method(), r.request().uri(), r.request().headers(), r.request().body(), response,
        r.request().version());
  }
}
