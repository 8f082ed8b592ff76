package dev.tandem.proxy.importer;

import java.util.ArrayList;
import java.util.List;

/**
 * The directives of an NGINX configuration snippet, as ingress-nginx pastes it into a location or server block:
 * {@code name args;} or {@code name args { ... }}, with quotes and {@code #} comments.
 */
final class NginxSnippet {

  /** One directive, with its block's directives when it has one (a {@code location}). */
  record Directive(String name, List<String> args, List<Directive> block) {

    String arg(int i) {
      return i < args.size() ? args.get(i) : "";
    }

    /** As written, without its block, for the lines about it. */
    String text() {
      return (name + " " + String.join(" ", args)).trim() + (block == null ? ";" : " { ... }");
    }
  }

  private final String text;
  private int at;

  private NginxSnippet(String text) {
    this.text = text;
  }

  /** The directives of a snippet; a snippet it cannot follow (an unclosed block or quote) throws. */
  static List<Directive> parse(String snippet) {
    return new NginxSnippet(snippet).block(false);
  }

  private List<Directive> block(boolean inner) {
    List<Directive> out = new ArrayList<>();
    List<String> words = new ArrayList<>();
    for (String w = word(); ; w = word()) {
      if (w == null || w.equals("}")) {
        if (!words.isEmpty()) {
          throw new IllegalArgumentException("'" + String.join(" ", words) + "' is not ended by ';'");
        }
        if (w == null && inner) {
          throw new IllegalArgumentException("a block is not closed by '}'");
        }
        if (w != null && !inner) {
          throw new IllegalArgumentException("a '}' closes no block");
        }
        return out;
      }
      if (w.equals(";") || w.equals("{")) {
        if (words.isEmpty()) {
          if (w.equals("{")) {
            throw new IllegalArgumentException("a block without a directive");
          }
          continue;
        }
        List<Directive> body = w.equals("{") ? block(true) : null;
        out.add(new Directive(words.get(0), List.copyOf(words.subList(1, words.size())), body));
        words.clear();
      } else {
        words.add(w);
      }
    }
  }

  /** The next word, ";", "{" or "}"; null at the end. Quotes are removed from a quoted word. */
  private String word() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (Character.isWhitespace(c)) {
        at++;
      } else if (c == '#') {
        while (at < text.length() && text.charAt(at) != '\n') {
          at++;
        }
      } else {
        break;
      }
    }
    if (at >= text.length()) {
      return null;
    }
    char c = text.charAt(at);
    if (c == ';' || c == '{' || c == '}') {
      at++;
      return String.valueOf(c);
    }
    StringBuilder w = new StringBuilder();
    if (c == '"' || c == '\'') {
      at++;
      while (at < text.length() && text.charAt(at) != c) {
        if (text.charAt(at) == '\\' && at + 1 < text.length()) {
          at++;
        }
        w.append(text.charAt(at++));
      }
      if (at >= text.length()) {
        throw new IllegalArgumentException("a quote is not closed");
      }
      at++;
      return w.toString();
    }
    while (at < text.length()) {
      c = text.charAt(at);
      if (Character.isWhitespace(c) || c == ';' || c == '{' || c == '}') {
        break;
      }
      w.append(c);
      at++;
    }
    return w.toString();
  }
}
