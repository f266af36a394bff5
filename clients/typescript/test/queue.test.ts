// Queue against the real cronq binary: add, addBulk, jobId duplicates, reads,
// counts, pause/resume, coalescing of concurrent adds, schedules.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CronqError, HttpClient, Queue } from '../src/index.js';
import { startServer, type Server } from './support/server.js';

let server: Server;
let connection: { url: string; token: string };
const queues: Queue[] = [];
const queue = (name: string, opts = {}) => {
  const q = new Queue(name, { connection, ...opts });
  queues.push(q);
  return q;
};

before(async () => {
  server = await startServer();
  connection = { url: server.url, token: server.token };
});
after(async () => {
  for (const q of queues) await q.close();
  await server.stop();
});

describe('Queue', () => {
  test('add returns the job with its id; getJob reads it back', async () => {
    const q = queue('q-add');
    const job = await q.add('welcome', { to: 'a@example.com' }, { attempts: 3, priority: 5 });
    assert.match(job.id, /^\d+$/);
    assert.equal(job.name, 'welcome');
    assert.equal(job.duplicate, false);
    const got = await q.getJob(job.id);
    assert.ok(got);
    assert.equal(got.state, 'waiting');
    assert.deepEqual(got.data, { to: 'a@example.com' });
    assert.equal(got.opts.attempts, 3);
    assert.equal(got.priority, 5);
    assert.equal(got.attemptsMade, 0);
    assert.deepEqual(got.logs, []);
    assert.equal(await got.getState(), 'waiting');
    assert.equal(await q.getJob('999999'), undefined);
  });

  test('CRONQ_URL and CRONQ_TOKEN are the default connection', async () => {
    process.env.CRONQ_URL = server.url;
    process.env.CRONQ_TOKEN = server.token;
    try {
      const q = new Queue('q-env');
      queues.push(q);
      const job = await q.add('x', 1);
      assert.equal((await q.getJob(job.id))?.data, 1);
    } finally {
      delete process.env.CRONQ_URL;
      delete process.env.CRONQ_TOKEN;
    }
  });

  test('a repeated jobId answers the first job, marked duplicate', async () => {
    const q = queue('q-dup');
    const a = await q.add('w', { n: 1 }, { jobId: 'user-42' });
    const b = await q.add('w', { n: 2 }, { jobId: 'user-42' });
    assert.equal(a.id, 'user-42');
    assert.equal(a.duplicate, false);
    assert.equal(b.id, 'user-42');
    assert.equal(b.duplicate, true);
    assert.deepEqual((await q.getJob('user-42'))?.data, { n: 1 });
    // Two concurrent adds with the same jobId in one coalesced batch.
    const [c, d] = await Promise.all([q.add('w', 1, { jobId: 'same' }), q.add('w', 2, { jobId: 'same' })]);
    assert.deepEqual([c.id, c.duplicate, d.id, d.duplicate], ['same', false, 'same', true]);
  });

  test('addBulk adds in order; getJobs lists newest first with start/end', async () => {
    const q = queue('q-bulk');
    const jobs = await q.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'b', data: { i } })));
    assert.equal(jobs.length, 7);
    assert.deepEqual(jobs.map((j) => j.data.i), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(new Set(jobs.map((j) => j.id)).size, 7);
    const all = await q.getJobs(['waiting']);
    assert.deepEqual(all.map((j) => j.data.i), [6, 5, 4, 3, 2, 1, 0]);
    const page = await q.getJobs('waiting', 2, 4);
    assert.deepEqual(page.map((j) => j.data.i), [4, 3, 2]);
    assert.deepEqual((await q.getJobs('waiting', 0, 2, true)).map((j) => j.data.i), [0, 1, 2]);
    assert.deepEqual(await q.getJobs(['completed']), []);
    assert.deepEqual(await q.getJobs(['prioritized']), []);
    assert.equal((await q.getJobs()).length, 7);
    // More than one server page (limit 1000 per page).
    await q.addBulk(Array.from({ length: 1200 }, () => ({ name: 'c' })));
    assert.equal((await q.getJobs('wait')).length, 1207);
    assert.equal((await q.getJobs('waiting', 0, 1099)).length, 1100);
  });

  test('getJobCounts, pause and resume', async () => {
    const q = queue('q-counts');
    assert.deepEqual(await q.getJobCounts('waiting', 'failed'), { waiting: 0, failed: 0 });
    await q.add('a');
    await q.add('b');
    await q.add('later', null, { delay: 60_000 });
    assert.deepEqual(await q.getJobCounts(), { waiting: 2, delayed: 1, active: 0, completed: 0, failed: 0 });
    assert.deepEqual(await q.getJobCounts('waiting', 'delayed', 'paused'), { waiting: 2, delayed: 1, paused: 0 });
    assert.equal(await q.getJobCountByTypes('waiting', 'delayed'), 3);
    assert.equal(await q.count(), 3);
    assert.equal(await q.isPaused(), false);
    await q.pause();
    assert.equal(await q.isPaused(), true);
    // A paused queue leases nothing.
    const c = new HttpClient(connection);
    const r = await c.request<{ jobs: unknown[] }>('POST', '/v1/queues/q-counts/fetch', { max: 5 });
    assert.equal(r.jobs.length, 0);
    await q.resume();
    assert.equal(await q.isPaused(), false);
    const r2 = await c.request<{ jobs: unknown[] }>('POST', '/v1/queues/q-counts/fetch', { max: 5 });
    assert.equal(r2.jobs.length, 2);
    c.close();
  });

  test('setSettings makes a push queue with job defaults, and a pull queue again', async () => {
    const q = queue('q-settings');
    assert.equal(await q.getInfo(), undefined);
    // Port 9 (discard) is closed here: deliveries fail and retry, which this test does not watch.
    const info = await q.setSettings({
      push: { url: 'http://127.0.0.1:9/api/jobs', secrets: ['current-secret', 'next-secret'], timeoutMs: 5000, concurrency: 2 },
      defaultJobOptions: { attempts: 4, backoff: { type: 'fixed', delay: 60_000 } },
    });
    assert.equal(info.push?.url, 'http://127.0.0.1:9/api/jobs');
    assert.deepEqual(info.push?.secrets, ['***', '***']);
    assert.equal(info.defaultJobOptions?.attempts, 4);
    const job = await q.add('deliver-me');
    assert.equal((await q.getJob(job.id))?.opts.attempts, 4);
    const pull = await q.setSettings({ push: null });
    assert.equal(pull.push, null);
    assert.equal(pull.defaultJobOptions?.attempts, 4);
    assert.equal((await q.getInfo())?.push, null);
  });

  test('1000 concurrent adds go out in a few batch requests, each caller gets its own job', async () => {
    const client = new HttpClient(connection);
    const q = new Queue('q-coalesce', { connection: client });
    const before = client.counts.enqueue ?? 0;
    const jobs = await Promise.all(Array.from({ length: 1000 }, (_, i) => q.add('c', { i })));
    const requests = (client.counts.enqueue ?? 0) - before;
    assert.ok(requests >= 1 && requests <= 4, `1000 adds took ${requests} requests`);
    assert.equal(new Set(jobs.map((j) => j.id)).size, 1000);
    for (const i of [0, 1, 499, 998, 999]) {
      assert.deepEqual((await q.getJob(jobs[i]!.id))?.data, { i });
    }
    // Adds spread over many ticks, while requests are in flight, still share requests.
    const before2 = client.counts.enqueue!;
    const spread = [];
    for (let i = 0; i < 500; i++) {
      spread.push(q.add('s', { i }));
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(spread);
    assert.ok(client.counts.enqueue! - before2 <= 20, `500 adds took ${client.counts.enqueue! - before2} requests`);
    assert.equal(await q.count(), 1500);
    await q.close();
    client.close();
  });

  test('an invalid add in a coalesced batch rejects alone; the others land', async () => {
    const q = queue('q-invalid');
    const results = await Promise.allSettled([
      q.add('ok', 1),
      q.add('bad', 2, { jobId: '12345' }), // all-digit jobIds are the server's
      q.add('ok', 3),
      q.add('big', 'x'.repeat(600 * 1024)), // over 512 KiB
      q.add('ok', 4),
      q.add('bigint', { n: 1n }), // not JSON
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    assert.equal((results[5] as PromiseRejectedResult).reason.code, 'not_json');
    const bad = (results[1] as PromiseRejectedResult).reason;
    assert.ok(bad instanceof CronqError);
    assert.equal(bad.status, 400);
    assert.equal((results[3] as PromiseRejectedResult).reason.status, 413);
    const data = (await q.getJobs('waiting')).map((j) => j.data).sort();
    assert.deepEqual(data, [1, 3, 4]);
  });

  test('job schedulers: upsert, list, get, remove', async () => {
    const q = queue('q-sched');
    const other = queue('q-sched-other');
    const s = await q.upsertJobScheduler('nightly', { pattern: '0 3 * * *', tz: 'Europe/London' }, { name: 'report', data: { kind: 'daily' }, opts: { attempts: 2 } });
    assert.equal(s.cron, '0 3 * * *');
    assert.equal(s.target.queue, 'q-sched');
    await q.upsertJobScheduler('hourly', { pattern: '0 * * * *', overlap: 'forbid' });
    await other.upsertJobScheduler('elsewhere', { pattern: '*/5 * * * *' });
    const list = await q.getJobSchedulers(0, -1, true);
    assert.deepEqual(list.map((x) => x.id), ['hourly', 'nightly']); // next fire first
    const nightly = await q.getJobScheduler('nightly');
    assert.ok(nightly);
    assert.equal(nightly.name, 'report');
    assert.equal(nightly.pattern, '0 3 * * *');
    assert.equal(nightly.tz, 'Europe/London');
    assert.deepEqual(nightly.template.data, { kind: 'daily' });
    assert.ok(nightly.next! > Date.now());
    assert.equal(await q.getJobScheduler('elsewhere'), undefined);
    assert.equal(await q.getJobSchedulersCount(), 2);
    // Upsert replaces.
    await q.upsertJobScheduler('nightly', { pattern: '30 4 * * *' });
    assert.equal((await q.getJobScheduler('nightly'))?.pattern, '30 4 * * *');
    await assert.rejects(q.upsertJobScheduler('bad', { pattern: 'not cron' }), (e: CronqError) => e.status === 400);
    assert.equal(await q.removeJobScheduler('nightly'), true);
    assert.equal(await q.removeJobScheduler('nightly'), false);
    assert.deepEqual((await q.getJobSchedulers()).map((x) => x.id), ['hourly']);
  });

  test('without a token the Queue is created, and each request fails', async () => {
    delete process.env.CRONQ_TOKEN;
    const q = queue('q-notoken', { connection: { url: server.url } });
    await assert.rejects(q.add('x'), (e: CronqError) => e.code === 'no_token');
  });

  test('a wrong token is a CronqError 401', async () => {
    const q = queue('q-auth', { connection: { url: server.url, token: 'nope' } });
    await assert.rejects(q.add('x'), (e: CronqError) => e.status === 401 && e.code === 'unauthenticated');
  });
});
