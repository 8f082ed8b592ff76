// Drives the dashboard in Debian's Chromium; run by DashboardTest from target/ui-test, where playwright-core is
// installed. Env: TANDEM_UI_URL (…/ui/), TANDEM_UI_TOKEN, TANDEM_UI_CHROMIUM, TANDEM_UI_OUT (screenshots),
// TANDEM_UI_HISTORY_FROM (epoch ms of a traffic history point with orders traffic, taken before the page opened).
// Exits 0 when every step held, 1 with the step that failed and a screenshot of the page at that moment.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const url = process.env.TANDEM_UI_URL;
const token = process.env.TANDEM_UI_TOKEN;
const out = process.env.TANDEM_UI_OUT ?? '.';
const historyFrom = Number(process.env.TANDEM_UI_HISTORY_FROM);
const WAIT = { timeout: 15000 };

// What a run before this one left must not pass for this run's pictures.
for (const name of ['routes.png', 'traffic.png', 'dashboard.png', 'rows.png', 'cutover.png', 'failure.png']) {
  fs.rmSync(path.join(out, name), { force: true });
}

let step = 'launching Chromium';
const browser = await chromium.launch({
  executablePath: process.env.TANDEM_UI_CHROMIUM ?? '/usr/bin/chromium',
  // launch() gives every run a fresh temporary profile (user-data-dir) of its own and removes it on close.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const problems = [];
page.on('pageerror', e => problems.push(`page error: ${e.message}`));
// Refusals (401 for the wrong token, 400 for the bad weight, 404 without verify:) are answers the page shows;
// what must not happen is a script error or one of the page's own files missing.
page.on('console', m => {
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
});
page.on('response', r => {
  if (new URL(r.url()).pathname.startsWith('/ui/') && r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
});

async function confirm(reason) {
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor({ state: 'visible', ...WAIT });
  await dialog.locator('#confirm-reason').fill(reason);
  await dialog.locator('#confirm-ok').click();
  await dialog.waitFor({ state: 'hidden', ...WAIT });
}

async function notice(text) {
  await page.locator('#notice', { hasText: text }).waitFor(WAIT);
}

async function weightShown(text) {
  await page.locator('.route[data-route="orders"] td[data-field="weight"]', { hasText: text }).waitFor(WAIT);
}

try {
  step = 'the login form, and nothing else, without a token';
  const openedAt = Date.now();
  await page.goto(url);
  await page.locator('#login-form').waitFor(WAIT);
  if (await page.locator('#app').isVisible()) throw new Error('the app is visible before signing in');

  step = 'a wrong token refused';
  await page.fill('#token', 'not-the-token');
  await page.click('#login-form button');
  await page.locator('#login-error', { hasText: 'wrong token' }).waitFor(WAIT);

  step = 'signed in with the token: the route orders shown';
  await page.fill('#token', token);
  await page.click('#login-form button');
  await page.locator('.route[data-route="orders"]').waitFor(WAIT);
  await page.locator('#login').waitFor({ state: 'hidden', ...WAIT });
  if ((await page.evaluate(() => sessionStorage.getItem('tandem.adminToken'))) !== token) {
    throw new Error('the token is not in sessionStorage');
  }

  step = 'the canary weight set to 25 through the form';
  const card = page.locator('.route[data-route="orders"]');
  await card.locator('form[data-action="weight"] input').fill('25');
  await card.locator('form[data-action="weight"] button').click();
  await confirm('first quarter from the dashboard test');
  await notice('canary weight set');
  await weightShown('25%');

  step = 'a weight of 140 refused, with the API\'s reason shown';
  await card.locator('form[data-action="weight"] input').fill('140');
  await card.locator('form[data-action="weight"] button').click();
  await confirm('too much');
  await notice('weight must be between 0 and 100, got 140');
  await weightShown('25%');

  step = 'rolled back';
  await card.locator('button[data-action="rollback"]').click();
  await confirm('rolled back from the dashboard test');
  await notice('rolled back');
  await weightShown('0%');
  await page.locator('table', { hasText: 'rolled back from the dashboard test' }).waitFor(WAIT);

  step = 'a rollout started, paused and aborted, its state shown';
  const rollout = card.locator('form[data-action="rollout"]');
  await rollout.locator('input[name="steps"]').fill('5,10');
  await rollout.locator('input[name="interval"]').fill('1m');
  await rollout.locator('button[type="submit"]').click();
  await confirm('rollout from the dashboard test');
  await notice('rollout started');
  await card.locator('h3', { hasText: 'running' }).waitFor(WAIT);
  await weightShown('5%');
  await rollout.locator('button[data-action="rollout-pause"]').click();
  await confirm('hold on');
  await card.locator('h3', { hasText: 'paused' }).waitFor(WAIT);
  await rollout.locator('button[data-action="rollout-abort"]').click();
  await confirm('enough');
  await notice('rollout aborted');
  await weightShown('0%');
  await rollout.locator('button[data-action="rollout-resume"]').click();
  await confirm('nothing to resume');
  await page.locator('#notice.bad', { hasText: 'Refused: 409' }).waitFor(WAIT);

  step = 'a rollout whose steps are on a timeline, each gate check with its figures';
  await rollout.locator('input[name="steps"]').fill('5,10,15');
  await rollout.locator('input[name="interval"]').fill('1s');
  await rollout.locator('button[type="submit"]').click();
  await confirm('a quick one, to see its checks');
  await notice('rollout started');
  const timeline = card.locator('[data-test="rollout-timeline"]');
  await timeline.locator('li.step', { hasText: 'step 3: 15%' }).waitFor(WAIT);
  const firstCheck = timeline.locator('li.step', { hasText: 'step 1: 5%' }).locator('ul.checks > li').first();
  await firstCheck.waitFor(WAIT);
  const checkText = await firstCheck.textContent();
  if (!/canary \d+ req, .* 5xx, p99 .* ms; primary \d+ req/.test(checkText) || !/(minRequests|errorRate|p99Ratio|diffRate)[^:]*: /.test(checkText)) {
    throw new Error(`a gate check without its figures: ${checkText}`);
  }
  await rollout.locator('button[data-action="rollout-abort"]').click();
  await confirm('seen its checks');
  // It may have completed meanwhile (three 1 s steps): then the abort is refused, and either way it is over.
  await page.locator('#notice', { hasText: /rollout aborted|Refused: 409/ }).waitFor(WAIT);

  step = 'weight 12.5 and mirror 50 set, for the Java test to find through the API';
  await card.locator('form[data-action="weight"] input').fill('12.5');
  await card.locator('form[data-action="weight"] button').click();
  await confirm('an eighth');
  await weightShown('12.5%');
  await card.locator('form[data-action="mirror"] input').fill('50');
  await card.locator('form[data-action="mirror"] button').click();
  await confirm('half the copies');
  await page.locator('.route[data-route="orders"] td[data-field="mirror"]', { hasText: '50%' }).waitFor(WAIT);
  await page.screenshot({ path: path.join(out, 'routes.png'), fullPage: true });

  step = 'the traffic charts drawn (uPlot canvases of non-zero size, with points)';
  await page.click('a[data-tab="traffic"]');
  await page.waitForFunction(() => {
    const canvases = [...document.querySelectorAll('#tab-traffic .uplot canvas')];
    return canvases.length >= 4 && canvases.every(c => c.width > 0 && c.height > 0)
      && Number(/^(\d+) points/.exec(document.getElementById('traffic-status').textContent)?.[1] ?? 0) >= 3;
  }, null, { timeout: 30000 });
  await page.locator('#tab-traffic .u-legend', { hasText: 'orders / candidate' }).first().waitFor(WAIT);

  step = 'the traffic charts start before the page opened, with the server\'s history';
  if (!(historyFrom > 0)) throw new Error('TANDEM_UI_HISTORY_FROM is not set');
  const from = Number(await page.locator('#tab-traffic .charts').getAttribute('data-from'));
  if (!(from <= historyFrom && from < openedAt)) {
    throw new Error(`the charts start at ${new Date(from).toISOString()}, not at the history point `
      + `${new Date(historyFrom).toISOString()} from before the page opened at ${new Date(openedAt).toISOString()}`);
  }
  await page.screenshot({ path: path.join(out, 'traffic.png'), fullPage: true });

  step = 'the mirror ledger of orders balanced';
  await page.click('a[data-tab="mirror"]');
  // Exactly "balanced" on a green badge: "not balanced" must not pass.
  await page.locator('#tab-mirror tr[data-ledger="orders"] .badge.ok', { hasText: /^balanced$/ }).waitFor(WAIT);

  step = 'a dead letter replayed from the page, delivered this time';
  const letter = page.locator('#tab-mirror tr', { hasText: 'POST /orders/50/notes' });
  await letter.locator('td', { hasText: 'shadow answered 503' }).waitFor(WAIT);
  await letter.locator('button', { hasText: 'Replay' }).click();
  await confirm('the candidate takes notes now');
  await notice('Replayed: 1 delivered, 0 duplicate, 0 failed');
  await page.locator('#tab-mirror td', { hasText: 'no dead letters' }).waitFor(WAIT);

  step = 'differences: the endpoint with the renamed field as real';
  await page.click('a[data-tab="diffs"]');
  const endpoint = page.locator('#tab-diffs tr[data-endpoint="GET /orders/{id}"]');
  await endpoint.waitFor(WAIT);

  step = 'the top field\'s raw and noise counts in columns of their own';
  const customer = endpoint.locator('tr[data-field="/customer"]');
  await endpoint.locator('th', { hasText: /^raw$/ }).waitFor(WAIT);
  await endpoint.locator('th', { hasText: /^noise$/ }).waitFor(WAIT);
  const raw = Number((await customer.locator('td[data-count="raw"]').textContent()).replace(/,/g, ''));
  const noise = (await customer.locator('td[data-count="noise"]').textContent()).trim();
  // Every compared GET renames the field (20 before the page opened, more since); no second legacy: no noise.
  if (!(raw >= 20) || noise !== '0') throw new Error(`/customer shows raw ${raw}, noise ${noise}`);
  if (!(await customer.locator('td[data-count="raw"]').isVisible())) throw new Error('the raw count is not visible');
  await endpoint.locator('button.real[data-field="/customer"]').click();

  step = 'a sample: both sides side by side with the differing path highlighted, a curl per side';
  await page.locator('#tab-diffs tr[data-sample]').first().click();
  const primary = page.locator('#tab-diffs .side[data-role="primary"]');
  const candidate = page.locator('#tab-diffs .side[data-role="candidate"]');
  await primary.waitFor(WAIT);
  await candidate.waitFor(WAIT);
  await primary.locator('.hl[data-path="/customer"]').waitFor(WAIT);
  await candidate.locator('.hl[data-path="/customerName"]').waitFor(WAIT);
  await primary.locator('.curl code', { hasText: 'curl -sS -X GET' }).waitFor(WAIT);
  await candidate.locator('.curl code', { hasText: 'curl -sS -X GET' }).waitFor(WAIT);
  const a = await primary.boundingBox();
  const b = await candidate.boundingBox();
  if (!(a && b && Math.abs(a.y - b.y) < 5 && b.x > a.x + a.width - 1)) {
    throw new Error(`the sides are not side by side: ${JSON.stringify({ a, b })}`);
  }
  await page.locator('#tab-diffs .sides').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(out, 'dashboard.png'), fullPage: true });

  step = 'a write\'s sample: the database rows each side has, the primary\'s row missing on the shadow highlighted';
  await page.locator('#tab-diffs tr[data-endpoint="POST /orders/{id}/notes"]').click();
  await page.locator('#tab-diffs tr[data-sample]', { hasText: 'POST /orders/50/notes' }).first().click();
  const primaryRows = page.locator('#tab-diffs [data-rows="primary"]');
  const shadowRows = page.locator('#tab-diffs [data-rows="shadow"]');
  await primaryRows.locator('[data-path="/0/total"]', { hasText: '50' }).waitFor(WAIT);
  // One row against none: the number of rows differs (db:order, array_length), both lists marked whole.
  await primaryRows.locator('pre.hl').waitFor(WAIT);
  await shadowRows.locator('pre.hl').waitFor(WAIT);
  if ((await shadowRows.locator('pre').textContent()).trim() !== '[]') {
    throw new Error(`the shadow has rows for order 50: ${await shadowRows.textContent()}`);
  }
  await page.locator('#tab-diffs td', { hasText: /^db:order$/ }).first().waitFor(WAIT);
  await page.screenshot({ path: path.join(out, 'rows.png'), fullPage: true });

  step = 'cut-over: Verify now, then the verdict with its per-table evidence';
  await page.click('a[data-tab="cutover"]');
  await page.locator('#tab-cutover button', { hasText: 'Verify now' }).click();
  await confirm('before the release meeting');
  const orders = page.locator('#tab-cutover [data-table="orders"]');
  await orders.waitFor(WAIT);
  await page.locator('#tab-cutover h2', { hasText: 'ROLLBACK_RECOMMENDED' }).first().waitFor(WAIT);
  await orders.locator('td', { hasText: '50 / 49' }).waitFor(WAIT);
  await orders.locator('td', { hasText: 'missing_in_shadow' }).first().waitFor(WAIT);

  step = 'a replay report from admin.replayReports, listed with its verdict and opened whole';
  const reportRow = page.locator('#tab-cutover tr[data-report="release-2.json"]');
  await reportRow.waitFor(WAIT);
  if (!/FAIL/.test(await reportRow.textContent())) throw new Error('the report\'s verdict is not shown');
  await reportRow.click();
  const opened = page.locator('#tab-cutover [data-open-report="release-2.json"]');
  await opened.locator('td', { hasText: 'GET /orders/{id}' }).waitFor(WAIT);
  await opened.locator('td', { hasText: '/customer' }).first().waitFor(WAIT);
  await page.screenshot({ path: path.join(out, 'cutover.png'), fullPage: true });

  step = 'the dead-letter replay and Verify now in the audit log, each with its reason';
  await page.click('a[data-tab="routes"]');
  await page.locator('#tab-routes tr', { hasText: 'the candidate takes notes now' }).filter({ hasText: 'dlq_replay' })
    .waitFor(WAIT);
  await page.locator('#tab-routes tr', { hasText: 'before the release meeting' }).filter({ hasText: 'verify_now' })
    .waitFor(WAIT);

  step = 'no errors in the page';
  if (problems.length) throw new Error(problems.join('\n'));

  console.log('dashboard: every step held');
  await browser.close();
} catch (e) {
  // failure.png only: dashboard.png is the success screenshot the README's image is made from.
  const shot = path.join(out, 'failure.png');
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.error(`dashboard: FAILED at "${step}": ${e.message.split('\n')[0]}`);
  if (problems.length) console.error(problems.join('\n'));
  console.error(`screenshot: ${shot}`);
  await browser.close();
  process.exit(1);
}
