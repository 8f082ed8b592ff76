package dev.tandem.comparator;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Names the endpoint of a request, {@code GET /orders/{id}}, so that differences and latencies are counted per
 * endpoint instead of under one "undefined endpoint": explicit templates from the configuration first, otherwise
 * a template learned from the path, where segments that are numbers, UUIDs, long hex or base64 ids become
 * {@code {id}}. At most {@code maxEndpoints} names are handed out; later new ones are grouped as {@code other}.
 */
public final class EndpointGrouper {

  public static final String OTHER = "other";
  private static final Pattern NUMBER = Pattern.compile("-?\\d+");
  private static final Pattern UUID = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{16,}");
  /** Base64 or base64url ids: long, no vowels-only words — at least one digit and a mix of cases. */
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9_+=-]{20,}");

  private final List<Template> templates;
  private final int maxEndpoints;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  /** A configured template such as {@code GET /orders/{id}/items} ({@code *} for any method). */
  private record Template(String method, String[] segments, String name) {
  }

  public EndpointGrouper(List<String> configured, int maxEndpoints) {
    List<Template> t = new ArrayList<>();
    for (String c : configured) {
      String s = c.trim();
      int space = s.indexOf(' ');
      String method = space < 0 ? "*" : s.substring(0, space).toUpperCase(Locale.ROOT);
      String path = space < 0 ? s : s.substring(space + 1).trim();
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("an endpoint template is 'METHOD /path/{param}', got '" + c + "'");
      }
      t.add(new Template(method, path.substring(1).split("/", -1), method + " " + path));
    }
    this.templates = List.copyOf(t);
    this.maxEndpoints = maxEndpoints;
  }

  /** The endpoint name of {@code method} {@code path} (the path without its query). */
  public String endpoint(String method, String path) {
    String[] segments = (path.startsWith("/") ? path.substring(1) : path).split("/", -1);
    for (Template t : templates) {
      if ((t.method.equals("*") || t.method.equals(method)) && matches(t.segments, segments)) {
        return t.name;
      }
    }
    StringBuilder sb = new StringBuilder(method).append(' ');
    for (String s : segments) {
      sb.append('/').append(idLike(s) ? "{id}" : s);
    }
    if (segments.length == 0) {
      sb.append('/');
    }
    String name = sb.toString();
    if (known.contains(name)) {
      return name;
    }
    synchronized (known) {
      if (known.size() >= maxEndpoints && !known.contains(name)) {
        return OTHER;
      }
      known.add(name);
    }
    return name;
  }

  private static boolean matches(String[] template, String[] path) {
    if (template.length != path.length) {
      return false;
    }
    for (int i = 0; i < template.length; i++) {
      String t = template[i];
      if (!(t.startsWith("{") && t.endsWith("}")) && !t.equals(path[i])) {
        return false;
      }
    }
    return true;
  }

  static boolean idLike(String segment) {
    if (segment.isEmpty()) {
      return false;
    }
    if (NUMBER.matcher(segment).matches() || UUID.matcher(segment).matches() || HEX.matcher(segment).matches()) {
      return true;
    }
    if (BASE64.matcher(segment).matches()) {
      boolean digit = false;
      boolean upper = false;
      boolean lower = false;
      for (int i = 0; i < segment.length(); i++) {
        char ch = segment.charAt(i);
        digit |= Character.isDigit(ch);
        upper |= Character.isUpperCase(ch);
        lower |= Character.isLowerCase(ch);
      }
      return digit && upper && lower;
    }
    return false;
  }
}
