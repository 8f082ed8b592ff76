import { api, refusal } from './api.js';
import { confirmAction, notify } from './confirm.js';
import { badge, fill, h, num, pct, table, time } from './dom.js';

const DONE = { pause: 'paused', resume: 'resumed', abort: 'aborted' };

let root;
let cards; // route name -> {figures, rollout} elements, built once so typing in a form survives a refresh
let list;
let audit;

export function mount(el) {
  root = el;
  cards = new Map();
  list = h('div');
  audit = h('div', { class: 'card' });
  fill(root, h('h1', {}, 'Routes'), list, h('h2', {}, 'Audit log'), audit);
}

export async function refresh() {
  const [r, a] = await Promise.all([api('/admin/routes'), api('/admin/audit?limit=50')]);
  if (!r.ok) {
    fill(list, h('p', { class: 'error' }, `routes: ${refusal(r)}`));
  } else {
    await Promise.all(r.json.routes.map(route => render(route)));
  }
  fill(audit, a.ok ? auditTable(a.json.entries) : h('p', { class: 'error' }, `audit: ${refusal(a)}`));
}

async function render(route) {
  let card = cards.get(route.name);
  if (!card) {
    card = build(route);
    cards.set(route.name, card);
    list.append(card.el);
  }
  fill(card.figures, figures(route));
  if (route.canary) {
    const ro = await api(`/admin/routes/${encodeURIComponent(route.name)}/rollout`);
    fill(card.rollout, ro.ok ? rollout(ro.json) : h('p', { class: 'error' }, `rollout: ${refusal(ro)}`));
  }
}

function figures(route) {
  const c = route.canary;
  const m = route.mirror;
  const n = text => ({ text, attrs: { class: 'num' } });
  return table(['primary', 'canary', n('weight'), n('configured'), 'rollout', 'mirror to', n('mirror %'), 'compare'], [[
    route.primary,
    c ? c.backend : '–',
    h('td', { class: 'num', dataset: { field: 'weight' } }, c ? pct(c.weight) : '–'),
    h('td', { class: 'num' }, c ? pct(c.configuredWeight) : '–'),
    c ? badge(c.rollout, c.rollout === 'running' ? 'warn' : '') : '–',
    m ? m.backend : '–',
    h('td', { class: 'num', dataset: { field: 'mirror' } }, m ? pct(m.percent) : '–'),
    m ? (m.compare ? 'yes' : 'no') : '–',
  ]]);
}

function build(route) {
  const name = route.name;
  const path = `/admin/routes/${encodeURIComponent(name)}`;
  const figuresEl = h('div');
  const rolloutEl = h('div');
  const forms = h('div', { class: 'forms' });
  if (route.canary) {
    const weight = h('input', { class: 'short', name: 'weight', inputmode: 'decimal', placeholder: '12.5',
      'aria-label': `canary weight of ${name}` });
    forms.append(h('form', { 'data-action': 'weight', onsubmit: e => {
      e.preventDefault();
      act(`Set the canary weight of ${name} to ${weight.value}%?`, 'PUT', `${path}/canary`,
        { weight: number(weight.value) }, `${name}: canary weight set`);
    } }, h('label', {}, 'weight %'), weight, h('button', { type: 'submit' }, 'Set weight')));
    forms.append(h('button', { type: 'button', class: 'danger', 'data-action': 'rollback', onclick: () =>
      act(`Roll back ${name}?`, 'POST', `${path}/rollback`, {}, `${name}: rolled back, canary weight 0%`,
        'Every user goes back to the primary; a running rollout stops.') }, 'Roll back'));
  }
  if (route.mirror) {
    const percent = h('input', { class: 'short', name: 'percent', inputmode: 'decimal', placeholder: '50',
      'aria-label': `mirror percent of ${name}` });
    forms.append(h('form', { 'data-action': 'mirror', onsubmit: e => {
      e.preventDefault();
      act(`Mirror ${percent.value}% of ${name}'s requests?`, 'PUT', `${path}/mirror`,
        { percent: number(percent.value) }, `${name}: mirror percent set`);
    } }, h('label', {}, 'mirror %'), percent, h('button', { type: 'submit' }, 'Set mirror')));
  }
  if (route.canary) {
    const steps = h('input', { name: 'steps', placeholder: 'declared, or 5,10,25,50,100', size: 22 });
    const interval = h('input', { class: 'short', name: 'interval', placeholder: '5m' });
    const start = e => {
      e.preventDefault();
      const body = {};
      if (steps.value.trim()) body.steps = steps.value.split(',').map(number);
      if (interval.value.trim()) body.interval = interval.value.trim();
      act(`Start a rollout of ${name}?`, 'POST', `${path}/rollout`, body, `${name}: rollout started`,
        body.steps ? `steps ${body.steps.join(', ')}%` : 'with the steps declared in the configuration');
    };
    const control = action => h('button', { type: 'button', class: 'plain', 'data-action': `rollout-${action}`,
      onclick: () => act(`${action[0].toUpperCase()}${action.slice(1)} the rollout of ${name}?`, 'POST',
        `${path}/rollout/${action}`, {}, `${name}: rollout ${DONE[action]}`) }, action);
    forms.append(h('form', { 'data-action': 'rollout', onsubmit: start }, h('label', {}, 'rollout'), steps,
      interval, h('button', { type: 'submit' }, 'Start'), control('pause'), control('resume'), control('abort')));
  }
  const el = h('div', { class: 'card route', dataset: { route: name } }, h('h2', {}, name), figuresEl, forms,
    rolloutEl);
  return { el, figures: figuresEl, rollout: rolloutEl };
}

