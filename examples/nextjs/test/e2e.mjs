// End-to-end test of the example: the built app (`next start`) and the real
// cronq binary on 127.0.0.1, real requests, real files.
//
//   CRONQ_BIN=/path/to/cronq node test/e2e.mjs    (after `next build` and `npm run worker:build`)
//
// It starts cronq (temp data folder, --vercel-json vercel.json, CRON_SECRET set),
// `next start` on a free port and, for the pull part, the worker; it stops each by
// its PID at the end. Checks, each a step below:
//   - the cron route: a wrong or missing bearer gets 401; cronq fires it from
//     vercel.json with the right bearer and a Cronq-Fire-Id, and the call completes;
//   - pull: /api/send-email enqueues (202) and workers/email.worker.ts runs the job;
//   - push: with the queue turned into a push queue, the same enqueue runs in the
//     signed route; unsigned or wrongly signed requests get 401;
//   - retry: a push route answering 500 on the first delivery of a job is
//     delivered again and the job completes, with two attempts in cronq's history.
// Exit code: 0 all passed, 1 a step failed (each step's outcome is printed).
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CRONQ_BIN = process.env.CRONQ_BIN;
const TOKEN = 'e2e-admin-token-0123456789abcdef';
const CRON_SECRET = 'e2e-cron-secret-abcdef0123456789';
const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
const WAIT_MS = 60_000; // generous: a loaded 2-core machine

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cronq-nextjs-e2e-'));
const RUNS = path.join(tmp, 'runs');
const children = [];
let cronqUrl = '';
let appUrl = '';

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

function check(cond, msg, detail) {
  if (!cond) throw new Error(detail === undefined ? msg : `${msg}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws with `what` after `ms`. */
async function waitFor(what, fn, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(delay);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a child; its output goes to <tmp>/<name>.log and is kept for the failure report. */
function start(name, cmd, args, opts) {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const rec = { name, child, out: '', exited: null };
  child.stdout.on('data', (d) => (rec.out += d));
  child.stderr.on('data', (d) => (rec.out += d));
  rec.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((rec.exited = { code, signal }))));
  children.push(rec);
  return rec;
}

/** SIGTERM by PID, then SIGKILL after a grace period; resolves with the exit. */
async function stop(rec, graceMs = 15_000) {
  if (rec.exited) return rec.exited;
  process.kill(rec.child.pid, 'SIGTERM');
  const timer = setTimeout(() => rec.exited || process.kill(rec.child.pid, 'SIGKILL'), graceMs);
  const r = await rec.exit;
  clearTimeout(timer);
  return r;
}

async function http(method, url, { body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}

const api = (method, p, body) => http(method, `${cronqUrl}${p}`, { body, headers: { authorization: `Bearer ${TOKEN}` } });

function runs(kind) {
  const f = path.join(RUNS, `${kind}.jsonl`);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function jobWhenFinished(queue, id) {
  return waitFor(`job ${queue}/${id} to finish`, async () => {
    const r = await api('GET', `/v1/queues/${encodeURIComponent(queue)}/jobs/${encodeURIComponent(id)}`);
    check(r.status === 200, `GET job ${queue}/${id}`, r.text);
    return r.json.state === 'completed' || r.json.state === 'failed' ? r.json : null;
  });
}

// ---------------------------------------------------------------- processes

async function startCronq(appPort) {
  check(CRONQ_BIN && existsSync(CRONQ_BIN), 'CRONQ_BIN must name the built cronq binary', CRONQ_BIN);
  const rec = start(
    'cronq',
    CRONQ_BIN,
    ['--data', path.join(tmp, 'data'), 'serve', '--listen', '127.0.0.1:0',
     '--vercel-json', path.join(APP_DIR, 'vercel.json'), '--base-url', `http://127.0.0.1:${appPort}`],
    { env: { ...process.env, CRONQ_ADMIN_TOKEN: TOKEN, CRON_SECRET } },
  );
  const port = await waitFor('cronq to listen', () => {
    if (rec.exited) throw new Error(`cronq exited ${JSON.stringify(rec.exited)}: ${rec.out}`);
    return rec.out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
  });
  cronqUrl = `http://127.0.0.1:${port}`;
  await waitFor('cronq /healthz', async () => (await http('GET', `${cronqUrl}/healthz`)).status === 200);
  log(`cronq pid ${rec.child.pid} on ${cronqUrl}`);
}

