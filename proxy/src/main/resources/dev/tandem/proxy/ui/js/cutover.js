import { api, refusal } from './api.js';
import { confirmAction, notify } from './confirm.js';
import { badge, fill, h, num, pct, table, time } from './dom.js';

const FINDINGS_SHOWN = 20;

let root;

export function mount(el) {
  root = el;
  fill(root, h('h1', {}, 'Cut-over'), h('p', { class: 'muted' }, 'loading…'));
}

function verdictBadge(v) {
  return badge(v ?? '–', v === 'READY_FOR_CUTOVER' ? 'ok' : v === 'ROLLBACK_RECOMMENDED' ? 'bad' : 'warn');
}

let openReport = null; // the name of the replay report shown whole, if any

export async function refresh() {
  const [r, reports] = await Promise.all([api('/admin/verify'), api('/admin/replay/reports')]);
  const replays = await replaySection(reports);
  if (r.status === 404) {
    fill(root, h('h1', {}, 'Cut-over'), h('div', { class: 'card' }, h('p', {}, 'No verify: section in the '
      + 'configuration, so no database verification runs here.'), h('p', { class: 'muted' }, r.json?.message ?? '')),
    replays);
    return;
  }
  if (!r.ok) {
    fill(root, h('h1', {}, 'Cut-over'), h('p', { class: 'error' }, `verify: ${refusal(r)}`), replays);
    return;
  }
  const v = r.json;
  const latest = v.latest;
  const run = h('button', { type: 'button', disabled: v.running, onclick: verifyNow }, v.running ? 'verifying…'
    : 'Verify now');
  fill(root, h('h1', {}, 'Cut-over'),
    h('div', { class: 'card' },
      latest ? h('h2', {}, verdictBadge(latest.verdict), ' ', h('span', { class: 'muted' }, `at ${time(latest.time)}`))
        : h('p', {}, 'No verdict yet.'),
      h('p', {}, run, ' ', v.schedule ? `scheduled every ${v.schedule}` : 'not scheduled',
        v.lastError ? h('span', { class: 'error' }, ` last run failed: ${v.lastError}`) : null),
      latest ? h('ul', {}, latest.reasons.map(x => h('li', {}, x))) : null,
      latest ? h('p', { class: 'muted' }, `response difference rate ${pct(latest.responseDiffRate)}; thresholds: `
        + Object.entries(latest.thresholds ?? {}).map(([k, x]) => `${k} ${x}`).join(', ')) : null),
    latest ? tables(latest) : null,
    latest?.evidence?.locks ? locks(latest.evidence.locks) : null,
    h('h2', {}, 'Recent verdicts'),
    h('div', { class: 'card' }, table(['time', 'verdict'], (v.history?.recent ?? []).map(x => [time(x.time),
      verdictBadge(x.verdict)]), 'none kept')),
    replays);
}

function replayBadge(v) {
  return badge(v ?? 'unreadable', v === 'PASS' ? 'ok' : v === 'FAIL' ? 'bad' : 'warn');
}

/** The reports tandem replay --report wrote into admin.replayReports, newest first; one opened whole. */
async function replaySection(r) {
  const head = h('h2', {}, 'Replay reports');
  if (r.status === 404) {
    return h('div', {}, head, h('div', { class: 'card' }, h('p', { class: 'muted' }, r.json?.message ?? 'none')));
  }
  if (!r.ok) return h('div', {}, head, h('p', { class: 'error' }, `replay reports: ${refusal(r)}`));
  const rows = r.json.reports.map(x => {
    const t = x.totals ?? {};
    const row = h('tr', { class: 'clickable', dataset: { report: x.name }, onclick: () => { openReport = x.name;
      refresh(); } },
    h('td', { class: 'mono' }, x.name), h('td', {}, time(x.modified)), h('td', {}, replayBadge(x.verdict)),
    h('td', { class: 'num' }, num(t.sent, 0)), h('td', { class: 'num' }, pct(t.diffRate)),
    h('td', { class: 'num' }, pct(t.errorRate)), h('td', {}, x.error ?? (x.reasons ?? []).join('; ')));
    return row;
  });
  const list = h('table', {}, h('thead', {}, h('tr', {}, ['report', 'written', 'verdict', 'sent', 'differing',
    'errors', 'why'].map(c => h('th', {}, c)))), h('tbody', {}, rows.length ? rows
    : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'no report yet'))));
  let whole = null;
  if (openReport) {
    const one = await api(`/admin/replay/reports/${encodeURIComponent(openReport)}`);
    whole = one.ok ? report(one.json) : h('p', { class: 'error' }, `${openReport}: ${refusal(one)}`);
  }
  return h('div', {}, head, h('div', { class: 'card' }, h('p', { class: 'muted' }, `in ${r.json.dir}`,
    r.json.total > r.json.reports.length ? ` (newest ${r.json.reports.length} of ${r.json.total})` : ''), list),
  whole);
}

