package dev.tandem.proxy.importer;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Writes a {@link Draft} as a Tandem YAML configuration in the style of the files in conf/. */
public final class ConfigWriter {

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_/][A-Za-z0-9_./-]*");
  private static final Pattern URL = Pattern.compile("https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._/-]*)?");
  /** A '$' that Tandem's ${VAR} expansion would read: before another '$' or a '{'. */
  private static final Pattern ENV_SYNTAX = Pattern.compile("\\$(?=[$\\{])");
  private static final Pattern LOOKS_TYPED =
      Pattern.compile("(?i)true|false|yes|no|on|off|null|~|[-+]?[0-9][0-9_.eE+-]*");

  private ConfigWriter() {
  }

  public static String write(Draft d) {
    StringBuilder y = new StringBuilder();
    y.append("# Tandem configuration made by 'tandem ").append(d.command).append("' from:\n");
    for (String s : d.sources) {
      y.append("#   ").append(s).append('\n');
    }
    int n = d.notCarried.size();
    if (n > 0) {
      y.append("# ").append(n)
          .append(n == 1 ? " annotation, directive or field was" : " annotations, directives or fields were")
          .append(" not carried over: 'tandem import' listed each on stderr.\n");
    }
    y.append("# Check it with: tandem proxy --check --config FILE\n");
    y.append("server: { host: 0.0.0.0, port: 8080 }\n");
    y.append("admin: { host: 127.0.0.1, port: 8081, token: ${TANDEM_ADMIN_TOKEN} }\n\n");
    y.append("backends:\n");
    Map<String, String> backends = new LinkedHashMap<>();
    d.routes.forEach(r -> backends.put(r.primary, d.backends.get(r.primary)));
    backends.putAll(d.backends);
    backends.forEach((name, url) -> y.append("  ").append(scalar(name)).append(": ").append(url(url)).append('\n'));
    y.append("\nroutes:\n");
    for (Draft.Route r : d.routes) {
      route(y, r);
    }
    y.append("\nidempotency: { store: memory }\n");
    y.append("comparator: { store: memory }\n");
    return y.toString();
  }

  private static void route(StringBuilder y, Draft.Route r) {
    y.append("  - name: ").append(scalar(r.name)).append('\n');
    for (String c : r.comments) {
      y.append("    # ").append(c).append('\n');
    }
    List<String> match = new ArrayList<>();
    if (!r.hosts.isEmpty()) {
      match.add("host: " + list(r.hosts));
    }
    match.add("pathPrefix: " + scalar(r.pathPrefix));
    if (!r.methods.isEmpty()) {
      match.add("methods: " + list(new ArrayList<>(r.methods)));
    }
    y.append("    match: { ").append(String.join(", ", match)).append(" }\n");
    y.append("    primary: ").append(scalar(r.primary)).append('\n');
    if (r.maxBodyBytes != null) {
      y.append("    maxBodyBytes: ").append(r.maxBodyBytes).append('\n');
    }
    if (r.canary != null) {
      Draft.Canary c = r.canary;
      y.append("    canary:\n");
      List<String> defaults = new ArrayList<>();
      if (c.header == null) {
        defaults.add("header X-Canary");
      }
      if (c.cookie == null) {
        defaults.add("cookie canary");
      }
      if (!defaults.isEmpty()) {
        y.append("      # ").append(String.join(" and ", defaults)).append(" (always|never) opt in too: Tandem's"
            + " default").append(defaults.size() > 1 ? "s" : "").append('\n');
      }
      y.append("      backend: ").append(scalar(c.backend)).append('\n');
      y.append("      weight: ").append(number(c.weight));
      if (c.weightComment != null) {
        y.append("   # ").append(c.weightComment);
      }
      y.append('\n');
      optional(y, "header", c.header);
      optional(y, "headerValue", c.headerValue);
      optional(y, "headerPattern", c.headerPattern);
      if (!c.matchHeaders.isEmpty()) {
        y.append("      matchHeaders: ").append(map(c.matchHeaders)).append('\n');
      }
      optional(y, "cookie", c.cookie);
    }
    if (r.mirror != null) {
      Draft.Mirror m = r.mirror;
      y.append("    mirror:\n");
      if (m.backends.size() == 1) {
        y.append("      backend: ").append(scalar(m.backends.get(0))).append('\n');
      } else {
        y.append("      shadows: [").append(String.join(", ", m.backends.stream()
            .map(b -> "{ backend: " + scalar(b) + " }").toList())).append("]\n");
      }
      y.append("      percent: ").append(number(m.percent)).append('\n');
      y.append("      compare: false   # true: compare the shadow's answers with the primary's (tandem diffs)\n");
      if (!m.setHeaders.isEmpty()) {
        y.append("      setHeaders: ").append(map(m.setHeaders)).append('\n');
      }
    }
  }

  private static void optional(StringBuilder y, String key, String value) {
    if (value != null) {
      y.append("      ").append(key).append(": ").append(scalar(value)).append('\n');
    }
  }

  private static String list(List<String> values) {
    return "[" + String.join(", ", values.stream().map(ConfigWriter::scalar).toList()) + "]";
  }

  private static String map(Map<String, String> values) {
    return "{ " + String.join(", ", values.entrySet().stream()
        .map(e -> scalar(e.getKey()) + ": " + scalar(e.getValue())).toList()) + " }";
  }

  static String number(double v) {
    return BigDecimal.valueOf(v).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
  }

  /** A URL as written: a {@code ${VAR:-default}} port placeholder is kept, anything else is literal. */
  private static String url(String url) {
    if (url.contains("${")) {
      return "\"" + url + "\"";
    }
    return URL.matcher(url).matches() ? url : scalar(url);
  }

  /** A literal string: plain when YAML reads it back as that string, else double-quoted; '$' doubled. */
  static String scalar(String s) {
    String literal = ENV_SYNTAX.matcher(s).replaceAll("\\$\\$");
    if (PLAIN.matcher(literal).matches() && !LOOKS_TYPED.matcher(literal).matches()) {
      return literal;
    }
    StringBuilder q = new StringBuilder("\"");
    for (char ch : literal.toCharArray()) {
      switch (ch) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\t' -> q.append("\\t");
        default -> {
          if (ch < 0x20) {
            q.append(String.format("\\x%02x", (int) ch));
          } else {
            q.append(ch);
          }
        }
      }
    }
    return q.append('"').toString();
  }
}
