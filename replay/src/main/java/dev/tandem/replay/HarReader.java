package dev.tandem.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads HAR 1.2 files (as browsers and proxies export them): entries in {@code startedDateTime} order, HTTP/2
 * pseudo-headers ({@code :authority}, {@code :path}…) dropped, {@code Host} taken from the URL and
 * {@code Content-Length} recomputed from the body, form {@code params} encoded when there is no {@code text}, the
 * request's {@code httpVersion} kept as the exchange's protocol. HAR has no field for trailers.
 */
public final class HarReader {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HarReader() {
  }

  /** Every entry of the file, in time order; a HAR file is one JSON document, so it is read whole. */
  static List<CapturedExchange> readAll(String file, InputStream in, boolean skipInvalid,
                                        java.util.function.Consumer<String> problems)
      throws IOException, CaptureException {
    JsonNode root;
    try {
      root = JSON.readTree(in);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      var loc = e.getLocation();
      throw new CaptureException(file + (loc == null ? "" : ":" + loc.getLineNr()), "not valid JSON: "
          + e.getOriginalMessage());
    }
    JsonNode entries = root == null ? null : root.path("log").path("entries");
    if (entries == null || !entries.isArray()) {
      throw new CaptureException(file, "not a HAR file: no log.entries list");
    }
    List<CapturedExchange> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      try {
        out.add(entry(file, i, entries.get(i)));
      } catch (IllegalArgumentException e) {
        String where = file + " entry " + i;
        if (!skipInvalid) {
          throw new CaptureException(where, e.getMessage());
        }
        problems.accept(where + ": " + e.getMessage());
      }
    }
    out.sort(Comparator.comparingLong(CapturedExchange::timeNanos));
    return out;
  }

  private static CapturedExchange entry(String file, int index, JsonNode e) {
    JsonNode req = e.path("request");
    String method = req.path("method").asText(null);
    String url = req.path("url").asText(null);
    if (method == null || url == null) {
      throw new IllegalArgumentException("request.method and request.url are required");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException x) {
      throw new IllegalArgumentException("request.url is not a URL: " + url);
    }
    long time;
    try {
      var t = OffsetDateTime.parse(e.path("startedDateTime").asText("")).toInstant();
      time = t.getEpochSecond() * 1_000_000_000L + t.getNano();
    } catch (DateTimeParseException x) {
      throw new IllegalArgumentException("startedDateTime is not an ISO date-time: '"
          + e.path("startedDateTime").asText("") + "'");
    }
    byte[] body = body(req.path("postData"));
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    String authority = uri.getRawAuthority();
    if (authority != null) {
      headers.add(new AbstractMap.SimpleImmutableEntry<>("Host", authority));
    }
    for (JsonNode h : req.path("headers")) {
      String name = h.path("name").asText("");
      String lower = name.toLowerCase(Locale.ROOT);
      if (name.isEmpty() || name.startsWith(":") || lower.equals("host") || lower.equals("content-length")
          || lower.equals("transfer-encoding") || lower.equals("connection")) {
        continue; // HTTP/2 pseudo-headers and framing: recomputed when sent
      }
      headers.add(new AbstractMap.SimpleImmutableEntry<>(name, h.path("value").asText("")));
    }
    if (body.length > 0) {
      headers.add(new AbstractMap.SimpleImmutableEntry<>("Content-Length", Integer.toString(body.length)));
      if (req.path("postData").has("mimeType") && headers.stream().noneMatch(h -> h.getKey()
          .equalsIgnoreCase("Content-Type"))) {
        headers.add(new AbstractMap.SimpleImmutableEntry<>("Content-Type", req.path("postData").path("mimeType")
            .asText()));
      }
    }
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    CapturedExchange.Response response = null;
    JsonNode resp = e.path("response");
    if (resp.has("status") && resp.path("status").asInt() > 0) {
      List<Map.Entry<String, String>> rh = new ArrayList<>();
      for (JsonNode h : resp.path("headers")) {
        String name = h.path("name").asText("");
        if (!name.isEmpty() && !name.startsWith(":")) {
          rh.add(new AbstractMap.SimpleImmutableEntry<>(name, h.path("value").asText("")));
        }
      }
      JsonNode content = resp.path("content");
      String text = content.path("text").asText("");
      byte[] rb = "base64".equals(content.path("encoding").asText()) ? Base64.getDecoder().decode(text)
          : text.getBytes(StandardCharsets.UTF_8);
      long latency = (long) (e.path("time").asDouble(0) * 1_000_000);
      response = new CapturedExchange.Response(resp.path("status").asInt(), rh, rb, latency);
    }
    return new CapturedExchange(file + " entry " + index, Integer.toString(index), time, method.toUpperCase(Locale.ROOT),
        path, headers, body, response, protocol(req.path("httpVersion").asText("")));
  }

  /**
   * A request's {@code httpVersion} as the protocol replay goes by: browsers write HTTP/2 as {@code h2},
   * {@code HTTP/2} or {@code http/2.0}; {@code HTTP/1.0} stays; anything else (absent, {@code h3}) is HTTP/1.1.
   */
  static String protocol(String httpVersion) {
    String v = httpVersion.trim().toLowerCase(Locale.ROOT);
    if (v.equals("h2") || v.equals("h2c") || v.equals("http/2") || v.equals("http/2.0")) {
      return CaptureRecord.HTTP_2;
    }
    return v.equals("http/1.0") ? "HTTP/1.0" : "HTTP/1.1";
  }

  private static byte[] body(JsonNode postData) {
    if (postData.isMissingNode() || postData.isNull()) {
      return new byte[0];
    }
    if (postData.has("text")) {
      String text = postData.path("text").asText("");
      return "base64".equals(postData.path("encoding").asText()) ? Base64.getDecoder().decode(text)
          : text.getBytes(StandardCharsets.UTF_8);
    }
    StringBuilder form = new StringBuilder();
    for (JsonNode p : postData.path("params")) {
      if (form.length() > 0) {
        form.append('&');
      }
      form.append(URLEncoder.encode(p.path("name").asText(""), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(p.path("value").asText(""), StandardCharsets.UTF_8));
    }
    return form.toString().getBytes(StandardCharsets.UTF_8);
  }
}
