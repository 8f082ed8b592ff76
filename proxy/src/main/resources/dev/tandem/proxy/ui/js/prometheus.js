/** Parses Prometheus text into [{name, labels, value}], skipping comments and lines it cannot read. */
export function parse(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    out.push({ name: m[1], labels: labels(m[3] ?? ''), value: Number(m[4]) });
  }
  return out;
}

function labels(text) {
  const out = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  let m;
  while ((m = re.exec(text)) !== null) out[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  return out;
}

/**
 * Per route and backend: total requests, 5xx answers and the latency histogram's cumulative buckets, from one
 * scrape. Keyed "route / backend".
 */
export function requestFigures(samples) {
  const by = new Map();
  const get = (route, backend) => {
    const key = `${route} / ${backend}`;
    if (!by.has(key)) by.set(key, { requests: 0, errors: 0, buckets: new Map() });
    return by.get(key);
  };
  for (const s of samples) {
    if (s.name === 'tandem_requests_total') {
      const f = get(s.labels.route, s.labels.backend);
      f.requests += s.value;
      if (/^5/.test(s.labels.code ?? '')) f.errors += s.value;
    } else if (s.name === 'tandem_request_duration_seconds_bucket') {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      const f = get(s.labels.route, s.labels.backend);
      f.buckets.set(le, (f.buckets.get(le) ?? 0) + s.value);
    }
  }
  return by;
}

/**
 * The q-quantile (0..1) of the observations between two scrapes of a cumulative histogram, interpolated within
 * its bucket as PromQL's histogram_quantile does; null when nothing was observed.
 */
export function quantile(q, before, after) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map(le => after.get(le) - (before?.get(le) ?? 0));
  const total = counts[counts.length - 1];
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i] >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : counts[i - 1];
      if (bounds[i] === Infinity) return lower;
      const inBucket = counts[i] - below;
      return inBucket > 0 ? lower + (bounds[i] - lower) * ((rank - below) / inBucket) : bounds[i];
    }
  }
  return bounds.length > 1 ? bounds[bounds.length - 2] : null;
}
