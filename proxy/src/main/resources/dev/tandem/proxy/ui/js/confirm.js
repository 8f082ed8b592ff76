import { h } from './dom.js';

/**
 * Asks before a change: resolves to the reason typed in, or null when cancelled. One dialog for every action, so
 * that nothing changes a route without a reason in the audit log.
 */
export function confirmAction(title, text) {
  const dialog = document.getElementById('confirm');
  const form = document.getElementById('confirm-form');
  const reason = document.getElementById('confirm-reason');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  reason.value = '';
  return new Promise(resolve => {
    const done = value => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      dialog.close();
      resolve(value);
    };
    const onSubmit = e => { e.preventDefault(); if (reason.value.trim()) done(reason.value.trim()); };
    const onCancel = e => { e.preventDefault(); done(null); };
    const cancel = document.getElementById('confirm-cancel');
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    reason.focus();
  });
}

/** Shows a line under the header: what an action did, or why the API refused it. */
export function notify(message, bad = false) {
  const el = document.getElementById('notice');
  el.replaceChildren(h('span', {}, message));
  el.className = bad ? 'notice bad' : 'notice';
  el.hidden = false;
}
