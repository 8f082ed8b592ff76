package dev.tandem.proxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A route's database-effect checks (the {@code effects} key of a compared route): after both sides answered a
 * request, SQL probes read what it wrote from the primary's and the shadow's database ({@code verify.primary},
 * {@code verify.shadow}) and the rows are compared with the response.
 *
 * @param settle  how long after both answers the databases are first read (writes behind a queue land late)
 * @param retries further reads, {@code settle} apart, while the rows differ
 */
public record EffectsConfig(Duration settle, int retries, List<Probe> probes) {

  public static final Duration DEFAULT_SETTLE = Duration.ofMillis(200);
  public static final int DEFAULT_RETRIES = 3;

  public EffectsConfig {
    probes = List.copyOf(probes);
  }

  /**
   * One probe.
   *
   * @param methods      the methods it applies to (empty: all)
   * @param path         a regex the path must match; null: every path
   * @param sql          the primary's query, with {@code $1}, {@code $2}… for the parameters
   * @param shadowSql    the shadow's query (its schema may differ); default: {@code sql}
   * @param params       where each parameter comes from: {@code path:N} (a path segment, from 0),
   *                     {@code query:NAME}, {@code header:NAME}, {@code request.json:/ptr}, {@code primary.json:/ptr},
   *                     {@code shadow.json:/ptr}
   * @param shadowParams the shadow's parameters; default: {@code params}, with {@code primary.json} read from the
   *                     shadow's answer (each side's own id)
   */
  public record Probe(String name, Set<String> methods, Pattern path, String sql, String shadowSql,
                      List<String> params, List<String> shadowParams) {

    public Probe {
      methods = Set.copyOf(methods);
      params = List.copyOf(params);
      shadowParams = List.copyOf(shadowParams);
    }

    public boolean applies(String method, String p) {
      return (methods.isEmpty() || methods.contains(method)) && (path == null || path.matcher(p).find());
    }
  }

  /** Parameter sources a probe may name. */
  public static final Pattern PARAM = Pattern.compile("(path:\\d+|query:.+|header:.+|(request|primary|shadow)\\.json:(/.*)?)");
}
