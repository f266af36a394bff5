// Worker against the real cronq binary: concurrency, batched fetch and ack,
// retries with backoff, UnrecoverableError, progress and logs, heartbeats that
// outlive lockDuration, and close() draining.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpClient, Queue, UnrecoverableError, Worker, type Job } from '../src/index.js';
import { AckBatcher } from '../src/acker.js';
import type { FetchResponse } from '../src/wire.js';
import { startServer, waitFor, type Server } from './support/server.js';

let server: Server;
let connection: { url: string; token: string };
const closers: (() => Promise<void>)[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function queue(name: string) {
  const q = new Queue(name, { connection });
  closers.push(() => q.close());
  return q;
}
function worker<D = any, R = any>(name: string, fn: (job: Job<D, R>) => Promise<R>, opts: Record<string, unknown> = {}) {
  const w = new Worker<D, R>(name, fn, { connection, drainDelay: 1, ...opts });
  const errors: Error[] = [];
  w.on('error', (e) => errors.push(e));
  closers.push(() => w.close());
  return { w, errors };
}

before(async () => {
  server = await startServer();
  connection = { url: server.url, token: server.token };
});
after(async () => {
  for (const c of closers.reverse()) await c();
  await server.stop();
});

describe('Worker', () => {
  test('processes jobs with the given concurrency; results are stored; events fire', async () => {
    const q = queue('w-conc');
    await q.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'double', data: { i } })));
    let active = 0;
    let peak = 0;
    const completed: [string, unknown][] = [];
    const activeEvents: string[] = [];
    const { w, errors } = worker<{ i: number }, number>('w-conc', async (job) => {
      active++;
      peak = Math.max(peak, active);
      await sleep(30);
      active--;
      return job.data.i * 2;
    }, { concurrency: 5 });
    w.on('active', (job) => activeEvents.push(job.id));
    w.on('completed', (job, result) => completed.push([job.id, result]));
    await waitFor(() => completed.length === 20, 15_000, '20 completed events');
    assert.equal(peak, 5);
    assert.equal(activeEvents.length, 20);
    assert.deepEqual(errors, []);
    const jobs = await q.getJobs('completed');
    assert.equal(jobs.length, 20);
    for (const j of jobs) {
      assert.equal(j.returnvalue, j.data.i * 2);
      assert.equal(j.attemptsMade, 1);
    }
    assert.deepEqual(await q.getJobCounts('waiting', 'active', 'completed'), { waiting: 0, active: 0, completed: 20 });
  });

  test('fetches and acknowledges in batches', async () => {
    const q = queue('w-batch');
    await q.addBulk(Array.from({ length: 600 }, (_, i) => ({ name: 'noop', data: i })));
    const client = new HttpClient(connection);
    closers.push(async () => client.close());
    let done = 0;
    const { w, errors } = worker('w-batch', async () => {}, { concurrency: 50, connection: client });
    w.on('completed', () => done++);
    await waitFor(() => done === 600, 20_000, '600 completed');
    assert.deepEqual(errors, []);
    // 600 jobs with 50 slots: batching keeps both far below one request per job
    // (acks carry fetches too: see the next test).
    assert.ok(client.counts.ack! <= 100, `${client.counts.ack} ack requests for 600 jobs`);
    assert.ok(client.counts.fetch! <= 60, `${client.counts.fetch} fetch requests for 600 jobs`);
    assert.equal((await q.getJobCounts('completed')).completed, 600);
  });

  test('an ack carries the fetch for the slots it frees: one request per job at concurrency 1', async () => {
    const q = queue('w-carry');
    await q.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'one', data: i })));
    const client = new HttpClient(connection);
    closers.push(async () => client.close());
    const seen: number[] = [];
    let done = 0;
    const { w, errors } = worker<number>('w-carry', async (job) => { seen.push(job.data); }, { concurrency: 1, connection: client });
    w.on('completed', () => done++);
    await waitFor(() => done === 30, 20_000, '30 completed');
    assert.deepEqual(errors, []);
    assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i));
    // Each job after the first came with the ack of the one before: 30 acks, and
    // fetches only for the first job and the long poll once the queue is empty.
    assert.equal(client.counts.ack, 30);
    assert.ok(client.counts.fetch! <= 3, `${client.counts.fetch} fetch requests for 30 jobs`);
  });

  test('an ack whose fetch the server refuses goes again without it, and later acks carry none', async () => {
    // A fetch the server refuses ({max: 0}) stands in for an older server that
    // does not know `fetch` in acks: the completions must still be stored as
    // completions, not failed as if their results had been refused.
    const q = queue('w-nofetch');
    await q.addBulk([{ name: 'a', data: 1 }, { name: 'b', data: 2 }]);
    const client = new HttpClient(connection);
    closers.push(async () => client.close());
    const [l0, l1] = (await client.request<FetchResponse>('POST', '/v1/queues/w-nofetch/fetch', { max: 2 })).jobs;
    assert.ok(l0 && l1);
    const completed: string[] = [];
    const failed: string[] = [];
    const errors: unknown[] = [];
    const leased: number[] = [];
    let taken = 0;
    let idle = () => {};
    const acks = new AckBatcher(client, '/v1/queues/w-nofetch/ack', {
      completed: (job) => completed.push(job.id),
      failed: (job) => failed.push(job.id),
      error: (e) => errors.push(e),
      idle: () => idle(),
      takeFetch: () => {
        taken++;
        return { max: 0 };
      },
      leased: (jobs) => leased.push(jobs.length),
    });
    for (const l of [l0, l1]) {
      const done = new Promise<void>((r) => { idle = r; });
      acks.push({ kind: 'complete', job: { id: l.id } as Job, entry: { id: l.id, token: l.token }, result: 1 });
      await done;
    }
    assert.deepEqual(completed, [l0.id, l1.id]);
    assert.deepEqual(failed, []);
    assert.deepEqual(errors, []);
    assert.equal(taken, 1, 'no fetch is carried after the refusal');
    assert.deepEqual(leased, [0], 'the refused fetch is released once');
    assert.equal((await q.getJobCounts('completed')).completed, 2);
  });

  test('a failing job is retried with its backoff, then completes', async () => {
    const q = queue('w-retry');
    const job = await q.add('flaky', { n: 1 }, { attempts: 3, backoff: { type: 'fixed', delay: 300 } });
    const failures: [number, string][] = [];
    const completed: number[] = [];
    const { w } = worker('w-retry', async (j) => {
      if (j.attemptsStarted < 3) throw new Error(`boom ${j.attemptsStarted}`);
      return 'ok';
    });
    w.on('failed', (j, err) => failures.push([j!.attemptsMade, err.message]));
    w.on('completed', (j) => completed.push(j.attemptsMade));
    await waitFor(() => completed.length === 1, 15_000, 'completion after retries');
    assert.deepEqual(failures, [[1, 'boom 1'], [2, 'boom 2']]);
    assert.deepEqual(completed, [3]);
    const got = await q.getJob(job.id);
    assert.equal(got?.state, 'completed');
    assert.equal(got?.attemptsMade, 3);
    const a = got!.attempts!;
    assert.deepEqual(a.map((x) => x.outcome), ['failed', 'failed', 'completed']);
    assert.equal(a[0]!.error?.message, 'boom 1');
    assert.match(a[0]!.error?.stack ?? '', /boom 1/);
    // The backoff delayed each retry by about 300 ms.
    for (const k of [1, 2]) assert.ok(a[k]!.startedAt - a[k - 1]!.endedAt! >= 250, `retry ${k} came ${a[k]!.startedAt - a[k - 1]!.endedAt!} ms after the failure`);
  });

  test('UnrecoverableError fails the job for good', async () => {
    const q = queue('w-unrec');
    const job = await q.add('x', null, { attempts: 5 });
    const failed: Error[] = [];
    const { w } = worker('w-unrec', async () => {
      throw new UnrecoverableError('bad input');
    });
    w.on('failed', (_j, e) => failed.push(e));
    await waitFor(async () => (await q.getJob(job.id))?.state === 'failed', 10_000, 'failed state');
    const got = await q.getJob(job.id);
    assert.equal(got?.attemptsMade, 1);
    assert.equal(got?.failedReason, 'bad input');
    assert.equal(failed.length, 1);
    assert.ok(failed[0] instanceof UnrecoverableError);
  });

  test('updateProgress and log are visible through getJob while the job runs', async () => {
    const q = queue('w-progress');
    const job = await q.add('report', null);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let progressed = false;
    worker('w-progress', async (j) => {
      await j.updateProgress({ pct: 50 });
      await j.log('half way');
      await j.log('still going');
      progressed = true;
      await released;
      await j.updateProgress(100);
      return 'done';
    });
    await waitFor(() => progressed, 10_000, 'progress sent');
    const mid = await q.getJob(job.id);
    assert.equal(mid?.state, 'active');
    assert.deepEqual(mid?.progress, { pct: 50 });
    assert.deepEqual(mid?.logs?.map((l) => l.line), ['half way', 'still going']);
    assert.deepEqual((await q.getJobLogs(job.id)).logs, ['half way', 'still going']);
    release();
    await waitFor(async () => (await q.getJob(job.id))?.state === 'completed', 10_000, 'completed');
    const end = await q.getJob(job.id);
    assert.equal(end?.progress, 100);
    assert.equal(end?.returnvalue, 'done');
  });

  test('heartbeats keep a job longer than lockDuration without a stall', async () => {
    const q = queue('w-heartbeat');
    const job = await q.add('slow', null);
    let runs = 0;
    const { w, errors } = worker('w-heartbeat', async () => {
      runs++;
      await sleep(1500);
      return 'slow done';
    }, { lockDuration: 300 });
    let completed = 0;
    w.on('completed', () => completed++);
    await waitFor(() => completed === 1, 15_000, 'completion');
    const got = await q.getJob(job.id);
    assert.equal(got?.state, 'completed');
    assert.equal(got?.stalledCounter, 0);
    assert.equal(got?.attempts?.length, 1);
    assert.equal(runs, 1);
    assert.deepEqual(errors, []);
  });

  test('close() stops fetching, lets running jobs finish and acknowledges them', async () => {
    const q = queue('w-close');
    await q.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: 'slow', data: i })));
    let started = 0;
    let finished = 0;
    const { w } = worker('w-close', async () => {
      started++;
      await sleep(300);
      finished++;
    }, { concurrency: 10, drainDelay: 10 });
    // Two free slots: the worker also has a fetch parked on the server, which close() must abort.
    await waitFor(() => started === 8, 10_000, '8 running');
    let closedEvent = false;
    w.on('closed', () => (closedEvent = true));
    const t0 = Date.now();
    await w.close();
    assert.equal(finished, 8);
    assert.ok(closedEvent);
    // The acks were sent before close() resolved.
    assert.deepEqual(await q.getJobCounts('active', 'completed'), { active: 0, completed: 8 });
    // close() did not wait for the parked long-poll (drainDelay 10 s).
    assert.ok(Date.now() - t0 < 8000, `close took ${Date.now() - t0} ms`);
    await q.add('after-close');
    await sleep(300);
    assert.equal(started, 8);
    assert.equal((await q.getJobCounts('waiting')).waiting, 1);
  });

  test('outcomes the server would refuse still end their attempts', async () => {
    const q = queue('w-refused');
    const [big, bigint, longMsg, fine] = await q.addBulk([
      { name: 'big-result' }, { name: 'bigint-result' }, { name: 'long-message' }, { name: 'fine' },
    ]);
    const { errors } = worker('w-refused', async (job) => {
      if (job.name === 'big-result') return 'x'.repeat(600 * 1024); // over 512 KiB
      if (job.name === 'bigint-result') return { n: 10n };
      if (job.name === 'long-message') throw new Error('é'.repeat(20_000)); // 40 KB of UTF-8
      return 'ok';
    }, { concurrency: 4 });
    const state = async (id: string) => (await q.getJob(id))?.state;
    await waitFor(async () => {
      const c = await q.getJobCounts('completed', 'failed');
      return c.completed === 1 && c.failed === 3;
    }, 15_000, 'all four attempts to end');
    assert.equal(await state(fine!.id), 'completed');
    assert.match((await q.getJob(big!.id))!.failedReason!, /refused the job's result/);
    assert.match((await q.getJob(bigint!.id))!.failedReason!, /not JSON/);
    const long = (await q.getJob(longMsg!.id))!.failedReason!;
    assert.ok(long.startsWith('éé') && Buffer.byteLength(long) <= 8192, `message of ${Buffer.byteLength(long)} bytes`);
    assert.deepEqual(errors, []);
  });

  test('pause() stops taking jobs after the running ones; resume() takes them again', async () => {
    const q = queue('w-pause');
    let started = 0;
    const { w } = worker('w-pause', async () => {
      started++;
      await sleep(100);
    }, { concurrency: 4, drainDelay: 10 });
    await q.addBulk([{ name: 'a' }, { name: 'b' }]);
    await waitFor(() => started === 2, 10_000, '2 running');
    await w.pause(); // waits for both, and aborts the parked fetch
    assert.equal(w.isPaused(), true);
    assert.equal((await q.getJobCounts('completed')).completed, 2);
    await q.addBulk([{ name: 'c' }, { name: 'd' }]);
    await sleep(300);
    assert.equal(started, 2);
    w.resume();
    await waitFor(async () => (await q.getJobCounts('completed')).completed === 4, 10_000, 'all 4 completed');
    assert.equal(started, 4);
  });

  test('a job added while the worker long-polls starts at once', async () => {
    const q = queue('w-longpoll');
    const seen: number[] = [];
    worker('w-longpoll', async (j) => {
      seen.push(Date.now() - j.timestamp);
    }, { drainDelay: 10 });
    await sleep(200); // the worker is parked in its fetch
    await q.add('ping');
    await waitFor(() => seen.length === 1, 5_000, 'the job to start');
  });
});