const appEnv = () => ({
  ...process.env,
  NEXT_TELEMETRY_DISABLED: '1',
  CRONQ_URL: cronqUrl,
  CRONQ_TOKEN: TOKEN,
  CRONQ_SIGNING_SECRET: SIGNING_SECRET,
  CRON_SECRET,
  JOBS_LOG_DIR: RUNS,
});

async function startApp(port) {
  check(existsSync(path.join(APP_DIR, '.next', 'BUILD_ID')), 'the app is not built: run `next build` first');
  const nextBin = path.join(APP_DIR, 'node_modules', 'next', 'dist', 'bin', 'next');
  const rec = start('next', process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: APP_DIR, env: appEnv() });
  appUrl = `http://127.0.0.1:${port}`;
  await waitFor('next start to answer', async () => {
    if (rec.exited) throw new Error(`next start exited ${JSON.stringify(rec.exited)}: ${rec.out}`);
    return (await http('GET', `${appUrl}/`)).status === 200;
  });
  log(`next pid ${rec.child.pid} on ${appUrl}`);
}

function startWorker() {
  const js = path.join(APP_DIR, '.worker', 'workers', 'email.worker.js');
  check(existsSync(js), 'the worker is not built: run `npm run worker:build` first');
  const rec = start('worker', process.execPath, [js], { cwd: APP_DIR, env: appEnv() });
  log(`worker pid ${rec.child.pid}`);
  return rec;
}

// ---------------------------------------------------------------- steps

async function cronRoute() {
  const url = `${appUrl}/api/cron/sync`;
  const wrong = await http('GET', url, { headers: { authorization: 'Bearer not-the-secret' } });
  check(wrong.status === 401, 'a wrong bearer gets 401', `${wrong.status} ${wrong.text}`);
  const none = await http('GET', url);
  check(none.status === 401, 'no bearer gets 401', `${none.status} ${none.text}`);
  check(runs('cron').length === 0, 'a refused cron call must not run', runs('cron'));

  // cronq loaded vercel.json's cron as the schedule vercel.api.cron.sync.
  const name = 'vercel.api.cron.sync';
  const sched = await api('GET', `/v1/schedules/${name}`);
  check(sched.status === 200, `GET /v1/schedules/${name} (from vercel.json)`, sched.text);
  check(JSON.stringify(sched.json).includes('/api/cron/sync'), 'the schedule targets the route', sched.json);
  // Fire one slot now instead of waiting for 05:00 UTC.
  const fire = await api('POST', `/v1/schedules/${name}/trigger`);
  check(fire.status === 201, 'trigger the cron', `${fire.status} ${fire.text}`);
  const calls = await waitFor('the cron route to run', () => runs('cron').length > 0 && runs('cron'));
  check(calls.length === 1, 'one trigger, one call', calls);
  check(/^vercel\.api\.cron\.sync@/.test(calls[0].fireId ?? ''), 'the call carries Cronq-Fire-Id', calls[0]);
  const job = await jobWhenFinished('cronq:http', fire.json.jobId);
  check(job.state === 'completed', 'cronq records the cron call as completed', job);
  check(job.fireId === calls[0].fireId, 'the route saw the slot fire id', { job: job.fireId, route: calls[0].fireId });
  return `fired with the right bearer, fire id ${calls[0].fireId}; wrong and missing bearer: 401`;
}

async function sendEmail(to) {
  const r = await http('POST', `${appUrl}/api/send-email`, { body: { to, subject: 'Hello' } });
  check(r.status === 202, 'POST /api/send-email answers 202', `${r.status} ${r.text}`);
  check(typeof r.json?.id === 'string' && r.json.id.length > 0, 'with the job id', r.json);
  return r.json.id;
}

