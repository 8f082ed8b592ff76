// Everything the page shows from the API goes through textContent, never innerHTML: answers hold user data.

/** h('td', {class: 'num'}, '12') — an element with attributes (on* as listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces what `el` holds. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function num(v, digits = 2) {
  if (v == null || Number.isNaN(v)) return '–';
  return Number(v).toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function pct(v) {
  return v == null ? '–' : `${num(v)}%`;
}

export function time(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

/** A table from column headers and rows of cells; a row may be {cells, attrs}. */
export function table(headers, rows, emptyText = 'none') {
  const head = h('tr', {}, headers.map(c => typeof c === 'string' ? h('th', {}, c) : h('th', c.attrs, c.text)));
  const body = rows.length === 0
    ? [h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, emptyText))]
    : rows.map(r => Array.isArray(r) ? h('tr', {}, r.map(cell)) : h('tr', r.attrs, r.cells.map(cell)));
  return h('table', {}, h('thead', {}, head), h('tbody', {}, body));
}

function cell(c) {
  return c instanceof Node && c.nodeName === 'TD' ? c : h('td', {}, c);
}

export function td(value, cls) {
  return h('td', { class: cls }, value);
}
