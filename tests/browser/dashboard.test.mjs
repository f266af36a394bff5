// Browser tests of the dashboard: Debian's Chromium driven by playwright-core,
// against the real cronq binary started here on 127.0.0.1. Nothing leaves
// loopback (the Chromium flags below are TOOLCHAIN.md's, as they are).
//
//   CRONQ_BINARY=build/src/cli/cronq node --test tests/browser/dashboard.test.mjs
//   CRONQ_SCREENSHOT_DIR=docs/screenshots ...   also saves the main pages as PNGs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const work = mkdtempSync(path.join(tmpdir(), 'cronq-browser-'));
process.env.TMPDIR = work;  // Chromium and Playwright leave their files here, removed at the end
process.env.HOME = work;
const { chromium } = await import('playwright-core');

const BINARY = process.env.CRONQ_BINARY;
const SHOTS = process.env.CRONQ_SCREENSHOT_DIR || '';
const ADMIN = 'admin-secret-0123456789abcdef';
const READ = 'read-secret-0123456789abcdef';
const WORKER = 'worker-secret-0123456789abcd';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=NetworkTimeServiceQuerying',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];
const T = 15000;  // generous waits for a loaded 2-core machine

let server = null, base = '', browser = null, profiles = 0;

function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn(BINARY, ['--data', path.join(work, 'data'), 'serve', '--listen', '127.0.0.1:0',
                             '--config', path.join(work, 'cronq.toml'), '--log-level', 'warn'],
                    { env: { ...process.env, CRONQ_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('cronq did not start: ' + out)), T);
    p.stdout.on('data', d => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve({ p, url: m[1] }); }
    });
    p.on('exit', code => { clearTimeout(timer); reject(new Error(`cronq exited with ${code}: ${out}`)); });
  });
}

function stopServer() {
  return new Promise(resolve => {
    if (!server) return resolve();
    server.p.removeAllListeners('exit');
    server.p.on('exit', () => resolve());
    server.p.kill('SIGTERM');  // our own child, by its PID
    server = null;
  });
}