async function badInput() {
  const r = await http('POST', `${appUrl}/api/send-email`, { body: { to: 'not an address' } });
  check(r.status === 400 && r.json?.error?.code === 'invalid_argument', 'a bad address gets 400', `${r.status} ${r.text}`);
  const key = { 'idempotency-key': 'order-17' };
  const a = await http('POST', `${appUrl}/api/send-email`, { body: { to: 'key@example.com' }, headers: key });
  const b = await http('POST', `${appUrl}/api/send-email`, { body: { to: 'key@example.com' }, headers: key });
  check(a.status === 202 && b.status === 202, 'an enqueue with an Idempotency-Key answers 202', [a.text, b.text]);
  check(a.json.id === 'email-order-17' && b.json.id === a.json.id && b.json.duplicate === true, 'a repeated key gets the first job', [a.json, b.json]);
  const del = await api('DELETE', `/v1/queues/email/jobs/${a.json.id}`);
  check(del.status === 200, 'remove that job again', del.text);
  const q = await api('GET', '/v1/queues/email/jobs?limit=10');
  check(q.status === 200 || q.status === 404, 'list the email queue', q.text);
  check(!q.json?.jobs?.length, 'nothing else was enqueued', q.json);
  return 'bad address: 400, nothing enqueued; a repeated Idempotency-Key: the first job';
}

async function pull() {
  const worker = startWorker();
  try {
    const id = await sendEmail('pull@example.com');
    const job = await jobWhenFinished('email', id);
    check(job.state === 'completed', 'the worker completed the job', job);
    const mine = runs('worker').filter((r) => r.id === id);
    check(mine.length === 1 && mine[0].to === 'pull@example.com', 'the worker ran it once', runs('worker'));
    check(job.returnvalue?.sent === true && job.returnvalue.messageId === mine[0].messageId, "the worker's result is the job's", job.returnvalue);
    check(!runs('push').some((r) => r.id === id), 'a pull job is not pushed', runs('push'));
  } finally {
    const exit = await stop(worker);
    check(exit.code === 0, 'the worker closes cleanly on SIGTERM', { exit, out: worker.out });
  }
  return 'enqueued by /api/send-email, run by workers/email.worker.ts, completed, worker closed cleanly';
}

/** Makes `queue` a push queue to `route`. */
async function makePushQueue(queue, route) {
  const r = await api('PUT', `/v1/queues/${queue}`, {
    push: { url: `${appUrl}${route}`, secrets: [SIGNING_SECRET], timeoutMs: 20_000, concurrency: 4 },
  });
  check(r.status >= 200 && r.status < 300, `PUT /v1/queues/${queue} with a push config`, `${r.status} ${r.text}`);
  const g = await api('GET', `/v1/queues/${queue}`);
  check(g.status === 200 && g.json?.push?.url === `${appUrl}${route}`, 'GET shows the push config', g.text);
  check(!g.text.includes(SIGNING_SECRET), 'GET masks the secrets', g.text);
}