/** A number when the text is one; otherwise the text itself, for the API to refuse by name. */
function number(text) {
  const t = String(text).trim();
  return t !== '' && !Number.isNaN(Number(t)) ? Number(t) : t;
}

async function act(question, method, path, body, done, detail = '') {
  const reason = await confirmAction(question, detail);
  if (reason == null) return;
  const r = await api(path, { method, body: { ...body, reason } });
  if (r.ok) notify(done);
  else notify(`Refused: ${refusal(r)}`, true);
  await refresh();
}

function rollout(ro) {
  if (ro.status === 'none') return h('p', { class: 'muted' }, 'No rollout has run on this route.');
  const check = ro.lastCheck;
  return h('div', {},
    h('h3', {}, 'Rollout ', badge(ro.status, ro.status === 'running' ? 'warn'
      : ro.status === 'completed' ? 'ok' : ro.status === 'rolled_back' ? 'bad' : '')),
    h('p', {}, `step ${ro.step} of ${ro.steps} (${pct(ro.weight)}; now ${pct(ro.currentWeight)}), plan `,
      (ro.plan?.steps ?? []).map(pct).join(' → '), `, every ${ro.plan?.interval ?? '–'}; started by `,
      ro.startedBy ?? '–', ' at ', time(ro.startedAt)),
    ro.endedReason ? h('p', {}, 'ended: ', ro.endedReason) : null,
    check ? h('div', {},
      h('p', {}, 'last check at ', time(check.time), ' (step ', check.step, '): ', badge(check.verdict,
        check.verdict === 'pass' ? 'ok' : check.verdict === 'fail' ? 'bad' : 'warn')),
      h('ul', { class: 'gates' }, check.gates.map(g => h('li', {}, badge(g.result,
        g.result === 'pass' ? 'ok' : g.result === 'fail' ? 'bad' : 'warn'), ' ', g.gate, ': ', g.detail))),
      table(['side', 'requests', 'errors', '5xx rate', 'p99'], ['canary', 'primary']
        .filter(s => check[s]).map(s => [s, td(num(check[s].requests, 0)), td(num(check[s].errors, 0)),
          td(pct(check[s].errorRatePercent)), td(`${num(check[s].p99Millis)} ms`)]))) : null,
    timeline(ro));
}

/** The plan's steps in order, each with the gate checks made at it (the rollout's history, oldest first). */
function timeline(ro) {
  const steps = ro.plan?.steps ?? [];
  const checks = ro.history ?? [];
  const ended = ro.status !== 'running' && ro.status !== 'paused';
  return h('ol', { class: 'timeline', 'data-test': 'rollout-timeline' }, steps.map((weight, i) => {
    const n = i + 1;
    const state = n < ro.step || (ro.status === 'completed' && n <= ro.step) ? 'done'
      : n === ro.step ? (ended ? ro.status : ro.status === 'paused' ? 'paused' : 'current') : 'pending';
    const here = checks.filter(c => c.step === n);
    return h('li', { class: `step ${state}` },
      h('strong', {}, `step ${n}: ${pct(weight)}`), ' ', badge(state.replace('_', ' '),
        state === 'done' || state === 'completed' ? 'ok' : state === 'rolled_back' || state === 'aborted' ? 'bad'
          : state === 'pending' ? '' : 'warn'),
      here.length ? h('ul', { class: 'checks' }, here.map(c => h('li', {},
        time(c.time), ' ', badge(c.verdict, c.verdict === 'pass' ? 'ok' : c.verdict === 'fail' ? 'bad' : 'warn'),
        ' canary ', num(c.canary?.requests, 0), ' req, ', pct(c.canary?.errorRatePercent), ' 5xx, p99 ',
        num(c.canary?.p99Millis), ' ms; primary ', num(c.primary?.requests, 0), ' req, ',
        pct(c.primary?.errorRatePercent), ' 5xx, p99 ', num(c.primary?.p99Millis), ' ms',
        h('ul', { class: 'gates' }, (c.gates ?? []).map(g => h('li', {}, badge(g.result,
          g.result === 'pass' ? 'ok' : g.result === 'fail' ? 'bad' : 'warn'), ' ', g.gate, ': ', g.detail))))))
        : h('span', { class: 'muted' }, state === 'pending' ? ' not reached' : ' no check yet'));
  }));
}

function td(text) {
  return h('td', { class: 'num' }, text);
}

function change(v) {
  if (v == null) return '–';
  return Object.entries(v).map(([k, x]) => `${k} ${typeof x === 'object' ? JSON.stringify(x) : x}`).join(', ');
}

function auditTable(entries) {
  return table(['time', 'caller', 'route', 'action', 'old', 'new', 'reason'], entries.map(e => [
    time(e.time), e.caller, e.route ?? '–', e.action, change(e.old), change(e.new), e.reason ?? '',
  ]), 'no changes yet');
}
