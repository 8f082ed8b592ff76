package dev.tandem.proxy.canary;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * The values an operator (or a rollout) set at run time over those of the configuration, for one subject (a route,
 * or the capture switch): per field the value, the configured value it overrode, who set it, when and why. Only
 * these are saved, so that a changed configuration is noticed at the next start: an override whose configured
 * value is no longer the file's gives way to the file.
 */
final class Overrides {

  private final JsonObject fields;

  Overrides(JsonObject fields) {
    this.fields = fields == null ? new JsonObject() : fields.copy();
  }

  /** Notes {@code value} over {@code configured}; setting a field back to the configured value drops its override. */
  void set(String field, Object value, Object configured, String by, Instant at, String reason) {
    if (same(value, configured)) {
      fields.remove(field);
    } else {
      fields.put(field, new JsonObject().put("value", value).put("configured", configured).put("by", by)
          .put("at", at.toString()).put("reason", reason));
    }
  }

  JsonObject get(String field) {
    return fields.getJsonObject(field);
  }

  void remove(String field) {
    fields.remove(field);
  }

  java.util.Set<String> names() {
    return fields.fieldNames();
  }

  boolean isEmpty() {
    return fields.isEmpty();
  }

  JsonObject toJson() {
    return fields.copy();
  }

  /** Whether an override's recorded configured value is the configuration's value now. */
  static boolean same(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return Double.compare(x.doubleValue(), y.doubleValue()) == 0;
    }
    return a == null ? b == null : a.equals(b);
  }
}