function sign(body, secret, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** The signed routes, called directly: only a request signed as the spec says gets through. */
async function signedRoutes() {
  const url = `${appUrl}/api/jobs/email`;
  const body = JSON.stringify({ id: 'direct-1', queue: 'email', name: 'send-email', data: { to: 'x@example.com', subject: 's' }, attempt: 1 });
  const post = (u, raw, headers) => http('POST', u, { raw, headers: { 'content-type': 'application/json', ...headers } });
  const now = Math.floor(Date.now() / 1000);
  const refused = [
    ['no signature', body, {}],
    ['a wrong secret', body, { 'cronq-signature': sign(body, 'not-the-secret') }],
    ['a stale timestamp', body, { 'cronq-signature': sign(body, SIGNING_SECRET, now - 600) }],
    ['a changed body', body.replace('x@example.com', 'y@example.com'), { 'cronq-signature': sign(body, SIGNING_SECRET) }],
  ];
  for (const [what, raw, headers] of refused) {
    const r = await post(url, raw, headers);
    check(r.status === 401, `a push request with ${what} gets 401`, `${r.status} ${r.text}`);
  }
  check(runs('push').length === 0, 'a refused push request must not run', runs('push'));
  // Signed with the next secret of a rotation, next to an unknown one: accepted.
  const t = now;
  const rotated = `${sign(body, 'an-old-secret', t)},v1=${sign(body, SIGNING_SECRET, t).split('v1=')[1]}`;
  const ok = await post(url, body, { 'cronq-signature': rotated, 'cronq-attempt': '1' });
  check(ok.status === 200 && ok.json?.sent === true, 'a correctly signed request runs', `${ok.status} ${ok.text}`);
  check(runs('push').filter((r) => r.id === 'direct-1').length === 1, 'and is recorded once', runs('push'));

  const flaky = `${appUrl}/api/jobs/flaky`;
  const fbody = JSON.stringify({ id: 'direct-2', queue: 'flaky', name: 'sync', data: null, attempt: 1 });
  const first = await post(flaky, fbody, { 'cronq-signature': sign(fbody, SIGNING_SECRET) });
  check(first.status === 500, 'the flaky route fails a job the first time', `${first.status} ${first.text}`);
  const second = await post(flaky, fbody, { 'cronq-signature': sign(fbody, SIGNING_SECRET) });
  check(second.status === 200, 'and succeeds the second time', `${second.status} ${second.text}`);
  return 'no signature, wrong secret, stale, changed body: 401; signed (two v1, one known): 200; flaky: 500 then 200';
}

async function push() {
  await makePushQueue('email', '/api/jobs/email');
  const id = await sendEmail('push@example.com');
  const job = await jobWhenFinished('email', id);
  check(job.state === 'completed', 'the push route completed the job', job);
  const mine = runs('push').filter((r) => r.id === id);
  check(mine.length === 1, 'the signed route ran it once', runs('push'));
  check(mine[0].to === 'push@example.com' && mine[0].queue === 'email' && mine[0].attempt === 1, 'with the job as pushed', mine[0]);
  check(mine[0].attemptHeader === '1', 'and the Cronq-Attempt header', mine[0]);
  check(job.returnvalue?.sent === true && job.returnvalue.messageId === mine[0].messageId, "the route's JSON answer is the job's result", job.returnvalue);
  check(!runs('worker').some((r) => r.id === id), 'a push job is not pulled', runs('worker'));
  return 'enqueued by /api/send-email, POSTed signed by cronq to /api/jobs/email, completed with its answer as result';
}

async function retry() {
  await makePushQueue('flaky', '/api/jobs/flaky');
  const r = await api('POST', '/v1/queues/flaky/jobs', {
    name: 'sync-partner',
    data: { account: 42 },
    opts: { attempts: 3, backoff: { type: 'fixed', delay: 300 } },
  });
  check(r.status === 201 || r.status === 200, 'enqueue into flaky', `${r.status} ${r.text}`);
  const id = r.json.id;
  const job = await jobWhenFinished('flaky', id);
  check(job.state === 'completed', 'the job completed after a retry', job);
  check(job.attemptsMade === 2, 'two attempts made', job);
  const outcomes = (job.attempts ?? []).map((a) => a.outcome);
  check(JSON.stringify(outcomes) === '["failed","completed"]', 'attempt history: failed, then completed', job.attempts);
  check(/500/.test(job.attempts[0].error?.message ?? ''), 'the failed attempt names the 500', job.attempts[0]);
  const calls = runs('flaky').filter((c) => c.id === id).map((c) => [c.attempt, c.outcome]);
  check(JSON.stringify(calls) === '[[1,"failed"],[2,"completed"]]', 'the route saw attempt 1 fail and attempt 2 succeed', calls);
  return `job ${id}: attempt 1 answered 500, attempt 2 completed (attemptsMade 2)`;
}

// ---------------------------------------------------------------- main

async function main() {
  const appPort = await freePort();
  await startCronq(appPort);
  await startApp(appPort);
  const steps = [
    ['enqueue: bad input, idempotency key', badInput],
    ['signed routes, called directly', signedRoutes],
    ['cron route', cronRoute],
    ['pull (worker)', pull],
    ['push (signed route)', push],
    ['retry after 500', retry],
  ];
  let failed = 0;
  for (const [name, fn] of steps) {
    const t0 = Date.now();
    try {
      const what = await fn();
      log(`PASS ${name} (${Date.now() - t0} ms): ${what}`);
    } catch (e) {
      failed++;
      log(`FAIL ${name}: ${e.stack}`);
    }
  }
  return failed;
}

let code = 1;
try {
  const failed = await main();
  code = failed ? 1 : 0;
  log(failed ? `${failed} step(s) failed` : 'all steps passed');
} catch (e) {
  log(`FAIL setup: ${e.stack}`);
} finally {
  for (const rec of children.reverse()) {
    try {
      await stop(rec);
    } catch {}
  }
  if (code === 1) for (const rec of children) log(`--- ${rec.name} output ---\n${rec.out.slice(-4000)}`);
  if (process.env.KEEP_E2E_DIR) log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
