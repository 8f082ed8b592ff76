package dev.tandem.comparator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What one request wrote, as an SQL probe read it back from each side's database after both sides answered: the
 * rows, and how they differ under the comparator's rules (paths start with {@code db:<probe>}).
 *
 * @param attempts how many times both databases were read (a probe retries while the rows differ)
 * @param error    why the probe has no rows to show (a parameter not found, a database down); null when it has
 */
public record DbEffect(String probe, JsonArray primaryRows, JsonArray shadowRows, List<Difference> differences,
                       int attempts, String error) {

  public DbEffect {
    differences = List.copyOf(differences);
  }

  public JsonObject toJson() {
    JsonArray d = new JsonArray();
    differences.forEach(x -> d.add(new JsonObject().put("path", x.path()).put("kind", x.kind().label())
        .put("primary", x.primary()).put("shadow", x.candidate())));
    return new JsonObject().put("probe", probe).put("primaryRows", primaryRows).put("shadowRows", shadowRows)
        .put("differences", d).put("attempts", attempts).put("error", error);
  }
}
