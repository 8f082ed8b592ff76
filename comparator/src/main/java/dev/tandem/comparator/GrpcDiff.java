package dev.tandem.comparator;

import dev.tandem.comparator.grpc.GrpcFrames;
import dev.tandem.comparator.grpc.GrpcTrees;
import dev.tandem.comparator.grpc.ProtoSchema;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The gRPC part of comparing two answers: {@code grpc-status} and {@code grpc-message} as differences of their own
 * (the proxy appends a call's trailers to its headers), and the body's messages decoded into trees for
 * {@link JsonDiff}. gRPC-Web ({@code application/grpc-web}, trailers inside the body) is left out: compared as bytes.
 */
final class GrpcDiff {

  /** The trailers compared under their own names rather than as {@code header:} differences. */
  static final List<String> STATUS_FIELDS = List.of("grpc-status", "grpc-message");

  private GrpcDiff() {
  }

  /** Whether the side answered as gRPC: {@code application/grpc}, {@code application/grpc+proto} and the like. */
  static boolean isGrpc(Side side) {
    String type = side.header("Content-Type");
    if (type == null) {
      return false;
    }
    String t = type.trim().toLowerCase(Locale.ROOT);
    return t.startsWith("application/grpc") && !t.startsWith("application/grpc-web");
  }

  /** Each status field the rules compare; an absent {@code grpc-message} equals an empty one. */
  static void status(Side primary, Side candidate, Rules rules, List<Difference> out) {
    for (String name : STATUS_FIELDS) {
      if (!rules.comparesHeader(name)) {
        continue;
      }
      String p = last(primary, name);
      String c = last(candidate, name);
      if (name.equals("grpc-message")) {
        p = p == null ? "" : p;
        c = c == null ? "" : c;
      }
      if (!Objects.equals(p, c)) {
        Difference.Kind kind = p == null ? Difference.Kind.EXTRA
            : c == null ? Difference.Kind.MISSING : Difference.Kind.VALUE;
        out.add(new Difference(name, name, kind, p, c));
      }
    }
  }

  /** The last value of {@code name}: a trailer, after the headers, over a header of that name. */
  private static String last(Side side, String name) {
    String value = null;
    for (Map.Entry<String, String> h : side.headers()) {
      if (h.getKey().equalsIgnoreCase(name)) {
        value = h.getValue().trim();
      }
    }
    return value;
  }

  /**
   * Two gRPC bodies of a call to {@code path}, each at most the limit ({@code cut}: it was longer, or the capture
   * cut it). Bodies whose framing cannot be read are compared as bytes, the reason in the difference.
   */
  static void body(byte[] p, boolean pCut, byte[] c, boolean cCut, String path, ProtoSchema schema, Rules rules,
                   List<Difference> out, List<String> notes) {
    boolean same = Arrays.equals(p, c);
    if (same && !ResponseDiff.selfDiffers(rules)) {
      return;
    }
    GrpcFrames pf = GrpcFrames.parse(p, pCut);
    GrpcFrames cf = GrpcFrames.parse(c, cCut);
    if (!pf.readable() || !cf.readable()) {
      if (!same) {
        out.add(new Difference("body", "body", Difference.Kind.BINARY, bytes(p, pf), bytes(c, cf)));
      }
      return;
    }
    GrpcTrees trees = GrpcTrees.of(pf, cf, path, schema);
    notes.addAll(trees.notes());
    out.addAll(JsonDiff.diff(trees.primary(), trees.candidate(), PathRules.of(rules), trees.byNumber()));
  }

  private static String bytes(byte[] body, GrpcFrames frames) {
    return ResponseDiff.digest(body) + (frames.readable() ? "" : "; not decoded: " + frames.problem());
  }
}
