package dev.tandem.proxy.importer;

import java.net.URI;
import java.net.URISyntaxException;

/** Where NGINX sends mirrored copies ({@code proxy_pass} of a mirror location, {@code mirror-target}) as a backend. */
final class MirrorTargets {

  private MirrorTargets() {
  }

  /** The backend a proxy_pass or mirror-target URL names; null (and a line said) when it cannot be one. */
  static String backend(Draft draft, Manifest m, String item, String target) {
    String url = target;
    boolean originalUri = url.endsWith("$request_uri");
    if (originalUri) {
      url = url.substring(0, url.length() - "$request_uri".length());
    }
    if (url.contains("$")) {
      draft.notCarried(m, item, "Tandem sends copies to a fixed URL; variables other than a final $request_uri"
          + " cannot be carried over");
      return null;
    }
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      draft.notCarried(m, item, "not a URL");
      return null;
    }
    if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
      draft.notCarried(m, item, "not an http:// or https:// URL with a host (an upstream name cannot be resolved"
          + " here)");
      return null;
    }
    if (!originalUri) {
      draft.notCarried(m, item + " without $request_uri", "NGINX sends each copy to the mirror location's URI;"
          + " Tandem sends it to the request's own path");
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
    String base = u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + path;
    return draft.backend(u.getHost().split("\\.")[0], base);
  }
}