async function call(method, p, body, token = ADMIN) {
  const res = await fetch(base + p, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
                                      body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function until(fn, what) {
  const end = Date.now() + T;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise(r => setTimeout(r, 50));
  }
}

// A fresh browser profile, logged in with `token`.
async function loggedIn(token) {
  const ctx = await chromium.launchPersistentContext(path.join(work, `profile-${profiles++}`), {
    executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 }, env: { ...process.env, TMPDIR: work, HOME: work },
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('dialog', d => d.accept());  // confirmations of destructive actions
  await page.goto(base + '/ui/');
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('#who:not([hidden])', { timeout: T });
  return { ctx, page };
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

before(async () => {
  assert.ok(BINARY, 'set CRONQ_BINARY to the cronq binary');
  writeFileSync(path.join(work, 'cronq.toml'),
    `[[tokens]]\nname = "grafana"\ntoken = "${READ}"\nscope = "read"\n` +
    `[[tokens]]\nname = "runner"\ntoken = "${WORKER}"\nscope = "worker"\n`);
  server = await startServer();
  base = server.url;
  // A schedule that fires every second; cronq then stops for 3 s, so slots are
  // missed (policy "skip"), and the restart records them.
  assert.equal((await call('PUT', '/v1/schedules/heartbeat', {
    cron: '* * * * * *', missed: 'skip', target: { queue: 'beats', name: 'beat' } })).status, 200);
  await until(async () => (await call('GET', '/v1/schedules/heartbeat')).json.history.length >= 1, 'a first slot');
  await stopServer();
  await new Promise(r => setTimeout(r, 3000));
  server = await startServer();
  base = server.url;
  await until(async () => (await call('GET', '/v1/schedules/heartbeat')).json.history.some(s => s.status === 'missed'),
              'a missed slot');
  assert.equal((await call('POST', '/v1/schedules/heartbeat/pause')).status, 200);
  browser = true;
});

after(async () => {
  await stopServer();
  rmSync(work, { recursive: true, force: true });
});

test('log in, then counts move while jobs are enqueued', async () => {
  const { ctx, page } = await loggedIn(ADMIN);
  try {
    await call('POST', '/v1/queues/live/jobs', { name: 'first' });
    await page.waitForSelector('tr[data-queue="live"]', { timeout: T });
    await page.evaluate(() => { window.__sameDocument = true; });
    const waiting = () => page.textContent('tr[data-queue="live"] [data-count="waiting"]');
    const before = Number(await waiting());
    for (let i = 0; i < 5; i++) await call('POST', '/v1/queues/live/jobs', { name: `job-${i}` });
    await until(async () => Number(await waiting()) === before + 5, 'the waiting count to move');
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'updated live, without a reload');
  } finally { await ctx.close(); }
});

test('find a failed job by its error text, retry it, watch it complete', async () => {
  for (let i = 0; i < 3; i++) await call('POST', '/v1/queues/mail/jobs', { name: `welcome-${i}`, data: { to: `user${i}@example.com` } });
  const { json } = await call('POST', '/v1/queues/mail/fetch', { max: 3 }, WORKER);
  assert.equal(json.jobs.length, 3);
  const target = json.jobs[1];
  for (const j of json.jobs) {
    const message = j.id === target.id ? 'SMTP 451 greylisted by mx7' : 'connection reset';
    await call('POST', `/v1/queues/mail/jobs/${j.id}/fail`, { token: j.token, error: { message, stack: 'at send (mail.js:12)' } }, WORKER);
  }
  const { ctx, page } = await loggedIn(ADMIN);
  try {
    await page.goto(base + '/ui/#/queues/mail');
    await page.fill('input[name=q]', 'greylisted');
    await page.click('form.search button[type=submit]');
    await page.waitForSelector(`tr[data-job="${target.id}"]`, { timeout: T });
    assert.equal(await page.locator('tr[data-job]').count(), 1, 'only the job whose error matches');
    assert.equal((await page.textContent('main h1')).trim(), 'Queue mail');
    assert.doesNotMatch(await page.textContent('main'), /null|undefined/);
    await shot(page, 'queue');
    await page.click(`tr[data-job="${target.id}"] a`);
    await page.waitForSelector('text=SMTP 451 greylisted by mx7', { timeout: T });
    await page.click('button:has-text("Retry")');
    await page.waitForSelector('h1 .s-waiting', { timeout: T });
    // A worker takes it and completes it; the open page follows through the event stream.
    const got = await until(async () => {
      const r = await call('POST', '/v1/queues/mail/fetch', { max: 1 }, WORKER);
      return r.json.jobs.length ? r.json.jobs[0] : null;
    }, 'the retried job');
    assert.equal(got.id, target.id);
    await call('POST', `/v1/queues/mail/jobs/${got.id}/complete`, { token: got.token, result: { delivered: true } }, WORKER);
    await page.waitForSelector('h1 .s-completed', { timeout: T });
    assert.match(await page.textContent('[data-field=result]'), /"delivered": true/);
    await shot(page, 'job');
  } finally { await ctx.close(); }
});

test('a read-only user sees no action', async () => {
  const { ctx, page } = await loggedIn(READ);
  try {
    assert.match(await page.textContent('#who-name'), /\(read\)/);
    await page.waitForSelector('tr[data-queue="mail"]', { timeout: T });
    assert.equal(await page.locator('main button').count(), 0, 'no button on the overview');
    await page.goto(base + '/ui/#/queues/mail?state=failed');
    await page.waitForSelector('tr[data-job]', { timeout: T });
    assert.equal(await page.locator('main button').count(), 1, 'only the search button');
    await page.goto(base + '/ui/#/schedules/heartbeat');
    await page.waitForSelector('text=Slot history', { timeout: T });
    assert.equal(await page.locator('main button').count(), 0);
    // And the API refuses the session even when the page is bypassed.
    const status = await page.evaluate(async () => {
      const me = await (await fetch('/v1/session')).json();
      const r = await fetch('/v1/queues/mail/retry-failed', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf } });
      return r.status;
    });
    assert.equal(status, 403);
  } finally { await ctx.close(); }
});

test('a request without the CSRF token is refused', async () => {
  const { ctx, page } = await loggedIn(ADMIN);
  try {
    const [without, withToken] = await page.evaluate(async () => {
      const a = await fetch('/v1/queues/csrf-check/pause', { method: 'POST' });
      const me = await (await fetch('/v1/session')).json();
      const b = await fetch('/v1/queues/csrf-check/pause', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf } });
      return [a.status, b.status];
    });
    assert.equal(without, 403);
    assert.equal(withToken, 200);
    const audit = await call('GET', '/v1/audit?limit=1');
    assert.equal(audit.json.entries[0].action, 'queue.pause');
    assert.equal(audit.json.entries[0].target, 'csrf-check');
  } finally { await ctx.close(); }
});

test('the schedules page shows a missed slot', async () => {
  const { ctx, page } = await loggedIn(ADMIN);
  try {
    await page.goto(base + '/ui/#/schedules');
    await page.waitForSelector('a[href="#/schedules/heartbeat"]', { timeout: T });
    await shot(page, 'schedules');
    await page.click('a[href="#/schedules/heartbeat"]');
    await page.waitForSelector('tr.missed .s-missed', { timeout: T });
    assert.ok(await page.locator('tr.missed').count() >= 1);
    await shot(page, 'schedule');
    await page.goto(base + '/ui/#/audit');
    await page.waitForSelector('text=schedule.pause', { timeout: T });
    await shot(page, 'audit');
    await page.goto(base + '/ui/#/');
    await page.waitForSelector('tr[data-queue="mail"] svg.spark', { timeout: T });  // the last hour's bars
    await shot(page, 'overview');
  } finally { await ctx.close(); }
});
