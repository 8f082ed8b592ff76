import { h } from './dom.js';

/**
 * A JSON value pretty-printed as a tree of spans, each member carrying its JSON Pointer in data-path; members whose
 * pointer is in `marks` (pointer -> 'real' | 'noise') are highlighted.
 */
export function jsonView(value, marks) {
  return h('pre', { class: 'json' }, node(value, '', marks, ''));
}

function node(value, path, marks, indent) {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return ['[\n', value.map((v, i) => [inner, member(null, v, `${path}/${i}`, marks, inner),
      i < value.length - 1 ? ',\n' : '\n']), indent, ']'];
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return ['{\n', entries.map(([k, v], i) => [inner, member(k, v, `${path}/${escape(k)}`, marks, inner),
      i < entries.length - 1 ? ',\n' : '\n']), indent, '}'];
  }
  const cls = typeof value === 'string' ? 'str' : typeof value === 'number' ? 'num' : 'lit';
  return h('span', { class: cls }, JSON.stringify(value));
}

function member(key, value, path, marks, indent) {
  const mark = marks.get(path);
  return h('span', { dataset: { path }, class: mark ? `hl ${mark === 'noise' ? 'noise' : ''}` : null },
    key == null ? null : [h('span', { class: 'key' }, JSON.stringify(key)), ': '], node(value, path, marks, indent));
}

function escape(key) {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The body as a tree when it is JSON, else as text, highlighted as a whole when `wholeMark`. */
export function bodyView(body, marks) {
  if (body == null || body === '') return h('pre', { class: 'muted' }, '(no body)');
  try {
    return jsonView(JSON.parse(body), marks);
  } catch {
    return h('pre', { class: marks.size ? 'hl' : null }, body);
  }
}
