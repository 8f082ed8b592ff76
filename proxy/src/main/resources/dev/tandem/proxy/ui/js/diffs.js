import { api, refusal } from './api.js';
import { badge, fill, h, num, pct, table, time } from './dom.js';
import { bodyView, jsonView } from './jsonview.js';

const SAMPLE_LIMIT = 20;

let summary;
let samples;
let detail;

export function mount(el) {
  summary = h('div', { class: 'card' });
  samples = h('div', { class: 'card', hidden: true });
  detail = h('div', { hidden: true });
  fill(el, h('h1', {}, 'Differences'), summary, samples, detail);
}

export async function refresh() {
  const r = await api('/admin/diffs/summary');
  if (r.status === 404) {
    fill(summary, h('p', { class: 'muted' }, r.json?.message ?? 'no route compares responses'));
    return;
  }
  if (!r.ok) {
    fill(summary, h('p', { class: 'error' }, `summary: ${refusal(r)}`));
    return;
  }
  fill(summary, summaryTable(r.json.endpoints ?? []));
}

function summaryTable(endpoints) {
  const rows = endpoints.map(e => ({
    attrs: { class: 'clickable', dataset: { endpoint: e.endpoint }, onclick: () => list(e.endpoint) },
    cells: [
      h('td', { class: 'mono' }, e.endpoint),
      `${e.primary} vs ${e.candidate}`,
      h('td', { class: 'num' }, num(e.compared, 0)),
      h('td', { class: 'num' }, num(e.matched, 0)),
      h('td', { class: 'num' }, num(e.differing, 0)),
      h('td', { class: 'num' }, e.latency?.p99Ratio == null ? '–' : `×${num(e.latency.p99Ratio)}`),
      h('td', { class: 'fields' }, fieldTable(e)),
    ],
  }));
  return h('div', {},
    h('p', { class: 'muted' }, 'Click an endpoint or a field for samples. Per field, raw: exchanges where legacy and '
      + 'the candidate differed there; noise: where legacy and a second legacy instance (mirror.secondary) did. ',
    badge('real', 'real'), ' differs more than between two legacy instances; ', badge('noise', 'noise'),
    ' differs as much there too.'),
    table(['endpoint', 'sides', { text: 'compared', attrs: { class: 'num' } }, { text: 'matched', attrs: { class: 'num' } },
      { text: 'differing', attrs: { class: 'num' } }, { text: 'p99 ratio', attrs: { class: 'num' } }, 'top fields'],
    rows, 'nothing compared yet'));
}

/** The endpoint's top fields, each with its raw and noise counts; a field's name opens its samples. */
function fieldTable(e) {
  const fields = (e.fields ?? []).slice(0, 12);
  if (fields.length === 0) return '–';
  const count = (v, kind) => h('td', { class: 'num', dataset: { count: kind } }, num(v, 0));
  return table(['field', 'kind', { text: 'raw', attrs: { class: 'num' } }, { text: 'noise', attrs: { class: 'num' } },
    { text: 'rate', attrs: { class: 'num' } }, 'verdict'], fields.map(f => ({
    attrs: { dataset: { field: f.field } },
    cells: [
      h('td', {}, h('button', {
        type: 'button', class: `${f.verdict} mono`, dataset: { field: f.field }, title: `samples differing at ${f.field}`,
        onclick: ev => { ev.stopPropagation(); list(e.endpoint, f.field); },
      }, f.field === '' ? '(the body)' : f.field)),
      f.kind ?? '–', count(f.raw, 'raw'), count(f.noise, 'noise'), h('td', { class: 'num' }, pct(f.rate)),
      h('td', {}, badge(f.verdict.replace('_', ' '), f.verdict)),
    ],
  })));
}

async function list(endpoint, field) {
  const q = new URLSearchParams({ endpoint, limit: SAMPLE_LIMIT });
  if (field) q.set('field', field);
  samples.hidden = false;
  fill(samples, h('p', { class: 'muted' }, 'loading…'));
  const r = await api(`/admin/diffs?${q}`);
  if (!r.ok) {
    fill(samples, h('p', { class: 'error' }, `samples: ${refusal(r)}`));
    return;
  }
  const rows = r.json.diffs.map(d => ({
    attrs: { class: 'clickable', dataset: { sample: d.id }, onclick: ev => {
      samples.querySelectorAll('tr.selected').forEach(tr => tr.classList.remove('selected'));
      ev.currentTarget.classList.add('selected');
      show(d.id);
    } },
    cells: [time(d.time), h('td', { class: 'mono' }, `${d.request.method} ${d.request.uri}`),
      Object.entries(d.sides).map(([name, s]) => `${name} ${s.status ?? s.error}`).join(' · '),
      h('td', { class: 'num' }, d.differences.length), h('td', { class: 'num' }, d.noise?.length ?? 0)],
  }));
  fill(samples, h('h2', {}, `Samples of ${endpoint}${field ? ` at ${field}` : ''}`, ' ',
    h('span', { class: 'muted' }, `(newest ${SAMPLE_LIMIT})`)),
  table(['time', 'request', 'statuses', { text: 'differences', attrs: { class: 'num' } },
    { text: 'noise', attrs: { class: 'num' } }], rows, 'no samples kept'));
}

