// cronq side of the benchmark: the six scenarios over cronq's HTTP API, with
// Node's own http module and a keep-alive Agent (no client library).
// Env: CRONQ_URL, CRONQ_TOKEN, CRONQ_PID (server process), CRONQ_DATA (data folder).
import {
  parseArgs, wants, payload, timed, CpuMeter, latencyStats, rssBytes, dirBytes, now, sleep, log, emit, cronqClient, fillInBatches,
} from './common.mjs';

const cfg = parseArgs();
// run.sh runs scenarios 1-5 (CRONQ_PHASE=main) and scenario 6 (CRONQ_PHASE=memory)
// against two fresh servers, so the memory figures start from an empty database.
const phase = process.env.CRONQ_PHASE || 'all';
const inPhase = (n) => wants(cfg, n) && (phase === 'all' || (phase === 'memory') === (n === 6));
const base = new URL(process.env.CRONQ_URL || 'http://127.0.0.1:7700');
const token = process.env.CRONQ_TOKEN;
const pid = Number(process.env.CRONQ_PID);
const dataDir = process.env.CRONQ_DATA;
if (!token || !pid || !dataDir) throw new Error('set CRONQ_URL, CRONQ_TOKEN, CRONQ_PID and CRONQ_DATA');

// One keep-alive pool; maxSockets bounds the connections a scenario opens.
const call = cronqClient(base.href, token, 256);