function report(x) {
  const t = x.totals ?? {};
  return h('div', { class: 'card', dataset: { openReport: x.name } },
    h('h3', {}, x.name, ' ', replayBadge(x.verdict)),
    h('ul', {}, (x.reasons ?? []).map(y => h('li', {}, y))),
    h('p', {}, `${num(t.sent, 0)} sent in ${num(t.seconds)} s, ${num(t.compared, 0)} compared, `
      + `${num(t.differing, 0)} differing (${pct(t.diffRate)}), ${num(t.noise, 0)} only in noise, `
      + `${num(t.errors, 0)} errors (${pct(t.errorRate)})`),
    table(['endpoint', 'compared', 'differing', 'rate', 'top fields'], (x.endpoints ?? []).map(e => [
      h('td', { class: 'mono' }, e.endpoint), num(e.compared, 0), num(e.differing, 0), pct(e.diffRate),
      (e.fields ?? []).slice(0, 5).map(f => `${f.field} (${f.kind}, ${pct(f.rate)})`).join(', ')]),
    'no endpoint compared'));
}

function tables(latest) {
  const evidence = new Map((latest.evidence?.tables ?? []).map(t => [t.table, t]));
  return h('div', {}, h('h2', {}, 'Per table'), latest.tables.map(t => {
    const e = evidence.get(t.table) ?? {};
    return h('div', { class: 'card', dataset: { table: t.table } },
      h('h3', {}, t.table, ' ', verdictBadge(t.verdict)),
      table(['rows (primary / shadow)', 'in sync', 'divergent', 'escalated', 'clean streak', 'chunks (differing)',
        'rows transferred'], [[`${num(e.primaryRows, 0)} / ${num(e.shadowRows, 0)}`, pct(t.syncPercent),
        num(t.divergentRows, 0), num(t.escalatedRows, 0), num(t.cleanStreak, 0),
        `${num(e.chunks, 0)} (${num(e.chunksDiffering, 0)})`, num(e.rowsTransferred, 0)]]),
      e.counts ? h('p', {}, Object.entries(e.counts).map(([k, n]) => `${k.replaceAll('_', ' ')} ${n}`).join(' · '))
        : null,
      (e.notes ?? []).map(n => h('p', { class: 'muted' }, 'note: ', n)),
      e.findings?.length ? table(['class', 'key', 'columns (primary → shadow)', 'streak'],
        e.findings.slice(0, FINDINGS_SHOWN).map(f => [f.class, h('td', { class: 'mono' }, JSON.stringify(f.key)),
          (f.columns ?? []).map(c => `${c.column}: ${c.primary} → ${c.shadow}`).join('; '),
          `${f.streak}${f.escalated ? ' (escalated)' : ''}`])) : null,
      e.findings?.length > FINDINGS_SHOWN ? h('p', { class: 'muted' },
        `and ${e.findings.length - FINDINGS_SHOWN} more findings`) : null);
  }));
}

function locks(l) {
  const longest = l.longest;
  return h('div', { class: 'card' }, h('h3', {}, 'Lock watch'),
    h('p', {}, `${l.samples} samples, ${l.samplesWithWaits} with sessions waiting on locks`),
    longest ? h('pre', {}, JSON.stringify(longest, null, 2)) : null);
}

async function verifyNow() {
  const reason = await confirmAction('Verify the databases now?', 'Compares every configured table once.');
  if (reason == null) return;
  const r = await api('/admin/verify', { method: 'POST', body: { reason } });
  notify(r.ok ? r.json.message : `Refused: ${refusal(r)}`, !r.ok);
  await refresh();
}
