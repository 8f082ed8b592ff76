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

export async function refresh() {
  const r = await api('/admin/verify');
  if (r.status === 404) {
    fill(root, h('h1', {}, 'Cut-over'), h('div', { class: 'card' }, h('p', {}, 'No verify: section in the '
      + 'configuration, so no database verification runs here.'), h('p', { class: 'muted' }, r.json?.message ?? '')));
    return;
  }
  if (!r.ok) {
    fill(root, h('h1', {}, 'Cut-over'), h('p', { class: 'error' }, `verify: ${refusal(r)}`));
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
      verdictBadge(x.verdict)]), 'none kept')));
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
  const r = await api('/admin/verify', { method: 'POST' });
  notify(r.ok ? r.json.message : `Refused: ${refusal(r)}`, !r.ok);
  await refresh();
}
