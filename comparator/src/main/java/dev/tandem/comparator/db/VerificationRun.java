package dev.tandem.comparator.db;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/** One verification of every configured table, with the locks seen on the shadow meanwhile. */
public record VerificationRun(Instant started, long millis, List<TableResult> tables, JsonObject locks) {

  public VerificationRun {
    tables = List.copyOf(tables);
  }

  public JsonObject toJson() {
    JsonArray t = new JsonArray();
    tables.forEach(x -> t.add(x.toJson()));
    return new JsonObject().put("started", started.toString()).put("millis", millis).put("tables", t)
        .put("locks", locks);
  }
}
