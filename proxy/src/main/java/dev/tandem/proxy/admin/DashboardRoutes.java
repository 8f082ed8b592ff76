package dev.tandem.proxy.admin;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * {@code /ui/}: the dashboard, static files from the jar. They hold no data, so they need no token; every API call
 * the page makes sends the bearer token the operator typed in.
 */
final class DashboardRoutes {

  /** Where the page lives on the classpath (proxy/src/main/resources). */
  static final String WEB_ROOT = "dev/tandem/proxy/ui";

  // The page keeps the admin token in sessionStorage: nothing but its own files may run in it or frame it.
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  void mount(Router router) {
    // "/ui" would also match "/ui/": only the path without its slash is sent there, so the page's relative links work.
    router.getWithRegex("/ui").handler(ctx -> ctx.redirect("/ui/"));
    router.route("/ui/*").handler(ctx -> {
      ctx.response().putHeader("Content-Security-Policy", CSP).putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "no-referrer");
      ctx.next();
    });
    router.route("/ui/*").handler(StaticHandler.create(FileSystemAccess.RELATIVE, WEB_ROOT)
        .setIndexPage("index.html").setCachingEnabled(false));
  }
}
