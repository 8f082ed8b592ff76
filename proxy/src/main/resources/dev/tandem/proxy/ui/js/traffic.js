import uPlot from '../vendor/uplot/uPlot.esm.js';
import { api, refusal } from './api.js';
import { fill, h } from './dom.js';
import { parse, quantile, requestFigures } from './prometheus.js';

const WINDOW_SECONDS = 15 * 60;
const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#5c940d', '#e67700'];

let root;
let status;
let chartsEl;
let previous = null; // {t, figures} of the last scrape
const points = []; // {t, series: Map(key -> {rps, errorRate, p50, p99})}, oldest first, WINDOW_SECONDS long
let charts = [];
let chartedKeys = null; // the series the charts were built for

const CHARTS = [
  { title: 'requests/s', value: p => p.rps, unit: '/s' },
  { title: '5xx rate (% of answers)', value: p => p.errorRate, unit: '%' },
  { title: 'p50 latency (ms)', value: p => p.p50, unit: 'ms' },
  { title: 'p99 latency (ms)', value: p => p.p99, unit: 'ms' },
];

export function mount(el) {
  root = el;
  status = h('p', { class: 'muted', id: 'traffic-status' }, 'waiting for the first scrapes of /metrics…');
  chartsEl = h('div', { class: 'charts' });
  charts = [];
  chartedKeys = null;
  fill(root, h('h1', {}, 'Traffic'), h('p', { class: 'muted' },
    'From GET /metrics every 3 s: tandem_requests_total and tandem_request_duration_seconds, per route and backend '
    + 'that answered; the last 15 minutes, kept in this page only.'), status, chartsEl);
}

export async function refresh() {
  draw();
}

/** Reads /metrics once and adds a point per route/backend: the rates since the scrape before. */
export async function scrape() {
  const r = await api('/metrics', { raw: true });
  if (!r.ok) {
    status.textContent = `metrics: ${refusal(r)}`;
    return;
  }
  const now = Date.now() / 1000;
  const figures = requestFigures(parse(r.text));
  if (previous) {
    const dt = now - previous.t;
    const series = new Map();
    for (const [key, f] of figures) {
      const before = previous.figures.get(key) ?? { requests: 0, errors: 0, buckets: new Map() };
      const requests = f.requests - before.requests;
      if (requests < 0) continue; // the counters restarted: no rate for this interval
      const p50 = quantile(0.5, before.buckets, f.buckets);
      const p99 = quantile(0.99, before.buckets, f.buckets);
      series.set(key, {
        rps: requests / dt,
        errorRate: requests > 0 ? (100 * (f.errors - before.errors)) / requests : null,
        p50: p50 == null ? null : p50 * 1000,
        p99: p99 == null ? null : p99 * 1000,
      });
    }
    points.push({ t: now, series });
    while (points.length && points[0].t < now - WINDOW_SECONDS) points.shift();
    status.textContent = `${points.length} points, the latest at ${new Date(now * 1000).toLocaleTimeString()}`;
  }
  previous = { t: now, figures };
  if (!root.hidden) draw();
}

/** The route/backend pairs that answered anything in the window (the _unmatched series stays out while idle). */
function keys() {
  const all = new Set();
  for (const p of points) for (const [k, s] of p.series) if (s.rps > 0) all.add(k);
  return [...all].sort();
}

function chartWidth() {
  const one = chartsEl.querySelector('.chart');
  const columns = getComputedStyle(chartsEl).gridTemplateColumns.split(' ').length || 1;
  const inner = one ? one.clientWidth - 16 : (chartsEl.clientWidth - 14 * (columns - 1)) / columns - 16;
  return Math.max(300, Math.floor(inner));
}

window.addEventListener('resize', () => charts.forEach(u => u.setSize({ width: chartWidth(), height: 240 })));

function draw() {
  if (root.hidden || points.length === 0) return;
  const ks = keys();
  if (ks.join('|') !== chartedKeys) {
    charts.forEach(c => c.destroy());
    chartsEl.replaceChildren();
    const els = CHARTS.map(c => chartsEl.appendChild(h('div', { class: 'chart', dataset: { chart: c.title } })));
    const width = chartWidth();
    charts = CHARTS.map((c, i) => {
      const el = els[i];
      return new uPlot({
        title: c.title, width, height: 240,
        scales: { x: { time: true } },
        series: [{}, ...ks.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false,
          value: (u, v) => (v == null ? '–' : `${v.toFixed(2)} ${c.unit}`) }))],
        axes: [{}, { size: 60 }],
      }, data(c, ks), el);
    });
    chartedKeys = ks.join('|');
  } else {
    charts.forEach((u, i) => u.setData(data(CHARTS[i], ks)));
  }
}

function data(chart, ks) {
  return [points.map(p => p.t), ...ks.map(k => points.map(p => {
    const s = p.series.get(k);
    return s ? chart.value(s) : null;
  }))];
}
