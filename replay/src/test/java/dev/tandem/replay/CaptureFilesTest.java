package dev.tandem.replay;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CaptureFilesTest {

  private static final String SEP = new String(GorReader.SEPARATOR, StandardCharsets.UTF_8);
  private static final int MAX = 1 << 20;

  @TempDir
  Path dir;

  private Path write(String name, byte[] content) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  private Path write(String name, String content) throws Exception {
    return write(name, content.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] gzip(byte[] b) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(b);
    }
    return out.toByteArray();
  }

  private static List<CapturedExchange> read(Path... files) throws Exception {
    return CaptureFiles.read(List.of(files), MAX, false, new ArrayList<>());
  }

  @Test
  @DisplayName(".gor: requests with their original responses, binary and non-ASCII bodies, a body holding the"
      + " separator's bytes, chunked and HTTP/1.0, the old 3-field header, and a last record without separator")
  void gor() throws Exception {
    byte[] binary = {0, (byte) 0xff, 1, 2};
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    String json = "{\"name\":\"Zoë 🐵\"}";
    f.writeBytes(("1 a1 1000000000 0\nPOST /orders?x=1 HTTP/1.1\r\nHost: shop\r\nContent-Length: "
        + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json).getBytes(StandardCharsets.UTF_8));
    f.writeBytes(GorReader.SEPARATOR);
    f.writeBytes("2 a1 1000000500 3000000\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
        .getBytes(StandardCharsets.UTF_8));
    f.writeBytes(GorReader.SEPARATOR);
    f.writeBytes("1 b2 2000000000\nPUT /blob HTTP/1.0\r\nContent-Length: 4\r\n\r\n".getBytes(StandardCharsets.UTF_8));
    f.writeBytes(binary);
    f.writeBytes(GorReader.SEPARATOR);
    f.writeBytes(("1 c3 3000000000 0\nPOST /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    f.writeBytes(GorReader.SEPARATOR);
    f.writeBytes(("1 d4 4000000000 0\nGET /monkeys HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    List<CapturedExchange> all = read(write("t.gor", f.toByteArray()));
    assertThat(all).extracting(CapturedExchange::id).containsExactly("a1", "b2", "c3", "d4");
    CapturedExchange post = all.get(0);
    assertThat(post.method()).isEqualTo("POST");
    assertThat(post.uri()).isEqualTo("/orders?x=1");
    assertThat(new String(post.body(), StandardCharsets.UTF_8)).isEqualTo("{\"name\":\"Zoë 🐵\"}");
    assertThat(post.response().status()).isEqualTo(201);
    assertThat(post.response().latencyNanos()).isEqualTo(3_000_000);
    assertThat(all.get(1).body()).isEqualTo(binary);
    assertThat(all.get(1).response()).isNull();
    assertThat(new String(all.get(2).body(), StandardCharsets.UTF_8)).isEqualTo("hello world");
    assertThat(all.get(3).timeNanos()).isEqualTo(4_000_000_000L);
  }

  @Test
  @DisplayName("a body that contains the whole separator, newlines included, is read whole by its Content-Length;"
      + " gzip files are read the same")
  void separatorInBodyAndGzip() throws Exception {
    String body = "before" + SEP + "after";
    int length = body.getBytes(StandardCharsets.UTF_8).length;
    String gor = "1 a 1 0\nPOST / HTTP/1.1\r\nContent-Length: " + length + "\r\n\r\n" + body + SEP
        + "1 b 2 0\nGET /two HTTP/1.1\r\n\r\n" + SEP;
    List<CapturedExchange> all = read(write("t.gor.gz", gzip(gor.getBytes(StandardCharsets.UTF_8))));
    assertThat(all).hasSize(2);
    assertThat(new String(all.get(0).body(), StandardCharsets.UTF_8)).isEqualTo(body);
  }

  @Test
  @DisplayName("HAR: entries by startedDateTime, HTTP/2 pseudo-headers dropped, Host and Content-Length recomputed,"
      + " a POST with params, the recorded response")
  void har() throws Exception {
    String har = """
        {"log":{"version":"1.2","entries":[
          {"startedDateTime":"2026-11-22T10:00:02.000Z","time":12.5,
           "request":{"method":"POST","url":"https://shop.example.com/login?next=%2Fhome","httpVersion":"h2",
             "headers":[{"name":":authority","value":"shop.example.com"},{"name":":path","value":"/login"},
                        {"name":"content-length","value":"999"},{"name":"accept","value":"*/*"}],
             "postData":{"mimeType":"application/x-www-form-urlencoded",
                         "params":[{"name":"user","value":"zoë"},{"name":"pw","value":"a&b"}]}},
           "response":{"status":302,"headers":[{"name":"location","value":"/home"}],"content":{"text":""}}},
          {"startedDateTime":"2026-11-22T10:00:01.000Z",
           "request":{"method":"get","url":"https://shop.example.com/","headers":[]},
           "response":{"status":200,"headers":[],"content":{"text":"aGk=","encoding":"base64"}}}
        ]}}""";
    List<CapturedExchange> all = read(write("t.har", har));
    assertThat(all).extracting(CapturedExchange::method).containsExactly("GET", "POST");
    CapturedExchange post = all.get(1);
    assertThat(post.uri()).isEqualTo("/login?next=%2Fhome");
    assertThat(new String(post.body(), StandardCharsets.UTF_8)).isEqualTo("user=zo%C3%AB&pw=a%26b");
    assertThat(post.headers()).extracting(h -> h.getKey() + ": " + h.getValue()).containsExactly(
        "Host: shop.example.com", "accept: */*", "Content-Length: 22",
        "Content-Type: application/x-www-form-urlencoded");
    assertThat(post.response().status()).isEqualTo(302);
    assertThat(all.get(0).response().body()).isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("HAR: a request's httpVersion is its protocol: h2, HTTP/2 and http/2.0 are HTTP/2; HTTP/1.0 stays;"
      + " HTTP/1.1 and a missing one are HTTP/1.1")
  void harHttpVersion() throws Exception {
    StringBuilder entries = new StringBuilder();
    String[] versions = {"HTTP/2", "h2", "http/2.0", "HTTP/1.0", "HTTP/1.1", null};
    for (int i = 0; i < versions.length; i++) {
      entries.append(i == 0 ? "" : ",").append("{\"startedDateTime\":\"2026-11-22T10:00:0").append(i)
          .append(".000Z\",\"request\":{\"method\":\"POST\",\"url\":\"https://api.example.com/shop.Orders/Get\",")
          .append(versions[i] == null ? "" : "\"httpVersion\":\"" + versions[i] + "\",")
          .append("\"headers\":[{\"name\":\"content-type\",\"value\":\"application/grpc\"}]}}");
    }
    List<CapturedExchange> all = read(write("v.har", "{\"log\":{\"entries\":[" + entries + "]}}"));
    assertThat(all).extracting(CapturedExchange::protocol).containsExactly("HTTP/2", "HTTP/2", "HTTP/2",
        "HTTP/1.0", "HTTP/1.1", "HTTP/1.1");
    assertThat(all.get(0).http2()).isTrue();
  }

  @Test
  @DisplayName("several files are merged by timestamp")
  void merged() throws Exception {
    Path a = write("a.gor", "1 a 3000000000 0\nGET /a HTTP/1.1\r\n\r\n" + SEP + "1 c 9000000000 0\nGET /c HTTP/1.1\r\n\r\n");
    Path b = write("b.har", """
        {"log":{"entries":[{"startedDateTime":"1970-01-01T00:00:05Z",
          "request":{"method":"GET","url":"http://h/b","headers":[]},"response":{"status":0}}]}}""");
    assertThat(read(a, b)).extracting(CapturedExchange::uri).containsExactly("/a", "/b", "/c");
  }

  @Test
  @DisplayName("bad files are named with the place and the reason; --skip-invalid counts and goes on")
  void badFiles() throws Exception {
    assertThatThrownBy(() -> read(write("empty.gor", ""))).hasMessage(dir.resolve("empty.gor") + ": the file is empty");
    assertThatThrownBy(() -> read(dir.resolve("missing.gor"))).hasMessageEndingWith("missing.gor: no such file");
    assertThatThrownBy(() -> read(write("x.txt", "hello world"))).hasMessageContaining("unknown format");
    byte[] gz = gzip(("1 a 1 0\nGET / HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> read(write("cut.gor.gz", java.util.Arrays.copyOf(gz, gz.length - 6))))
        .hasMessageContaining("gzip data is damaged or cut short");
    assertThatThrownBy(() -> read(write("bad.har", "{\"log\": [1, 2"))).hasMessageContaining("bad.har:1: not valid JSON");
    String gor = "1 a 1 0\nGET /ok HTTP/1.1\r\n\r\n" + SEP + "1 b x 0\nGET /bad HTTP/1.1\r\n\r\n" + SEP
        + "1 c 3 0\nGET /ok2 HTTP/1.1\r\n\r\n";
    Path mixed = write("mixed.gor", gor);
    int badOffset = gor.substring(0, gor.indexOf("1 b")).getBytes(StandardCharsets.UTF_8).length; // a byte offset
    assertThatThrownBy(() -> read(mixed)).hasMessageStartingWith(mixed + "@" + badOffset + ": timestamp and latency");
    List<String> problems = new ArrayList<>();
    assertThat(CaptureFiles.read(List.of(mixed), MAX, true, problems)).extracting(CapturedExchange::uri)
        .containsExactly("/ok", "/ok2");
    assertThat(problems).hasSize(1);
    assertThatThrownBy(() -> CaptureFiles.read(List.of(write("big.gor", "1 a 1 0\nPOST / HTTP/1.1\r\n\r\n"
        + "x".repeat(5000))), 1000, false, new ArrayList<>())).hasMessageContaining("record longer than 1000 bytes");
  }

  @Test
  @DisplayName(".gor without responses is streamed: a request is handed out once 1,000 records have gone by, not"
      + " at the end of the file")
  void gorWithoutResponsesIsStreamed() throws Exception {
    StringBuilder gor = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      gor.append("1 r").append(i).append(' ').append(1_000_000L + i).append(" 0\nGET /orders/").append(i)
          .append(" HTTP/1.1\r\nHost: shop\r\n\r\n").append(SEP);
    }
    byte[] bytes = gor.toString().getBytes(StandardCharsets.UTF_8);
    long[] read = {0};
    java.io.InputStream counting = new java.io.FilterInputStream(new java.io.ByteArrayInputStream(bytes)) {
      @Override
      public int read(byte[] b, int off, int len) throws java.io.IOException {
        int n = super.read(b, off, len);
        read[0] += Math.max(0, n);
        return n;
      }
    };
    try (GorReader r = new GorReader("t.gor", counting, MAX, false, p -> { })) {
      assertThat(r.next().id()).isEqualTo("r0");
      assertThat(read[0]).as("bytes read for the first request").isLessThan(bytes.length / 5);
      int n = 1;
      while (r.next() != null) {
        n++;
      }
      assertThat(n).isEqualTo(20_000);
    }
  }

  @Test
  @DisplayName("a request whose body is cut short does not swallow the records after it: it alone is invalid")
  void shortBodyStaysAlone() throws Exception {
    String gor = "1 a 1 0\nPOST /cut HTTP/1.1\r\nContent-Length: 1000\r\n\r\nonly ten b" + SEP
        + "2 a 2 100\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" + SEP
        + "1 b 3 0\nGET /next HTTP/1.1\r\n\r\n" + SEP;
    List<String> problems = new ArrayList<>();
    assertThat(CaptureFiles.read(List.of(write("short.gor", gor)), MAX, true, problems))
        .extracting(CapturedExchange::uri).containsExactly("/next");
    assertThat(problems).singleElement().asString().contains("short.gor@0", "body shorter than its Content-Length");
  }

  @Test
  @DisplayName("a capture cut short (a crash while writing) keeps what came before with --skip-invalid, and names"
      + " the cut; concatenated captures (cat a.gz b.gz) read as one")
  void cutAndConcatenatedCaptures() throws Exception {
    java.time.Instant t = java.time.Instant.parse("2026-12-01T10:00:00Z");
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    plain.writeBytes(TandemFormat.headerLine(t, "test"));
    for (int i = 0; i < 200; i++) {
      plain.writeBytes(TandemFormat.encode(TandemFormatTest.record("r" + i, t.plusMillis(i), "GET", "/o/" + i,
          new byte[0])));
    }
    byte[] gz = gzip(plain.toByteArray());
    Path cut = write("cut.jsonl.gz", java.util.Arrays.copyOf(gz, gz.length * 2 / 3));
    assertThatThrownBy(() -> read(cut)).hasMessageContaining("gzip data is damaged or cut short");
    List<String> problems = new ArrayList<>();
    List<CapturedExchange> kept = CaptureFiles.read(List.of(cut), MAX, true, problems);
    assertThat(kept).isNotEmpty().hasSizeLessThan(200);
    assertThat(kept.get(0).id()).isEqualTo("r0");
    assertThat(problems).singleElement().asString().contains("cut.jsonl.gz:", "cut short", "what came before");

    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.writeBytes(gz);
    both.writeBytes(gz);
    assertThat(read(write("both.jsonl.gz", both.toByteArray()))).hasSize(400);
  }

  @Test
  @DisplayName("records written out of time order (a slow shadow holds a capture back) are read in time order")
  void reordersWithinAWindow() throws Exception {
    java.time.Instant t = java.time.Instant.parse("2026-12-01T10:00:00Z");
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.writeBytes(TandemFormat.headerLine(t, "test"));
    for (int ms : new int[] {0, 20, 10, 500, 30, 40}) {
      f.writeBytes(TandemFormat.encode(TandemFormatTest.record("r" + ms, t.plusMillis(ms), "GET", "/" + ms,
          new byte[0])));
    }
    assertThat(read(write("late.jsonl", f.toByteArray()))).extracting(CapturedExchange::id)
        .containsExactly("r0", "r10", "r20", "r30", "r40", "r500");
  }
}
