import { api, refusal } from './api.js';
import { confirmAction, notify } from './confirm.js';
import { badge, fill, h, num, table, time } from './dom.js';

const LEDGER = ['eligible', 'sent', 'skipped', 'rate_limited', 'dropped_queue_full', 'delivered', 'duplicate',
  'dead_lettered', 'failed', 'timeout', 'in_flight'];

let ledger;
let letters;

export function mount(el) {
  ledger = h('div', { class: 'card' });
  letters = h('div', { class: 'card' });
  fill(el, h('h1', {}, 'Mirror'),
    h('p', { class: 'muted' }, 'eligible = sent + skipped + rate_limited + dropped_queue_full; sent = delivered + '
      + 'duplicate + dead_lettered + failed + timeout + in_flight'),
    ledger, h('h2', {}, 'Dead letters'), letters);
}

export async function refresh() {
  const [stats, dlq] = await Promise.all([api('/admin/mirror/stats'), api('/admin/dlq')]);
  fill(ledger, stats.ok ? ledgerTable(stats.json.routes) : h('p', { class: 'error' }, `ledger: ${refusal(stats)}`));
  fill(letters, dlq.ok ? letterList(dlq.json.deadLetters) : h('p', { class: 'error' }, `dead letters: ${refusal(dlq)}`));
}

function ledgerTable(routes) {
  const rows = Object.entries(routes).map(([name, l]) => ({ attrs: { dataset: { ledger: name } }, cells: [name,
    ...LEDGER.map(k => h('td', { class: 'num' }, num(l[k], 0))),
    l.balanced ? badge('balanced', 'ok') : badge('not balanced', 'bad')] }));
  return table(['route', ...LEDGER.map(k => ({ text: k.replaceAll('_', ' '), attrs: { class: 'num' } })), ''], rows,
    'no route mirrors');
}

function letterList(list) {
  const all = h('button', { type: 'button', disabled: list.length === 0, onclick: () => replay({ all: true },
    `Replay all ${list.length} dead letters?`) }, 'Replay all');
  const rows = list.map(d => [time(d.time), d.route, d.backend, h('td', { class: 'mono' }, `${d.method} ${d.uri}`),
    d.reason, h('td', { class: 'mono' }, d.idempotencyKey ?? '–'),
    h('button', { type: 'button', class: 'plain', onclick: () => replay({ ids: [d.id] },
      `Replay ${d.method} ${d.uri}?`) }, 'Replay')]);
  return h('div', {}, h('p', {}, `${list.length} unresolved `, all),
    table(['time', 'route', 'backend', 'request', 'reason', 'idempotency key', ''], rows, 'no dead letters'));
}

async function replay(body, question) {
  const reason = await confirmAction(question, 'Sent again to the shadow under the same Idempotency-Key.');
  if (reason == null) return;
  const r = await api('/admin/dlq/replay', { method: 'POST', body: { ...body, reason } });
  if (r.ok) {
    const problems = r.json.problems?.length ? `; ${r.json.problems.join('; ')}` : '';
    notify(`Replayed: ${r.json.delivered} delivered, ${r.json.duplicate} duplicate, ${r.json.failed} failed${problems}`,
      r.json.failed > 0);
  } else {
    notify(`Refused: ${refusal(r)}`, true);
  }
  await refresh();
}
