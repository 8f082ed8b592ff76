package dev.tandem.idempotency;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.pointer.JsonPointer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Derives an idempotency key from a request by a template of fields and literal text, for clients that do not
 * send their own {@code Idempotency-Key} (which always wins). Fields:
 * <ul>
 *   <li>{@code {method}}, {@code {path}}</li>
 *   <li>{@code {header:X-User-Id}} — a request header</li>
 *   <li>{@code {json:/order/customerId}} — a JSON Pointer into the request body</li>
 *   <li>{@code {bodyHash}} — SHA-256 of the body</li>
 *   <li>{@code {timeBucket:1m}} — the arrival time rounded down to the bucket, in epoch seconds</li>
 * </ul>
 * The strategy {@code user_id:operation_type:timestamp} is {@code {header:X-User-Id}:{method} {path}:{timeBucket:1m}}.
 * A key longer than {@value #MAX_PLAIN_LENGTH} characters is replaced by its SHA-256, so keys stay bounded.
 */
public final class KeyStrategy {

  /** The default: the same request body to the same place within a minute is the same write. */
  public static final String DEFAULT_TEMPLATE = "{method} {path}:{bodyHash}:{timeBucket:1m}";
  static final int MAX_PLAIN_LENGTH = 200;
  private static final Pattern FIELD = Pattern.compile("\\{([a-zA-Z]+)(?::([^}]*))?}");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  private final String template;
  private final List<Function<KeyInput, String>> parts;

  private KeyStrategy(String template, List<Function<KeyInput, String>> parts) {
    this.template = template;
    this.parts = List.copyOf(parts);
  }

  /**
   * The strategy a template describes.
   *
   * @throws IllegalArgumentException with a message naming the faulty field, for the configuration loader to report
   */
  public static KeyStrategy parse(String template) {
    List<Function<KeyInput, String>> parts = new ArrayList<>();
    Matcher m = FIELD.matcher(template);
    int last = 0;
    boolean anyField = false;
    while (m.find()) {
      String literal = template.substring(last, m.start());
      if (!literal.isEmpty()) {
        parts.add(in -> literal);
      }
      parts.add(field(m.group(1), m.group(2)));
      anyField = true;
      last = m.end();
    }
    String tail = template.substring(last);
    if (tail.contains("{") || tail.contains("}")) {
      throw new IllegalArgumentException("unbalanced '{' or '}' in '" + template + "'");
    }
    if (!tail.isEmpty()) {
      parts.add(in -> tail);
    }
    if (!anyField) {
      throw new IllegalArgumentException("'" + template + "' has no field: every request would get the same key");
    }
    return new KeyStrategy(template, parts);
  }

  private static Function<KeyInput, String> field(String name, String arg) {
    switch (name) {
      case "method":
        return KeyInput::method;
      case "path":
        return KeyInput::path;
      case "bodyHash":
        return in -> sha256(in.body().getBytes());
      case "header":
        requireArg(name, arg, "a header name, e.g. {header:X-User-Id}");
        return in -> {
          String v = in.headers().get(arg);
          return v == null ? "" : v;
        };
      case "json":
        requireArg(name, arg, "a JSON Pointer, e.g. {json:/customerId}");
        JsonPointer pointer;
        try {
          pointer = JsonPointer.from(arg);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("{json:" + arg + "}: not a JSON Pointer (" + e.getMessage() + ")");
        }
        return in -> jsonField(pointer, in.body());
      case "timeBucket":
        requireArg(name, arg, "a bucket size, e.g. {timeBucket:1m}");
        long bucketMillis = bucketMillis(arg);
        return in -> Long.toString(in.time().toEpochMilli() / bucketMillis * bucketMillis / 1000);
      default:
        throw new IllegalArgumentException("unknown field {" + name + "}; known: {method}, {path}, {header:NAME},"
            + " {json:/pointer}, {bodyHash}, {timeBucket:DURATION}");
    }
  }

  private static void requireArg(String name, String arg, String what) {
    if (arg == null || arg.isBlank()) {
      throw new IllegalArgumentException("{" + name + "} needs " + what);
    }
  }

  private static long bucketMillis(String arg) {
    Matcher d = DURATION.matcher(arg.trim());
    if (!d.matches() || Long.parseLong(d.group(1)) == 0) {
      throw new IllegalArgumentException("{timeBucket:" + arg + "}: the bucket must be a duration such as 30s or 5m");
    }
    long n = Long.parseLong(d.group(1));
    return switch (d.group(2)) {
      case "ms" -> n;
      case "s" -> Duration.ofSeconds(n).toMillis();
      case "m" -> Duration.ofMinutes(n).toMillis();
      default -> Duration.ofHours(n).toMillis();
    };
  }

  private static String jsonField(JsonPointer pointer, Buffer body) {
    if (body.length() == 0) {
      return "";
    }
    try {
      Object value = pointer.queryJson(Json.decodeValue(body));
      return value == null ? "" : value.toString();
    } catch (DecodeException e) {
      return "";
    }
  }

  /** The key for one request: the client's own {@code Idempotency-Key} when it sent one, else the template's. */
  public String keyFor(KeyInput in) {
    String own = in.headers().get("Idempotency-Key");
    if (own != null && !own.isBlank()) {
      return bounded(own.trim());
    }
    StringBuilder key = new StringBuilder();
    for (Function<KeyInput, String> p : parts) {
      key.append(p.apply(in));
    }
    return bounded(key.toString());
  }

  public String template() {
    return template;
  }

  private static String bounded(String key) {
    return key.length() <= MAX_PLAIN_LENGTH ? key : "sha256:" + sha256(key.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
