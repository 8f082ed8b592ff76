package dev.tandem.comparator;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class ResponseDiffTest {

  static Map.Entry<String, String> h(String name, String value) {
    return new AbstractMap.SimpleImmutableEntry<>(name, value);
  }

  static Side side(String name, int status, String body, List<Map.Entry<String, String>> headers) {
    return new Side(name, status, headers, body.getBytes(StandardCharsets.UTF_8), false, null, 1_000_000);
  }

  static Side json(String name, String body) {
    return side(name, 200, body, List.of(h("Content-Type", "application/json")));
  }

  private static List<String> paths(ResponseDiff.Result r) {
    return r.differences().stream().map(d -> d.path() + " " + d.kind().label()).toList();
  }

  @Test
  @DisplayName("status and headers: volatile ones (Date, Server, X-Request-Id, Set-Cookie values) ignored by default")
  void statusAndHeaders() {
    Side p = side("legacy", 200, "", List.of(h("Date", "a"), h("Server", "old"), h("X-Request-Id", "1"),
        h("Set-Cookie", "s=1; Path=/"), h("Cache-Control", "no-store"), h("Content-Type", "text/plain")));
    Side c = side("candidate", 201, "", List.of(h("Date", "b"), h("Server", "new"), h("X-Request-Id", "2"),
        h("Set-Cookie", "s=2; Path=/"), h("Cache-Control", "max-age=60"), h("Content-Type", "text/plain"),
        h("X-New", "1")));
    assertThat(paths(ResponseDiff.compare(p, c, Rules.DEFAULT)))
        .containsExactly("status value", "header:cache-control value", "header:x-new extra");
    Rules ignoring = Rules.DEFAULT.and(new Rules(List.of(), java.util.Set.of("Cache-Control", "X-New"),
        java.util.Set.of("Server"), Map.of(), Rules.Tolerance.EXACT, List.of(), Map.of(), true,
        java.time.Duration.ofMillis(1), false, List.of(), false, Map.of(), 50, Rules.DEFAULT_MAX_BODY_BYTES));
    assertThat(paths(ResponseDiff.compare(p, c, ignoring))).containsExactly("status value", "header:server value");
  }

  @Test
  @DisplayName("gzip is decoded before comparing; text line by line; binary by length and hash")
  void encodingsTextBinary() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    }
    Side zipped = new Side("candidate", 200, List.of(h("Content-Type", "application/json"),
        h("Content-Encoding", "gzip")), gz.toByteArray(), false, null, 1);
    assertThat(ResponseDiff.compare(json("legacy", "{\"a\":1.0}"), zipped, Rules.DEFAULT).matches()).isTrue();

    Side html1 = side("legacy", 200, "<p>\nhello\n</p>\n", List.of(h("Content-Type", "text/html")));
    Side html2 = side("candidate", 200, "<p>\nhallo\n</p>\n", List.of(h("Content-Type", "text/html")));
    var text = ResponseDiff.compare(html1, html2, Rules.DEFAULT).differences();
    assertThat(text).hasSize(1);
    assertThat(text.get(0).path()).isEqualTo("line:2");
    assertThat(text.get(0).primary()).isEqualTo("hello");
    assertThat(text.get(0).candidate()).isEqualTo("hallo");

    Side bin1 = new Side("legacy", 200, List.of(h("Content-Type", "image/png")), new byte[] {1, 2, 3}, false, null, 1);
    Side bin2 = new Side("candidate", 200, List.of(h("Content-Type", "image/png")), new byte[] {1, 2}, false, null, 1);
    assertThat(paths(ResponseDiff.compare(bin1, bin2, Rules.DEFAULT))).containsExactly("body binary");
    assertThat(ResponseDiff.compare(bin1, bin2, Rules.DEFAULT).differences().get(0).primary()).startsWith("3 bytes");
  }

  @Test
  @DisplayName("invalid JSON on one side is a difference, not an error")
  void invalidJson() {
    var r = ResponseDiff.compare(json("legacy", "{\"a\":1}"), json("candidate", "{\"a\":"), Rules.DEFAULT);
    assertThat(paths(r)).containsExactly("body invalid");
    assertThat(r.differences().get(0).candidate()).isEqualTo("not JSON");
  }

  @Test
  @DisplayName("a body over the limit is compared up to it and reported as truncated")
  void truncated() {
    Rules small = Rules.DEFAULT.and(new Rules(List.of(), java.util.Set.of(), java.util.Set.of(), Map.of(),
        Rules.Tolerance.EXACT, List.of(), Map.of(), true, java.time.Duration.ofMillis(1), false, List.of(), false,
        Map.of(), 50, 8));
    Side a = side("legacy", 200, "same-prefix-A", List.of(h("Content-Type", "text/plain")));
    Side b = side("candidate", 200, "same-prefix-B", List.of(h("Content-Type", "text/plain")));
    var r = ResponseDiff.compare(a, b, small);
    assertThat(r.truncated()).isTrue();
    assertThat(r.matches()).as("equal up to 8 bytes").isTrue();
  }
}
