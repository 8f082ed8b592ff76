package dev.tandem.proxy.config;

import dev.tandem.comparator.NoiseRule;
import dev.tandem.comparator.PathPattern;
import dev.tandem.comparator.Redactor;
import dev.tandem.comparator.Rules;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How mirrored responses are compared (the {@code comparator} key, besides its {@code store}).
 *
 * @param rules         global rules
 * @param endpointRules rules per endpoint template ({@code GET /orders/{id}}), added to the global ones; the
 *                      templates also name endpoints
 * @param noise         Diffy's thresholds, and the rate above which a field is likely noise
 * @param redactHeaders headers whose values are hashed before anything is stored
 * @param redactJson    JSON body paths likewise
 * @param maxSamples    differing exchanges kept
 * @param maxAge        how long a sample is kept (PostgreSQL store)
 * @param maxEndpoints  endpoints named; the rest are {@code other}
 * @param workers       threads comparing
 * @param queue         exchanges waiting for a worker; beyond it they are shed
 * @param protos        the gRPC descriptor set ({@code grpc.descriptorSet}): gRPC answers compared by field name
 *                      for the methods it has; {@code ProtoSchema.NONE} (field numbers) without one
 */
public record CompareConfig(Rules rules, Map<String, Rules> endpointRules, NoiseRule noise, Set<String> redactHeaders,
                            List<PathPattern> redactJson, int maxSamples, java.time.Duration maxAge, int maxEndpoints,
                            int workers, int queue, dev.tandem.comparator.grpc.ProtoSchema protos) {

  public static final CompareConfig DEFAULT = new CompareConfig(Rules.DEFAULT, Map.of(), NoiseRule.DEFAULT,
      Redactor.DEFAULT_HEADERS, List.of(), 1_000, java.time.Duration.ofDays(7), 200, 2, 1_000,
      dev.tandem.comparator.grpc.ProtoSchema.NONE);

  public CompareConfig {
    endpointRules = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(endpointRules));
    redactHeaders = Set.copyOf(redactHeaders);
    redactJson = List.copyOf(redactJson);
  }
}
