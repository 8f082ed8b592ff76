package dev.tandem.proxy.mirror;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Base64;

/**
 * A mirrored write that could not be delivered, with everything needed to deliver it later under the same key.
 *
 * @param reason why it was not delivered, e.g. {@code timeout}, {@code shadow answered 503},
 *               {@code idempotency store unavailable}
 */
public record DeadLetter(String id, Instant time, String route, String backend, String method, String uri,
                         MultiMap headers, Buffer body, String idempotencyKey, String reason) {

  public JsonObject toJson() {
    JsonArray h = new JsonArray();
    headers.forEach((name, value) -> h.add(new JsonArray().add(name).add(value)));
    return new JsonObject().put("id", id).put("time", time.toString()).put("route", route).put("backend", backend)
        .put("method", method).put("uri", uri).put("headers", h)
        .put("body", Base64.getEncoder().encodeToString(body.getBytes()))
        .put("idempotencyKey", idempotencyKey).put("reason", reason);
  }

  public static DeadLetter fromJson(JsonObject j) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (Object o : j.getJsonArray("headers", new JsonArray())) {
      JsonArray pair = (JsonArray) o;
      headers.add(pair.getString(0), pair.getString(1));
    }
    return new DeadLetter(j.getString("id"), Instant.parse(j.getString("time")), j.getString("route"),
        j.getString("backend"), j.getString("method"), j.getString("uri"), headers,
        Buffer.buffer(Base64.getDecoder().decode(j.getString("body", ""))), j.getString("idempotencyKey"),
        j.getString("reason"));
  }
}
