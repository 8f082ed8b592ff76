import { api, token, UNAUTHORIZED, refusal } from './api.js';
import * as routes from './routes.js';
import * as traffic from './traffic.js';
import * as mirror from './mirror.js';
import * as diffs from './diffs.js';
import * as cutover from './cutover.js';

const SECTIONS = { routes, traffic, mirror, diffs, cutover };
const REFRESH_MS = 5000;
const TRAFFIC_MS = 3000;

let timers = [];

async function signIn(candidate) {
  // Any authenticated read tells a good token from a wrong one; the routes are needed first anyway.
  const r = await api('/admin/routes', { bearer: candidate });
  if (r.status === 401) return 'wrong token';
  if (!r.ok) return `the admin API refused: ${refusal(r)}`;
  token.set(candidate);
  return null;
}

function showLogin(message = '') {
  timers.forEach(clearInterval);
  timers = [];
  token.clear();
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message;
  document.getElementById('token').value = '';
  document.getElementById('token').focus();
}

function current() {
  const name = location.hash.slice(1);
  return SECTIONS[name] ? name : 'routes';
}

function showTab() {
  const name = current();
  for (const el of document.querySelectorAll('main > section')) el.hidden = el.dataset.section !== name;
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.dataset.tab === name);
  refreshCurrent();
}

async function refreshCurrent() {
  const name = current();
  await SECTIONS[name].refresh();
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function showApp() {
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  for (const [name, section] of Object.entries(SECTIONS)) {
    section.mount(document.getElementById(`tab-${name}`));
  }
  showTab();
  // The traffic history is read whichever tab is open (whole now, then what is new), so the charts are current when
  // one turns to them.
  traffic.poll();
  timers.push(setInterval(() => traffic.poll(), TRAFFIC_MS));
  timers.push(setInterval(() => {
    if (current() !== 'traffic') refreshCurrent();
  }, REFRESH_MS));
}

document.getElementById('login-form').addEventListener('submit', async e => {
  e.preventDefault();
  const button = e.target.querySelector('button');
  button.disabled = true;
  const problem = await signIn(document.getElementById('token').value.trim());
  button.disabled = false;
  if (problem) {
    document.getElementById('login-error').textContent = problem;
  } else {
    showApp();
  }
});
document.getElementById('logout').addEventListener('click', () => showLogin());
window.addEventListener(UNAUTHORIZED, () => showLogin('the token is no longer accepted; sign in again'));
window.addEventListener('hashchange', showTab);

const saved = token.get();
if (saved) {
  signIn(saved).then(problem => (problem ? showLogin(problem) : showApp()));
} else {
  showLogin();
}