const data = payload(cfg.payloadBytes);
const job = { name: 'bench', data };
const enqueue = (q, j = job) => call('POST', `/v1/queues/${q}/jobs`, j);
const enqueueBatch = (q, n) => call('POST', `/v1/queues/${q}/jobs`, { jobs: Array.from({ length: n }, () => job) });
// A client that coalesces concurrent single adds into batch requests, the way
// the planned TypeScript SDK will: an add() made while `maxInFlight` requests
// are outstanding waits in a queue; when a request returns, everything queued
// (up to `maxBatch`) goes out as one POST {jobs:[...]}, and each caller's
// promise resolves with its own {id, duplicate} from the answer, in order.
// Adds made in the same tick are gathered before the first request leaves.
// A batch is validated as a whole by the server, so a rejected batch rejects
// every add in it (the SDK will have to retry the valid ones alone).
class CoalescingQueue {
  constructor(queue, { maxBatch = 1000, maxInFlight = 1 } = {}) {
    this.path = `/v1/queues/${queue}/jobs`;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.pending = [];
    this.inFlight = 0;
    this.scheduled = false;
    this.requests = 0;
    this.jobs = 0;
  }
  add(j) {
    return new Promise((resolve, reject) => {
      this.pending.push({ j, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }
  pump() {
    while (this.inFlight < this.maxInFlight && this.pending.length) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight++;
      this.requests++;
      this.jobs += batch.length;
      call('POST', this.path, { jobs: batch.map((e) => e.j) }).then(
        (r) => {
          if (r.jobs?.length !== batch.length) {
            const e = new Error(`batch answer has ${r.jobs?.length} entries for ${batch.length} jobs`);
            for (const b of batch) b.reject(e);
          } else {
            batch.forEach((b, i) => b.resolve(r.jobs[i]));
          }
        },
        (e) => { for (const b of batch) b.reject(e); },
      ).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}

const fetchJobs = (q, max, waitMs, lockMs = 30_000) => call('POST', `/v1/queues/${q}/fetch`, { max, waitMs, lockMs });
const ack = (q, jobs) => call('POST', `/v1/queues/${q}/ack`, { complete: jobs.map((j) => ({ id: j.id, token: j.token })) });
// Acks `jobs` and leases up to `max` more in the same request and commit (no wait).
const ackAndFetch = (q, jobs, max, lockMs = 30_000) => call('POST', `/v1/queues/${q}/ack`, {
  complete: jobs.map((j) => ({ id: j.id, token: j.token })), fetch: { max, lockMs },
});

function fill(q, total, batch = cfg.batch, parallel = 2) {
  return fillInBatches(total, batch, parallel, (n) => enqueueBatch(q, n));
}

const results = {};
const run = `r${Date.now().toString(36)}`;
const common = { seconds: cfg.seconds, warmupSeconds: cfg.warmupSeconds, serverPid: pid };

await call('GET', '/healthz');

if (inPhase(1)) {
  log('cronq 1: enqueue one at a time');
  results.enqueueSequential = await timed({ ...common, step: () => enqueue(`${run}-s1`) });
}

if (inPhase(2)) {
  log(`cronq 2: enqueue, ${cfg.inflight} in flight`);
  results.enqueueConcurrent = await timed({ ...common, parallel: cfg.inflight, step: () => enqueue(`${run}-s2`) });
  const maxInFlight = Number(process.env.COALESCE_INFLIGHT || 2);
  log(`cronq 2: enqueue, ${cfg.inflight} in flight, coalescing client (at most ${maxInFlight} requests in flight)`);
  // Self-check: concurrent adds with distinct data (250 adds, so more than
  // one request); each caller must get the id of its own job.
  const check = new CoalescingQueue(`${run}-s2check`, { maxBatch: 100, maxInFlight });
  const got = await Promise.all(Array.from({ length: 250 }, (_, i) => check.add({ name: 'check', data: { i } })));
  if (check.requests < 3) throw new Error(`coalescing check: ${check.requests} requests for 250 adds`);
  for (const i of [0, 1, 99, 100, 101, 249]) {
    const j = await call('GET', `/v1/queues/${run}-s2check/jobs/${encodeURIComponent(got[i].id)}`);
    if (j.data?.i !== i) throw new Error(`coalescing check: add #${i} got job ${got[i].id} holding ${JSON.stringify(j.data)}`);
  }
  const cq = new CoalescingQueue(`${run}-s2c`, { maxBatch: cfg.batch, maxInFlight });
  const r = await timed({
    ...common, parallel: cfg.inflight,
    step: async () => {
      const a = await cq.add(job);
      if (!a?.id) throw new Error(`add answered ${JSON.stringify(a)}`);
    },
  });
  results.enqueueConcurrentCoalesced = { ...r, maxInFlight, requests: cq.requests, jobsPerRequest: cq.jobs / cq.requests };
}

if (inPhase(3)) {
  log(`cronq 3: enqueue in batches of ${cfg.batch}`);
  results.enqueueBatch = await timed({ ...common, perStep: cfg.batch, step: () => enqueueBatch(`${run}-s3`, cfg.batch) });
}

if (inPhase(4)) {
  const q = `${run}-s4`;
  const total = cfg.processJobs;
  log(`cronq 4: pre-enqueue ${total}, then process with ~${cfg.processConcurrency} in flight`);
  await fill(q, total);
  // Fetch loops: each fetches a batch, "processes" every job (a no-op, awaited
  // like a handler), then acks the batch and leases the next one in the same
  // request; only when that finds nothing does it long-poll with a fetch.
  const loops = Number(process.env.FETCH_LOOPS || 2);
  const max = Math.ceil(cfg.processConcurrency / loops);
  let done = 0;
  let fetches = 0;
  let acks = 0;
  const meter = new CpuMeter(pid);
  const t0 = now();
  let tEnd = 0;
  const loop = async () => {
    let jobs = [];
    while (done < total) {
      if (!jobs.length) {
        fetches++;
        ({ jobs } = await fetchJobs(q, max, 200));
        continue;
      }
      acks++;
      await Promise.all(jobs.map(async () => {}));
      const r = await ackAndFetch(q, jobs, max);
      const bad = r.complete.filter((e) => !e.ok);
      if (bad.length) throw new Error(`ack failed: ${JSON.stringify(bad[0])}`);
      done += jobs.length;
      if (done >= total && !tEnd) tEnd = now();
      jobs = r.jobs;
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  const seconds = (tEnd - t0) / 1000;
  results.process = {
    jobs: done, seconds, jobsPerSec: done / seconds, loops, maxPerFetch: max, fetches, acks,
    ...meter.stop(done, seconds),
  };
}

if (inPhase(5)) {
  const q = `${run}-s5`;
  const n = cfg.latencyWarmup + cfg.latencySamples;
  log(`cronq 5: enqueue-to-start latency, ${cfg.latencySamples} samples`);
  const sent = new Map();
  const samples = [];
  let seen = null; // resolves when the worker has seen the pending job
  let stop = false;
  const worker = (async () => {
    while (!stop) {
      const { jobs } = await fetchJobs(q, 1, 2_000);
      const t = now();
      for (const j of jobs) {
        const t0 = sent.get(j.data.i);
        if (t0 !== undefined && j.data.i >= cfg.latencyWarmup) samples.push(t - t0);
        await ack(q, [j]);
        seen?.();
      }
    }
  })();
  await sleep(100);
  for (let i = 0; i < n; i++) {
    const p = new Promise((r) => { seen = r; });
    sent.set(i, now());
    await enqueue(q, { name: 'lat', data: { i } });
    await p;
    await sleep(2); // let the worker get back into its long poll: idle worker
  }
  stop = true;
  await worker;
  results.latency = latencyStats(samples);
}

if (inPhase(6)) {
  const q = `${run}-s6`;
  log(`cronq 6: fill ${cfg.fillJobs} waiting jobs (${cfg.payloadBytes}-byte payload)`);
  // On the Redis backend the jobs live in Redis: measure its used_memory, as
  // BullMQ's side does (REDIS_PORT, REDIS_PID from run.sh), not a data folder.
  const redisPort = process.env.CRONQ_STORE === 'redis' ? Number(process.env.REDIS_PORT) : 0;
  let redis = null;
  if (redisPort) {
    const { Redis } = await import('ioredis');
    redis = new Redis({ host: '127.0.0.1', port: redisPort });
  }
  const redisUsed = async () => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))[1]);
  await sleep(1000);
  const rss0 = rssBytes(pid);
  const disk0 = redis ? null : dirBytes(dataDir);
  const used0 = redis ? await redisUsed() : 0;
  const t0 = now();
  await fill(q, cfg.fillJobs);
  const fillSeconds = (now() - t0) / 1000;
  await sleep(2000); // let a checkpoint run
  const rss1 = rssBytes(pid);
  const qi = await call('GET', `/v1/queues/${q}`);
  const common6 = {
    jobs: cfg.fillJobs,
    waiting: qi.counts.waiting,
    fillSeconds,
    fillJobsPerSec: cfg.fillJobs / fillSeconds,
    rssBefore: rss0, rssAfter: rss1,
  };
  if (redis) {
    const used1 = await redisUsed();
    const rpid = Number(process.env.REDIS_PID);
    results.memory = {
      ...common6,
      usedMemoryBefore: used0, usedMemoryAfter: used1,
      memBytesPerJob: (used1 - used0) / cfg.fillJobs,
      cronqRssBytesPerJob: (rss1 - rss0) / cfg.fillJobs,
      redisRss: rpid ? rssBytes(rpid) : undefined,
    };
    redis.disconnect();
  } else {
    const disk1 = dirBytes(dataDir);
    results.memory = {
      ...common6,
      memBytesPerJob: (rss1 - rss0) / cfg.fillJobs,
      diskBefore: disk0.total, diskAfter: disk1.total, diskFiles: disk1.files,
      diskBytesPerJob: (disk1.total - disk0.total) / cfg.fillJobs,
    };
  }
}

// Scenarios 7 and 8: the same application code as BullMQ's scenarios 2 and 4,
// written against @cronq/client (clients/typescript, built by run.sh): Queue.add
// with 100 in flight, and a Worker with concurrency 100 running no-op jobs.
if (inPhase(7) || inPhase(8)) {
  const sdk = await import(new URL('../clients/typescript/dist/src/index.js', import.meta.url).href);
  const connection = { url: base.href, token };
  if (inPhase(7)) {
    log(`cronq 7: @cronq/client Queue.add, ${cfg.inflight} in flight`);
    const q = new sdk.Queue(`${run}-s7`, { connection });
    const r = await timed({
      ...common, parallel: cfg.inflight,
      step: async () => {
        const j = await q.add('bench', data);
        if (!j.id) throw new Error('add without an id');
      },
    });
    const requests = q.client.counts.enqueue;
    results.sdkAdd = { ...r, requests, jobsPerRequest: q.client.counts.enqueue ? (r.jobs / requests) : NaN };
    await q.close();
  }
  if (inPhase(8)) {
    const name = `${run}-s8`;
    const total = cfg.processJobs;
    log(`cronq 8: pre-enqueue ${total}, then process with @cronq/client Worker concurrency ${cfg.processConcurrency}`);
    await fill(name, total);
    let done = 0;
    let tEnd = 0;
    let finished;
    const all = new Promise((r) => { finished = r; });
    const worker = new sdk.Worker(name, async () => {}, { connection, concurrency: cfg.processConcurrency, autorun: false });
    worker.on('completed', () => {
      if (++done === total) {
        tEnd = now();
        finished();
      }
    });
    worker.on('failed', (j, e) => { throw e; });
    worker.on('error', (e) => { throw e; });
    const meter = new CpuMeter(pid);
    const t0 = now();
    worker.run();
    await all;
    const seconds = (tEnd - t0) / 1000;
    results.sdkProcess = {
      jobs: done, seconds, jobsPerSec: done / seconds, fetches: worker.client.counts.fetch, acks: worker.client.counts.ack,
      ...meter.stop(done, seconds),
    };
    await worker.close();
  }
}

call.close();
emit('cronq', results);
