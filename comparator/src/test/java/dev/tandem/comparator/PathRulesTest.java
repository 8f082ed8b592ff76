package dev.tandem.comparator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast paths of the comparator give the answers of the slow ones. */
class PathRulesTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(s, e);
    }
  }

  private static Rules rules(List<String> ignore, Map<String, Rules.Tolerance> tolerances, Map<String, String> keys,
                             List<String> caseInsensitive, Map<String, Rules.Matcher> matchers) {
    return new Rules(ignore.stream().map(PathPattern::of).toList(), Set.of(), Set.of(), map(tolerances),
        Rules.Tolerance.EXACT, List.of(PathPattern.of("/tags")), map(keys), true, Duration.ofMillis(1), false,
        caseInsensitive.stream().map(PathPattern::of).toList(), false, map(matchers), 50,
        Rules.DEFAULT_MAX_BODY_BYTES);
  }

  private static <V> Map<PathPattern, V> map(Map<String, V> in) {
    Map<PathPattern, V> out = new java.util.LinkedHashMap<>();
    in.forEach((k, v) -> out.put(PathPattern.of(k), v));
    return out;
  }

  private static final Rules ORDER_RULES = rules(List.of("/**/traceId", "/servedAt"),
      Map.of("/total", new Rules.Tolerance(0.01, 0)), Map.of("/items", "sku"), List.of("/status"), Map.of());

  private static List<String> lines(List<Difference> diffs) {
    return diffs.stream().map(d -> d.path() + " " + d.field() + " " + d.kind().label() + " " + d.primary() + " "
        + d.candidate()).toList();
  }

  @Test
  @DisplayName("rules still apply when their states are reused: an ignored path, a tolerance, case, a key field")
  void reusedStates() {
    String p = "{'status':'NEW','total':19.0,'traceId':'a','meta':{'traceId':'x'},'servedAt':'1',"
        + "'items':[{'sku':'A','q':1,'traceId':'p'},{'sku':'B','q':2}]}";
    String c = "{'status':'new','total':19.005,'traceId':'b','meta':{'traceId':'y'},'servedAt':'2',"
        + "'items':[{'sku':'B','q':2},{'sku':'A','q':1,'traceId':'q'}]}";
    for (int i = 0; i < 3; i++) {
      assertThat(JsonDiff.diff(json(p), json(c), ORDER_RULES)).as("run %d", i).isEmpty();
    }
    String far = c.replace("19.005", "19.5").replace("'q':1,", "'q':3,");
    for (int i = 0; i < 3; i++) {
      assertThat(lines(JsonDiff.diff(json(p), json(far), ORDER_RULES))).as("run %d", i).containsExactly(
          "/total /total value 19.0 19.5",
          "/items/0/q /items/*/q value 1 3");
    }
  }

  @Test
  @DisplayName("a rule set with more states than the bound keeps only the bound and still compares the same")
  void stateBound() {
    Rules many = rules(List.of("/a/b/c", "/**/x/y", "/a/*/z"), Map.of("/a/b/n", new Rules.Tolerance(1, 0)),
        Map.of("/a/list", "id"), List.of("/a/b/s"), Map.of());
    String p = "{'a':{'b':{'c':1,'n':10,'s':'Q','x':{'y':1}},'q':{'z':1},'list':[{'id':1,'v':1},{'id':2,'v':2}]}}";
    String c = "{'a':{'b':{'c':2,'n':10.5,'s':'q','x':{'y':2}},'q':{'z':2},'list':[{'id':2,'v':3},{'id':1,'v':1}]}}";
    PathRules full = PathRules.compile(many, PathRules.MAX_STATES);
    PathRules two = PathRules.compile(many, 2);
    assertThat(full.states()).isGreaterThan(2);
    assertThat(two.states()).isEqualTo(2);
    List<String> expected = lines(JsonDiff.diff(json(p), json(c), full));
    assertThat(expected).containsExactly("/a/list/1/v /a/list/*/v value 2 3");
    assertThat(lines(JsonDiff.diff(json(p), json(c), two))).isEqualTo(expected);
  }

  @Test
  @DisplayName("the table of compiled rule sets stays within its bound")
  void compiledBound() {
    for (int i = 0; i < PathRules.MAX_COMPILED + 10; i++) {
      Rules r = rules(List.of("/ignored" + i), Map.of(), Map.of(), List.of(), Map.of());
      assertThat(JsonDiff.diff(json("{'ignored" + i + "':1,'b':1}"), json("{'ignored" + i + "':2,'b':2}"), r))
          .extracting(Difference::path).containsExactly("/b");
      assertThat(PathRules.compiledCount()).isLessThanOrEqualTo(PathRules.MAX_COMPILED);
    }
  }

  private static Side side(String name, String body) {
    return new Side(name, 200, List.of(new java.util.AbstractMap.SimpleImmutableEntry<>("Content-Type",
        "application/json")), body.replace('\'', '"').getBytes(StandardCharsets.UTF_8), false, null, 1);
  }

  @Test
  @DisplayName("byte-identical bodies give what comparing their two parsed trees gives, with or without parsing")
  void identicalBodies() {
    Rules regex = rules(List.of(), Map.of(), Map.of(), List.of(),
        Map.of("/id", new Rules.Matcher(Pattern.compile("^[0-9]+$"))));
    String[][] cases = {
        {"{'id':'abc','total':1}", "matcher"},          // a regex fails on both sides alike
        {"{'items':[{'sku':'A','q':1},{'sku':'A','q':2}]}", "key"}, // two elements share a key
        {"{'items':[{'sku':'A','q':1}],'total':1.50,'tags':['b','a']}", "plain"},
        {"[1,2,{'a':null}]", "plain"},
        {"{'a':", "plain"},                             // not JSON on either side
        {"  ", "plain"},
        {"42", "plain"},
    };
    for (String[] k : cases) {
      Rules r = k[1].equals("matcher") ? regex : ORDER_RULES;
      for (Rules rules : List.of(r, Rules.DEFAULT)) {
        ResponseDiff.Result fast = ResponseDiff.compare(side("a", k[0]), side("b", k[0]), rules);
        JsonNode tree = parseOrNull(k[0]);
        List<Difference> slow = tree == null ? List.of()
            : JsonDiff.diff(tree, parseOrNull(k[0]), rules);
        assertThat(lines(fast.differences())).as(k[0]).isEqualTo(lines(slow));
        assertThat(fast.truncated()).isFalse();
      }
    }
    assertThat(ResponseDiff.compare(side("a", "{'id':'abc'}"), side("b", "{'id':'abc'}"), regex).differences())
        .extracting(Difference::kind).containsExactly(Difference.Kind.MATCHER);
  }

  private static JsonNode parseOrNull(String s) {
    try {
      return JSON.readTree(s.replace('\'', '"'));
    } catch (Exception e) {
      return null;
    }
  }

  @Test
  @DisplayName("values in differences are written as Jackson's toString writes them")
  void valueText() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    List<JsonNode> nodes = List.of(f.textNode("plain"), f.textNode("q\"b\\s/\n\t\r\b\f\u0001\u001f\u007f é ☃ 😀"),
        f.numberNode(19.0), f.numberNode(5.5), f.numberNode(1e300), f.numberNode(-0.0), f.numberNode(42),
        f.numberNode(Long.MAX_VALUE), f.numberNode(new java.math.BigInteger("123456789012345678901234567890")),
        f.numberNode(Double.NaN), f.numberNode(new java.math.BigDecimal("1.50")), f.booleanNode(true),
        f.nullNode(), json("{'a':[1,'x']}"), json("1.0E7"));
    for (JsonNode n : nodes) {
      assertThat(JsonDiff.json(n)).isEqualTo(n.toString());
    }
  }

  @Test
  @DisplayName("timestamps read by hand are the instants the formatter reads, and the rest is left to it")
  void timestamps() {
    for (String s : List.of("2026-11-02T10:00:00Z", "2026-11-02T11:00:00+01:00", "2026-11-02T05:30:00-04:30",
        "2024-02-29T23:59:59.999999999Z", "1969-12-31T23:59:59.5Z", "2026-11-02T10:00:00.1+00:00",
        "0001-01-01T00:00:00Z")) {
      assertThat(JsonDiff.rfc3339(s)).as(s)
          .isEqualTo(OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
    }
    for (String s : List.of("2026-02-29T10:00:00Z", "2026-11-02T24:00:00Z", "2026-11-02T10:00:60Z",
        "2026-11-02T10:00:00.Z", "2026-11-02T10:00:00z", "2026-11-02T10:00:00+0100", "2026-11-02T10:00:00+18:00",
        "2026-11-02T10:00:00.1234567890Z", "2026-13-02T10:00:00Z", "2026-11-02T10:00Z")) {
      assertThat(JsonDiff.rfc3339(s)).as(s).isNull();
    }
    assertThat(JsonDiff.instant("2026-11-02T10:00:00+18:00"))
        .isEqualTo(OffsetDateTime.parse("2026-11-02T10:00:00+18:00").toInstant());
    assertThat(JsonDiff.instant("2026-02-29T10:00:00Z")).isNull();
  }
}
