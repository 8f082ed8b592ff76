package dev.tandem.proxy.admin;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Lets an {@code /admin/*} call through only with {@code Authorization: Bearer <token>} naming a configured caller.
 * Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, and every configured token is compared
 * on every call, so neither the token's length nor which caller matched shows in the timing. Without any configured
 * token every call answers 503: the admin API is never open.
 */
public final class BearerAuth implements Handler<RoutingContext> {

  /** The routing-context key under which the caller's name is stored for auditing. */
  public static final String CALLER = "tandem.caller";

  private final Map<String, byte[]> digestsByCaller = new LinkedHashMap<>();

  public BearerAuth(Map<String, String> tokensByCaller) {
    tokensByCaller.forEach((caller, token) -> digestsByCaller.put(caller, sha256(token)));
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (digestsByCaller.isEmpty()) {
      reject(ctx, 503, "the admin API is disabled: no token is configured (set admin.token, e.g. "
          + "token: ${TANDEM_ADMIN_TOKEN})");
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      reject(ctx, 401, "missing bearer token");
      return;
    }
    byte[] presented = sha256(header.substring(7).trim());
    String caller = null;
    for (Map.Entry<String, byte[]> e : digestsByCaller.entrySet()) {
      if (MessageDigest.isEqual(presented, e.getValue()) && caller == null) {
        caller = e.getKey();
      }
    }
    if (caller == null) {
      reject(ctx, 401, "invalid bearer token");
      return;
    }
    ctx.put(CALLER, caller);
    ctx.next();
  }

  private static void reject(RoutingContext ctx, int status, String message) {
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"tandem\"");
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", status == 401 ? "unauthorized" : "unavailable")
            .put("message", message).encode() + "\n");
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
