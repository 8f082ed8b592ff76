package dev.tandem.comparator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.difflib.DiffUtils;
import com.github.difflib.patch.AbstractDelta;
import dev.tandem.comparator.grpc.ProtoSchema;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Compares two answers: status, the headers the rules compare, and the body — JSON structurally
 * ({@link JsonDiff}), gRPC messages decoded and then structurally ({@link GrpcDiff}), other text line by line,
 * anything else by length and hash — after undoing gzip or deflate. Never throws for what the sides sent: a body
 * that cannot be decoded or parsed is itself a difference.
 */
public final class ResponseDiff {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Most differing line ranges reported for a text body. */
  static final int MAX_TEXT_DELTAS = 50;

  private ResponseDiff() {
  }

  /**
   * The result.
   *
   * @param differences every difference, status and headers first
   * @param truncated   a body was longer than the limit and was compared only up to it
   * @param notes       how the bodies were read when not as configured (a gRPC method the descriptor set lacks)
   */
  public record Result(List<Difference> differences, boolean truncated, List<String> notes) {

    public Result {
      notes = List.copyOf(notes);
    }

    public Result(List<Difference> differences, boolean truncated) {
      this(differences, truncated, List.of());
    }

    public boolean matches() {
      return differences.isEmpty();
    }
  }

  /** Two answers compared without a request path: gRPC bodies are decoded by field number. */
  public static Result compare(Side primary, Side candidate, Rules rules) {
    return compare(primary, candidate, rules, "", ProtoSchema.NONE);
  }

  /**
   * @param path   the request's path without the query; for gRPC, {@code /package.Service/Method} names the answer's
   *               message type in {@code schema}
   * @param schema the gRPC descriptor set; {@link ProtoSchema#NONE} without one
   */
  public static Result compare(Side primary, Side candidate, Rules rules, String path, ProtoSchema schema) {
    List<Difference> out = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    if (primary.status() != candidate.status()) {
      out.add(new Difference("status", "status", Difference.Kind.VALUE, Integer.toString(primary.status()),
          Integer.toString(candidate.status())));
    }
    boolean pGrpc = GrpcDiff.isGrpc(primary);
    boolean cGrpc = GrpcDiff.isGrpc(candidate);
    headers(primary, candidate, rules, pGrpc || cGrpc, out);
    if (pGrpc || cGrpc) {
      GrpcDiff.status(primary, candidate, rules, out);
    }
    boolean truncated = primary.truncated() || candidate.truncated();
    byte[] p = decode(primary, rules.maxBodyBytes(), out, "primary");
    byte[] c = decode(candidate, rules.maxBodyBytes(), out, "candidate");
    if (p != null && c != null) {
      boolean pCut = primary.truncated() || p.length > rules.maxBodyBytes();
      boolean cCut = candidate.truncated() || c.length > rules.maxBodyBytes();
      truncated |= pCut || cCut;
      p = cut(p, rules.maxBodyBytes());
      c = cut(c, rules.maxBodyBytes());
      if (pGrpc && cGrpc) {
        GrpcDiff.body(p, pCut, c, cCut, path, schema, rules, out, notes);
      } else {
        body(primary, p, c, rules, truncated, out);
      }
    }
    return new Result(out, truncated, notes);
  }

  private static void headers(Side primary, Side candidate, Rules rules, boolean grpc, List<Difference> out) {
    Map<String, String> p = headerMap(primary, rules, grpc);
    Map<String, String> c = headerMap(candidate, rules, grpc);
    for (Map.Entry<String, String> e : p.entrySet()) {
      String other = c.get(e.getKey());
      String path = "header:" + e.getKey();
      if (other == null) {
        out.add(new Difference(path, path, Difference.Kind.MISSING, e.getValue(), null));
      } else if (!other.equals(e.getValue())) {
        out.add(new Difference(path, path, Difference.Kind.VALUE, e.getValue(), other));
      }
    }
    for (Map.Entry<String, String> e : c.entrySet()) {
      if (!p.containsKey(e.getKey())) {
        String path = "header:" + e.getKey();
        out.add(new Difference(path, path, Difference.Kind.EXTRA, null, e.getValue()));
      }
    }
  }

