package dev.tandem.comparator;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A request and the answers of each side, as the comparator receives it.
 *
 * @param route     the route name
 * @param method    request method
 * @param uri       path and query as forwarded
 * @param headers   request headers
 * @param body      request body (as mirrored)
 * @param primary   the primary's answer (the one the client got)
 * @param candidate the shadow's answer
 * @param secondary a second primary instance's answer, for noise; null without one
 * @param effects   what the request wrote in each side's database, read back by the route's probes; often empty
 */
public record RecordedExchange(String id, Instant time, String route, String method, String uri,
                               List<Map.Entry<String, String>> headers, byte[] body, Side primary, Side candidate,
                               Side secondary, List<DbEffect> effects) {

  public RecordedExchange {
    headers = List.copyOf(headers);
    effects = List.copyOf(effects);
  }

  /** An exchange with no database effects read. */
  public RecordedExchange(String id, Instant time, String route, String method, String uri,
                          List<Map.Entry<String, String>> headers, byte[] body, Side primary, Side candidate,
                          Side secondary) {
    this(id, time, route, method, uri, headers, body, primary, candidate, secondary, List.of());
  }

  public RecordedExchange withEffects(List<DbEffect> e) {
    return new RecordedExchange(id, time, route, method, uri, headers, body, primary, candidate, secondary, e);
  }

  /** The path without the query. */
  public String path() {
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }
}