async function show(id) {
  detail.hidden = false;
  const r = await api(`/admin/diffs/${encodeURIComponent(id)}`);
  if (!r.ok) {
    fill(detail, h('p', { class: 'error' }, `sample: ${refusal(r)}`));
    return;
  }
  const d = r.json;
  const marks = new Map();
  (d.noise ?? []).forEach(x => marks.set(x.path, 'noise'));
  d.differences.forEach(x => marks.set(x.path, 'real'));
  const sides = Object.entries(d.sides).sort(([, a], [, b]) => order(a.role) - order(b.role));
  fill(detail,
    h('div', { class: 'card' }, h('h2', {}, `${d.request.method} ${d.request.uri}`, ' ',
      h('span', { class: 'muted' }, `${d.endpoint} · ${time(d.time)} · route ${d.route}`)),
    table(['path', 'kind', d.primary, d.candidate, ''], [
      ...d.differences.map(x => [h('td', { class: 'mono' }, x.path), x.kind, h('td', { class: 'mono' }, x.primary ?? '–'),
        h('td', { class: 'mono' }, x.candidate ?? '–'), badge('real', 'real')]),
      ...(d.noise ?? []).map(x => [h('td', { class: 'mono' }, x.path), x.kind, h('td', { class: 'mono' }, x.primary ?? '–'),
        h('td', { class: 'mono' }, x.candidate ?? '–'), badge('noise', 'noise')]),
    ], 'no differences')),
    h('div', { class: 'sides' }, sides.map(([name, s]) => side(name, s, marks, d.curl?.[name]))),
    effects(d.effects ?? []));
}

function order(role) {
  return { primary: 0, candidate: 1, secondary: 2 }[role] ?? 3;
}

function side(name, s, marks, curl) {
  const statusMark = marks.get('status');
  return h('div', { class: 'side', dataset: { side: name, role: s.role } },
    h('h3', {}, name, ' ', badge(s.role), ' ', h('span', { class: 'muted' }, `${num(s.millis)} ms`)),
    h('div', { class: statusMark ? 'hl' : null, dataset: { path: 'status' } },
      s.error ? `error: ${s.error}` : `HTTP ${s.status}`),
    h('pre', {}, (s.headers ?? []).map(([k, v]) => {
      const mark = marks.get(`header:${k.toLowerCase()}`);
      return [h('span', { class: mark ? `hl ${mark === 'noise' ? 'noise' : ''}` : null }, `${k}: ${v}`), '\n'];
    })),
    bodyView(s.body, marks),
    s.truncated ? h('p', { class: 'muted' }, 'body truncated in the sample') : null,
    curl ? h('div', { class: 'curl' }, h('code', {}, curl), h('button', { type: 'button', class: 'plain',
      onclick: ev => copy(curl, ev.currentTarget) }, 'Copy')) : null);
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    // No clipboard permission (an http page on another host): select the text for Ctrl-C instead.
    const range = document.createRange();
    range.selectNodeContents(button.previousSibling);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.textContent = 'Selected: Ctrl-C';
  }
}

function effects(list) {
  if (list.length === 0) return null;
  return h('div', { class: 'card' }, h('h2', {}, 'Database rows'), list.map(e => {
    // Row differences may be named from the exchange's side (db:<probe>/0/total); the rows here start at /0.
    const marks = new Map(e.differences.map(x => [x.path.replace(/^db:[^/]*/, ''), 'real']));
    // A difference at the top (a row on one side only: the number of rows differs) marks both lists whole.
    const rows = list => {
      const view = jsonView(list ?? [], marks);
      if (marks.has('')) view.classList.add('hl');
      return view;
    };
    return h('div', {}, h('h3', {}, `probe ${e.probe}`, ' ', h('span', { class: 'muted' },
      `${e.attempts} attempts${e.error ? `, error: ${e.error}` : ''}`)),
    h('div', { class: 'sides' },
      h('div', { class: 'side', dataset: { rows: 'primary' } }, h('h3', {}, 'primary'), rows(e.primaryRows)),
      h('div', { class: 'side', dataset: { rows: 'shadow' } }, h('h3', {}, 'shadow'), rows(e.shadowRows))),
    table(['path', 'kind', 'primary', 'shadow'], e.differences.map(x => [h('td', { class: 'mono' }, x.path), x.kind,
      JSON.stringify(x.primary), JSON.stringify(x.shadow)]), 'rows match'));
  }));
}
