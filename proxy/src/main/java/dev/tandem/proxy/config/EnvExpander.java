package dev.tandem.proxy.config;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands {@code ${VAR}} and {@code ${VAR:-default}} in a configuration value; {@code $$} stands for a literal dollar.
 * A variable that is not set and has no default expands to the empty string and is reported as a warning,
 * so that an optional secret (the admin token) may be left unset while a required value fails validation.
 */
final class EnvExpander {

  private static final Pattern VARIABLE = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private final Function<String, String> env;

  EnvExpander(Function<String, String> env) {
    this.env = env;
  }

  /** The variable's value, or null. */
  String get(String name) {
    return env.apply(name);
  }

  static EnvExpander fromSystem() {
    Map<String, String> environment = System.getenv();
    return new EnvExpander(environment::get);
  }

  /**
   * Replaces every {@code ${...}} (and {@code $$}) in raw YAML with a plain placeholder word, so that a reference
   * inside a flow mapping ({@code { token: ${TOKEN} }}) parses, and a value containing YAML syntax cannot change
   * the document's structure. {@link #restore} puts the expanded values back into the parsed scalars.
   */
  Protected protect(String yaml) {
    Matcher m = VARIABLE.matcher(yaml);
    StringBuilder out = new StringBuilder();
    java.util.Map<String, String> expressions = new java.util.HashMap<>();
    String nonce = Long.toHexString(System.nanoTime());
    while (m.find()) {
      String placeholder = "TANDEMENV" + nonce + "X" + expressions.size() + "X";
      expressions.put(placeholder, m.group());
      m.appendReplacement(out, placeholder);
    }
    m.appendTail(out);
    return new Protected(out.toString(), expressions);
  }

  /** YAML text with its variable references set aside. */
  record Protected(String yaml, java.util.Map<String, String> expressions) {
  }

  /** The scalar {@code value} with each placeholder replaced by its expanded expression. */
  String restore(String value, Protected p, List<String> unset) {
    if (p.expressions().isEmpty() || !value.contains("TANDEMENV")) {
      return value;
    }
    String result = value;
    for (var e : p.expressions().entrySet()) {
      if (result.contains(e.getKey())) {
        result = result.replace(e.getKey(), expand(e.getValue(), unset));
      }
    }
    return result;
  }

  /** Expands one value; names of unset variables are added to {@code unset}. */
  String expand(String value, List<String> unset) {
    if (value.indexOf('$') < 0) {
      return value;
    }
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group().equals("$$")) {
        replacement = "$";
      } else {
        String set = env.apply(m.group(1));
        if (set != null && !set.isEmpty()) {
          replacement = set;
        } else if (m.group(2) != null) {
          replacement = m.group(2);
        } else {
          replacement = "";
          unset.add(m.group(1));
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}
