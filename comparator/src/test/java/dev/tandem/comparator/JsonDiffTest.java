package dev.tandem.comparator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class JsonDiffTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(s, e);
    }
  }

  private static List<String> diff(String p, String c, Rules rules) {
    return JsonDiff.diff(json(p), json(c), rules).stream()
        .map(d -> d.path() + " " + d.kind().label() + " " + d.primary() + " " + d.candidate()).toList();
  }

  private static List<String> diff(String p, String c) {
    return diff(p, c, Rules.DEFAULT);
  }

  /** Rules.DEFAULT with some fields replaced. */
  private static Rules rules(List<String> ignore, Map<String, Rules.Tolerance> tolerances, List<String> unordered,
                             Map<String, String> keys, boolean nullEqualsMissing, List<String> caseInsensitive,
                             boolean trim, Map<String, Rules.Matcher> matchers, Duration precision) {
    Rules d = Rules.DEFAULT;
    return new Rules(ignore.stream().map(PathPattern::of).toList(), Set.of(), Set.of(),
        map(tolerances), d.defaultTolerance(), unordered.stream().map(PathPattern::of).toList(), map(keys),
        true, precision, nullEqualsMissing, caseInsensitive.stream().map(PathPattern::of).toList(), trim,
        map(matchers), d.mapKeyThreshold(), d.maxBodyBytes());
  }

  private static <V> Map<PathPattern, V> map(Map<String, V> in) {
    Map<PathPattern, V> out = new java.util.LinkedHashMap<>();
    in.forEach((k, v) -> out.put(PathPattern.of(k), v));
    return out;
  }

  @Test
  @DisplayName("every kind of difference, with its JSON Pointer")
  void kinds() {
    assertThat(diff("{'a':1,'b':'x','c':true,'d':[1,2],'e':{'f':1},'g':1}",
        "{'a':2,'b':1,'c':true,'d':[1,2,3],'e':{},'h':null}")).containsExactly(
        "/a value 1 2",
        "/b type \"x\" 1",
        "/d array_length 2 3",
        "/e/f missing 1 null",
        "/g missing 1 null",
        "/h extra null null");
    assertThat(diff("{'items':[1,2,3]}", "{'items':[3,1,2]}")).containsExactly("/items order [1,2,3] [3,1,2]");
    assertThat(diff("{'a':{'b~c/d':1}}", "{'a':{'b~c/d':2}}")).containsExactly("/a/b~0c~1d value 1 2");
  }

  @Test
  @DisplayName("canonical numbers: 1, 1.0 and 1.00 are equal; tolerances absolute and relative per path")
  void numbers() {
    assertThat(diff("{'a':1,'b':19.0}", "{'a':1.0,'b':19.00}")).isEmpty();
    Rules t = rules(List.of(), Map.of("/price", new Rules.Tolerance(0.01, 0), "/total", new Rules.Tolerance(0, 0.001)),
        List.of(), Map.of(), false, List.of(), false, Map.of(), Duration.ofMillis(1));
    assertThat(diff("{'price':9.99,'total':1000}", "{'price':10.0,'total':1000.9}", t)).isEmpty();
    assertThat(diff("{'price':9.98,'total':1000}", "{'price':10.0,'total':1002}", t)).hasSize(2);
  }

  @Test
  @DisplayName("timestamps in other formats and zones compare as UTC instants at a precision")
  void timestamps() {
    assertThat(diff("{'t':'2026-11-02T10:00:00Z'}", "{'t':'2026-11-02T11:00:00+01:00'}")).isEmpty();
    assertThat(diff("{'t':'2026-11-02T10:00:00.000Z'}", "{'t':'2026-11-02T10:00:00.400Z'}")).hasSize(1);
    Rules seconds = rules(List.of(), Map.of(), List.of(), Map.of(), false, List.of(), false, Map.of(),
        Duration.ofSeconds(1));
    assertThat(diff("{'t':'2026-11-02T10:00:00.000Z'}", "{'t':'2026-11-02T10:00:00.400Z'}", seconds)).isEmpty();
    assertThat(diff("{'t':'2026-11-02T10:00:00Z'}", "{'t':'2026-11-02T10:00:01Z'}", seconds)).hasSize(1);
  }

  @Test
  @DisplayName("ignore with * and **; null equal to missing; case and trimming; regex and presence matchers")
  void rulesApply() {
    Rules r = rules(List.of("/items/*/updatedAt", "/**/etag"), Map.of(), List.of(), Map.of(), true,
        List.of("/status"), true, Map.of("/id", new Rules.Matcher(Pattern.compile("^[0-9a-f-]{36}$")),
            "/token", Rules.Matcher.present()), Duration.ofMillis(1));
    assertThat(diff("""
        {'items':[{'updatedAt':'a','etag':'1'}],'meta':{'deep':{'etag':'x'}},'gone':null,'status':'NEW',
         'name':' Ann ','id':'6f1c2a7e-3b9d-4e2f-8a11-0c5d2e7f9b10','token':'abc'}""", """
        {'items':[{'updatedAt':'b','etag':'2'}],'meta':{'deep':{'etag':'y'}},'status':'new',
         'name':'Ann','id':'0b8e4d2c-7a61-4f3e-9c25-d1e0f6a7b389','token':'xyz'}""", r)).isEmpty();
    assertThat(diff("{'id':'6f1c2a7e-3b9d-4e2f-8a11-0c5d2e7f9b10'}", "{'id':'42'}", r))
        .containsExactly("/id matcher \"6f1c2a7e-3b9d-4e2f-8a11-0c5d2e7f9b10\" \"42\"");
  }

  @Test
  @DisplayName("arrays: order ignored where told; matched element by element on a key field")
  void arrays() {
    Rules r = rules(List.of(), Map.of(), List.of("/tags"), Map.of("/items", "sku"), false, List.of(), false,
        Map.of(), Duration.ofMillis(1));
    assertThat(diff("{'tags':['a','b','c']}", "{'tags':['c','a','b']}", r)).isEmpty();
    assertThat(diff("""
        {'items':[{'sku':'A','qty':1},{'sku':'B','qty':2},{'sku':'C','qty':3}]}""", """
        {'items':[{'sku':'B','qty':2},{'sku':'A','qty':5},{'sku':'D','qty':1}]}""", r)).containsExactly(
        "/items/0/qty value 1 5",
        "/items/2 missing {\"sku\":\"C\",\"qty\":3} null",
        "/items/2 extra null {\"sku\":\"D\",\"qty\":1}");
  }

  @Test
  @DisplayName("fields collapse array indices and id-like keys, and the keys of objects with more than 50 keys")
  void fields() {
    List<Difference> d = JsonDiff.diff(json("{'items':[{'p':1}],'byId':{'12345':{'v':1}}}"),
        json("{'items':[{'p':2}],'byId':{'12345':{'v':2}}}"), Rules.DEFAULT);
    assertThat(d).extracting(Difference::field).containsExactly("/items/*/p", "/byId/*/v");
    StringBuilder p = new StringBuilder("{");
    StringBuilder c = new StringBuilder("{");
    for (int i = 0; i < 60; i++) {
      p.append(i == 0 ? "" : ",").append("'user").append((char) ('a' + i % 26)).append(i).append("':1");
      c.append(i == 0 ? "" : ",").append("'user").append((char) ('a' + i % 26)).append(i).append("':2");
    }
    List<Difference> wide = JsonDiff.diff(json(p + "}"), json(c + "}"), Rules.DEFAULT);
    assertThat(wide).hasSize(60).extracting(Difference::field).containsOnly("/*");
  }
}