  /**
   * The compared headers, lower-cased names, values joined; Set-Cookie by cookie names only. For gRPC, without the
   * status fields, which are differences of their own.
   */
  private static Map<String, String> headerMap(Side side, Rules rules, boolean grpc) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : side.headers()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (!rules.comparesHeader(name) || (grpc && GrpcDiff.STATUS_FIELDS.contains(name))) {
        continue;
      }
      String value = name.equals("set-cookie") ? cookieName(h.getValue()) : h.getValue().trim();
      out.merge(name, value, (a, b) -> a + ", " + b);
    }
    return out;
  }

  private static String cookieName(String setCookie) {
    int eq = setCookie.indexOf('=');
    return (eq < 0 ? setCookie : setCookie.substring(0, eq)).trim() + "=…";
  }

  /** The body with its content encoding undone, at most {@code limit + 1} bytes; null (and a difference) if bad. */
  private static byte[] decode(Side side, long limit, List<Difference> out, String which) {
    byte[] body = side.body() == null ? new byte[0] : side.body();
    String encoding = side.header("Content-Encoding");
    if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity") || body.length == 0) {
      return body;
    }
    String e = encoding.trim().toLowerCase(Locale.ROOT);
    try (InputStream in = e.equals("gzip") || e.equals("x-gzip")
        ? new GZIPInputStream(new ByteArrayInputStream(body))
        : e.equals("deflate") ? new InflaterInputStream(new ByteArrayInputStream(body)) : null) {
      if (in == null) {
        return body; // br or another coding: compared as sent
      }
      // Read at most limit + 1 bytes: enough to know the body was longer, and a zip bomb stays small.
      ByteArrayOutputStream decoded = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      long max = Math.min(limit + 1, Integer.MAX_VALUE - 16);
      int n;
      while (decoded.size() < max && (n = in.read(buf, 0, (int) Math.min(buf.length, max - decoded.size()))) > 0) {
        decoded.write(buf, 0, n);
      }
      return decoded.toByteArray();
    } catch (IOException ex) {
      out.add(new Difference("body", "body", Difference.Kind.INVALID, which.equals("primary") ? "cannot decode "
          + encoding + ": " + ex.getMessage() : null, which.equals("candidate") ? "cannot decode " + encoding
          + ": " + ex.getMessage() : null));
      return null;
    }
  }

  private static byte[] cut(byte[] b, long limit) {
    return b.length > limit ? Arrays.copyOf(b, (int) limit) : b;
  }

  private static void body(Side primary, byte[] p, byte[] c, Rules rules, boolean truncated, List<Difference> out) {
    if (p.length == 0 && c.length == 0) {
      return;
    }
    String type = primary.header("Content-Type");
    String t = type == null ? "" : type.toLowerCase(Locale.ROOT);
    boolean json = t.contains("json") || (t.isEmpty() && looksLikeJson(p));
    if (Arrays.equals(p, c)) {
      identical(p, json && !truncated, rules, out);
      return;
    }
    if (json && !truncated) {
      JsonNode pj = parse(p);
      JsonNode cj = parse(c);
      if (pj != null && cj != null) {
        out.addAll(JsonDiff.diff(pj, cj, rules));
        return;
      }
      if (pj != null || cj != null) {
        out.add(new Difference("body", "body", Difference.Kind.INVALID, pj == null ? "not JSON" : null,
            cj == null ? "not JSON" : null));
        return;
      }
    }
    if (json || t.startsWith("text/") || t.contains("xml") || t.contains("html") || t.contains("javascript")
        || t.contains("x-www-form-urlencoded")) {
      text(p, c, out);
    } else if (!Arrays.equals(p, c)) {
      out.add(new Difference("body", "body", Difference.Kind.BINARY, digest(p), digest(c)));
    }
  }

  /**
   * Byte-identical bodies, common in real traffic: no difference as text or bytes, and none as JSON either unless a
   * rule can find one in a body compared with itself (a regex matcher, or an array matched on a key that two
   * elements share). Then the body is parsed once and walked against itself; otherwise it is not parsed at all.
   */
  private static void identical(byte[] body, boolean json, Rules rules, List<Difference> out) {
    if (!json) {
      return;
    }
    if (!selfDiffers(rules) && looksLikeJson(body)) {
      return; // an object or an array: parsed, it would equal itself at every node
    }
    JsonNode tree = parse(body);
    if (tree != null) {
      out.addAll(JsonDiff.diff(tree, tree, rules));
    }
  }

  /** Whether a rule can find a difference in a body compared with itself. */
  static boolean selfDiffers(Rules rules) {
    return !rules.arrayKeys().isEmpty() || rules.matchers().values().stream().anyMatch(m -> m.regex() != null);
  }

  private static boolean looksLikeJson(byte[] b) {
    for (byte x : b) {
      if (x == '{' || x == '[') {
        return true;
      }
      if (x != ' ' && x != '\n' && x != '\r' && x != '\t') {
        return false;
      }
    }
    return false;
  }

  private static JsonNode parse(byte[] b) {
    try {
      return JSON.readTree(b);
    } catch (JsonProcessingException e) {
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void text(byte[] p, byte[] c, List<Difference> out) {
    if (Arrays.equals(p, c)) {
      return;
    }
    List<String> a = new String(p, StandardCharsets.UTF_8).lines().toList();
    List<String> b = new String(c, StandardCharsets.UTF_8).lines().toList();
    int n = 0;
    for (AbstractDelta<String> d : DiffUtils.diff(a, b).getDeltas()) {
      if (n++ >= MAX_TEXT_DELTAS) {
        break;
      }
      int line = d.getSource().getPosition() + 1;
      out.add(new Difference("line:" + line, "line", Difference.Kind.TEXT, String.join("\n", d.getSource().getLines()),
          String.join("\n", d.getTarget().getLines())));
    }
  }

  /** A binary body as a difference shows it: its length and the start of its SHA-256. */
  static String digest(byte[] b) {
    return b.length + " bytes, sha256 " + sha256(b);
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
