import uPlot from '../vendor/uplot/uPlot.esm.js';
import { api, refusal } from './api.js';
import { fill, h } from './dom.js';

const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#0b7285', '#5c940d', '#e67700'];

let root;
let status;
let chartsEl;
let points = []; // {t, series: Map(key -> {rps, errorRate, p50, p99})}, oldest first, as many as the server keeps
let newest = 0; // the time (epoch ms) of the newest point held: later polls ask only for what came after
let polling = false;
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
  status = h('p', { class: 'muted', id: 'traffic-status' }, 'reading the traffic history…');
  chartsEl = h('div', { class: 'charts' });
  charts = [];
  chartedKeys = null;
  points = [];
  newest = 0;
  fill(root, h('h1', {}, 'Traffic'), h('p', { class: 'muted' },
    'From GET /admin/traffic/history: the admin server samples tandem_requests_total and '
    + 'tandem_request_duration_seconds per route and backend (quantiles interpolated as histogram_quantile does) and '
    + 'keeps this instance\'s recent samples (15 minutes by default); read whole when the page opens, then what is new '
    + 'every 3 s.'),
  status, chartsEl);
}

export async function refresh() {
  draw();
}

/** Reads the traffic history: all the admin server keeps the first time, then only the points after the newest. */
export async function poll() {
  if (polling) return;
  polling = true;
  try {
    const r = await api(`/admin/traffic/history${newest ? `?since=${newest}` : ''}`);
    if (!r.ok || !r.json) {
      status.textContent = `traffic history: ${refusal(r)}`;
      return;
    }
    const { intervalMs, capacity } = r.json;
    for (const p of r.json.points) {
      if (p.time <= newest) continue;
      const series = new Map();
      for (const s of p.series) {
        series.set(`${s.route} / ${s.backend}`, { rps: s.rps, errorRate: s.errorPercent, p50: s.p50Ms, p99: s.p99Ms });
      }
      points.push({ t: p.time / 1000, series });
      newest = p.time;
    }
    if (points.length > capacity) points = points.slice(points.length - capacity);
    const when = t => new Date(t * 1000).toLocaleTimeString();
    status.textContent = points.length === 0
      ? `no points yet: the admin server samples every ${intervalMs / 1000} s`
      : `${points.length} points, from ${when(points[0].t)} to ${when(points[points.length - 1].t)} (a sample every `
        + `${intervalMs / 1000} s; the server keeps ${capacity}, ${minutes(intervalMs * capacity)})`;
    if (!root.hidden) draw();
  } finally {
    polling = false;
  }
}

function minutes(ms) {
  const m = ms / 60000;
  return `${Number.isInteger(m) ? m : m.toFixed(1)} minute${m === 1 ? '' : 's'}`;
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
  // The time (epoch ms) of the oldest point drawn: the browser test tells history read from the server by it.
  chartsEl.dataset.from = String(points[0].t * 1000);
}

function data(chart, ks) {
  return [points.map(p => p.t), ...ks.map(k => points.map(p => {
    const s = p.series.get(k);
    return s ? chart.value(s) : null;
  }))];
}
