package dev.tandem.proxy.importer;

import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The canary annotations of ingress-nginx (canary-weight, -by-header, -by-cookie, ...) as a route's canary. */
final class CanaryAnnotations {

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private CanaryAnnotations() {
  }

  /** The canary a canary Ingress's annotations describe, without its backend; a line for each one it cannot take. */
  static Draft.Canary read(Draft draft, Manifest c) {
    Draft.Canary canary = new Draft.Canary();
    Map<String, String> a = IngressNginxImport.annotations(c);
    String header = a.get(IngressNginxImport.PREFIX + "canary-by-header");
    String weight = a.get(IngressNginxImport.PREFIX + "canary-weight");
    String total = a.get(IngressNginxImport.PREFIX + "canary-weight-total");
    int outOf = 100;
    if (total != null) {
      if (total.trim().matches("[0-9]{1,9}") && Integer.parseInt(total.trim()) > 0) {
        outOf = Integer.parseInt(total.trim());
      } else {
        draft.notCarried(c, "annotation " + IngressNginxImport.PREFIX + "canary-weight-total", "not a positive whole number: '" + total
            + "'; weights count out of 100");
      }
    }
    if (weight != null) {
      String w = weight.trim();
      if (w.matches("[0-9]{1,9}") && Integer.parseInt(w) <= outOf) {
        canary.weight = Math.rint(Integer.parseInt(w) * 100.0 / outOf * 100) / 100;
        canary.weightComment = "canary-weight " + w + (outOf == 100 ? "" : " of canary-weight-total " + outOf);
      } else {
        draft.notCarried(c, "annotation " + IngressNginxImport.PREFIX + "canary-weight", "not a whole number from 0 to " + outOf
            + ": '" + weight + "'; the weight is 0");
      }
    } else {
      canary.weightComment = "no canary-weight: only opted-in requests go to the canary";
    }
    for (Map.Entry<String, String> e : a.entrySet()) {
      String key = e.getKey().substring(IngressNginxImport.PREFIX.length());
      String value = e.getValue().trim();
      String item = "annotation " + e.getKey();
      switch (key) {
        case "canary", "canary-weight", "canary-weight-total" -> {
        }
        case "canary-by-header" -> {
          if (TOKEN.matcher(value).matches()) {
            canary.header = value;
          } else {
            draft.notCarried(c, item, "not a header name: '" + value + "'");
          }
        }
        case "canary-by-header-value" -> {
          if (header == null) {
            draft.notCarried(c, item, "ingress-nginx ignores it without canary-by-header");
          } else {
            canary.headerValue = value;
          }
        }
        case "canary-by-header-pattern" -> {
          if (header == null) {
            draft.notCarried(c, item, "ingress-nginx ignores it without canary-by-header");
          } else if (a.containsKey(IngressNginxImport.PREFIX + "canary-by-header-value")) {
            draft.notCarried(c, item, "ingress-nginx ignores it when canary-by-header-value is set");
          } else {
            try {
              Pattern.compile(value);
              canary.headerPattern = value;
            } catch (PatternSyntaxException x) {
              draft.notCarried(c, item, "not a regex Tandem can read: " + x.getDescription());
            }
          }
        }
        case "canary-by-cookie" -> {
          if (TOKEN.matcher(value).matches()) {
            canary.cookie = value;
          } else {
            draft.notCarried(c, item, "not a cookie name: '" + value + "'");
          }
        }
        default -> draft.notCarried(c, item, "ingress-nginx ignores it on a canary Ingress (the main Ingress's"
            + " settings apply), and Tandem's canary has no equivalent");
      }
    }
    return canary;
  }

  static Draft.Canary copy(Draft.Canary s) {
    Draft.Canary c = new Draft.Canary();
    c.weight = s.weight;
    c.weightComment = s.weightComment;
    c.header = s.header;
    c.headerValue = s.headerValue;
    c.headerPattern = s.headerPattern;
    c.cookie = s.cookie;
    c.matchHeaders.putAll(s.matchHeaders);
    return c;
  }
}
