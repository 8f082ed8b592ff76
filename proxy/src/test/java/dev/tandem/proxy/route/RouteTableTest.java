package dev.tandem.proxy.route;

import dev.tandem.proxy.config.MatchConfig;
import dev.tandem.proxy.config.RouteConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RouteTableTest {

  private static RouteConfig route(String name, String prefix, List<String> hosts, Set<String> methods) {
    return new RouteConfig(name, new MatchConfig(prefix, hosts, methods), "legacy", null, null);
  }

  private final RouteTable table = new RouteTable(List.of(
      route("writes", "/orders", List.of(), Set.of("POST", "PUT")),
      route("admin-host", "/", List.of("admin.example.com", "*.internal"), Set.of()),
      route("orders", "/orders", List.of(), Set.of()),
      route("api", "/api/", List.of(), Set.of())));

  private String match(String method, String host, String path) {
    Route r = table.match(method, host, path);
    return r == null ? null : r.name();
  }

  @Test
  @DisplayName("the first route that matches wins")
  void firstMatchWins() {
    assertThat(match("POST", "shop.example.com", "/orders")).isEqualTo("writes");
    assertThat(match("GET", "shop.example.com", "/orders")).isEqualTo("orders");
  }

  @Test
  @DisplayName("a host matches exactly or by *.suffix, ignoring case and port")
  void hosts() {
    assertThat(match("GET", "ADMIN.example.com:8443", "/anything")).isEqualTo("admin-host");
    assertThat(match("GET", "db.internal", "/x")).isEqualTo("admin-host");
    assertThat(match("GET", "internal", "/orders")).isEqualTo("orders");
    assertThat(match("GET", null, "/orders")).isEqualTo("orders");
  }

  @Test
  @DisplayName("a path prefix matches whole segments only")
  void prefixes() {
    assertThat(match("GET", "h", "/orders/17")).isEqualTo("orders");
    assertThat(match("GET", "h", "/ordersx")).isNull();
    assertThat(match("GET", "h", "/api/v1")).isEqualTo("api");
    assertThat(match("GET", "h", "/api")).isNull();
  }

  @Test
  @DisplayName("no matching route gives no route")
  void noMatch() {
    assertThat(match("GET", "h", "/")).isNull();
    assertThat(table.byName("orders")).isPresent();
    assertThat(table.byName("nope")).isEmpty();
  }
}
