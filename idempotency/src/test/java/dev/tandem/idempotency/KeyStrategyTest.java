package dev.tandem.idempotency;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyStrategyTest {

  private static final Instant T = Instant.parse("2026-11-22T10:15:42Z");

  private static KeyInput post(String path, String body, String... headers) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < headers.length; i += 2) {
      h.add(headers[i], headers[i + 1]);
    }
    return new KeyInput("POST", path, h, Buffer.buffer(body), T);
  }

  @Test
  @DisplayName("the client's own Idempotency-Key wins over any template")
  void clientKeyWins() {
    KeyStrategy s = KeyStrategy.parse(KeyStrategy.DEFAULT_TEMPLATE);
    assertThat(s.keyFor(post("/orders", "{}", "Idempotency-Key", " abc-123 "))).isEqualTo("abc-123");
  }

  @Test
  @DisplayName("user_id:operation_type:timestamp is expressible with a header, the method and path, and a time bucket")
  void userOperationTimestamp() {
    KeyStrategy s = KeyStrategy.parse("{header:X-User-Id}:{method} {path}:{timeBucket:1m}");
    assertThat(s.keyFor(post("/orders", "{}", "X-User-Id", "u-42")))
        .isEqualTo("u-42:POST /orders:" + Instant.parse("2026-11-22T10:15:00Z").getEpochSecond());
  }

  @Test
  @DisplayName("a time bucket gives the same key within the bucket and a new one after it")
  void timeBucket() {
    KeyStrategy s = KeyStrategy.parse("{path}:{timeBucket:30s}");
    MultiMap none = MultiMap.caseInsensitiveMultiMap();
    String a = s.keyFor(new KeyInput("POST", "/x", none, Buffer.buffer(), Instant.parse("2026-11-22T10:15:30Z")));
    String b = s.keyFor(new KeyInput("POST", "/x", none, Buffer.buffer(), Instant.parse("2026-11-22T10:15:59.999Z")));
    String c = s.keyFor(new KeyInput("POST", "/x", none, Buffer.buffer(), Instant.parse("2026-11-22T10:16:00Z")));
    assertThat(a).isEqualTo(b).isNotEqualTo(c);
  }

  @Test
  @DisplayName("a JSON body field and the body hash take part; the same request gives the same key")
  void bodyFields() {
    KeyStrategy s = KeyStrategy.parse("{json:/order/customer}:{bodyHash}");
    String body = "{\"order\":{\"customer\":\"acme\",\"total\":12}}";
    String key = s.keyFor(post("/orders", body));
    assertThat(key).startsWith("acme:").hasSize("acme:".length() + 64);
    assertThat(s.keyFor(post("/orders", body))).isEqualTo(key);
    assertThat(s.keyFor(post("/orders", body.replace("12", "13")))).isNotEqualTo(key);
    assertThat(s.keyFor(post("/orders", "not json"))).startsWith(":");
  }

  @Test
  @DisplayName("very long keys are replaced by their hash, so stored keys stay bounded")
  void longKeys() {
    KeyStrategy s = KeyStrategy.parse("{header:X-Long}");
    String key = s.keyFor(post("/x", "", "X-Long", "y".repeat(5000)));
    assertThat(key).startsWith("sha256:").hasSize(7 + 64);
  }

  @Test
  @DisplayName("a bad template is rejected with a message naming the field")
  void badTemplates() {
    assertThatThrownBy(() -> KeyStrategy.parse("{user}")).hasMessageContaining("unknown field {user}");
    assertThatThrownBy(() -> KeyStrategy.parse("{header}")).hasMessageContaining("{header} needs a header name");
    assertThatThrownBy(() -> KeyStrategy.parse("{timeBucket:soon}")).hasMessageContaining("{timeBucket:soon}");
    assertThatThrownBy(() -> KeyStrategy.parse("constant")).hasMessageContaining("has no field");
    assertThatThrownBy(() -> KeyStrategy.parse("{path}:{oops")).hasMessageContaining("unbalanced");
    assertThatThrownBy(() -> KeyStrategy.parse("{json:no-slash}")).hasMessageContaining("not a JSON Pointer");
  }
}
