// BullMQ side of the benchmark: the same six scenarios with BullMQ's Queue and
// Worker on a private redis-server (no persistence).
// Env: REDIS_PORT, REDIS_PID (server process).
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  parseArgs, wants, payload, timed, CpuMeter, latencyStats, rssBytes, now, sleep, log, emit, fillInBatches,
} from './common.mjs';

const cfg = parseArgs();
const port = Number(process.env.REDIS_PORT || 6379);
const pid = Number(process.env.REDIS_PID);
if (!pid) throw new Error('set REDIS_PORT and REDIS_PID');

const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const admin = new Redis(connection);
const data = payload(cfg.payloadBytes);
const results = {};
const run = `r${Date.now().toString(36)}`;
const common = { seconds: cfg.seconds, warmupSeconds: cfg.warmupSeconds, serverPid: pid };
const queues = [];
const queue = (name) => {
  const q = new Queue(name, { connection });
  queues.push(q);
  return q;
};

function fill(q, total, batch = cfg.batch, parallel = 2) {
  return fillInBatches(total, batch, parallel, (n) => q.addBulk(Array.from({ length: n }, () => ({ name: 'bench', data }))));
}

async function usedMemory() {
  const info = await admin.info('memory');
  const get = (k) => Number(new RegExp(`^${k}:(\\d+)`, 'm').exec(info)[1]);
  return { used: get('used_memory'), rss: get('used_memory_rss') };
}

await admin.ping();

if (wants(cfg, 1)) {
  log('bullmq 1: enqueue one at a time');
  const q = queue(`${run}-s1`);
  results.enqueueSequential = await timed({ ...common, step: () => q.add('bench', data) });
}

// Scenarios 7 and 8 (the cronq SDK) compare with scenarios 2 and 4.
if (wants(cfg, 2) || wants(cfg, 7)) {
  log(`bullmq 2: enqueue, ${cfg.inflight} in flight`);
  const q = queue(`${run}-s2`);
  results.enqueueConcurrent = await timed({ ...common, parallel: cfg.inflight, step: () => q.add('bench', data) });
}

if (wants(cfg, 3)) {
  log(`bullmq 3: enqueue in batches of ${cfg.batch} (addBulk)`);
  const q = queue(`${run}-s3`);
  const jobs = Array.from({ length: cfg.batch }, () => ({ name: 'bench', data }));
  results.enqueueBatch = await timed({ ...common, perStep: cfg.batch, step: () => q.addBulk(jobs) });
}

if (wants(cfg, 4) || wants(cfg, 8)) {
  const name = `${run}-s4`;
  const total = cfg.processJobs;
  log(`bullmq 4: pre-enqueue ${total}, then process with Worker concurrency ${cfg.processConcurrency}`);
  await fill(queue(name), total);
  let done = 0;
  let tEnd = 0;
  let finished;
  const all = new Promise((r) => { finished = r; });
  const worker = new Worker(name, async () => {}, { connection, concurrency: cfg.processConcurrency, autorun: false });
  worker.on('completed', () => {
    if (++done === total) {
      tEnd = now();
      finished();
    }
  });
  worker.on('failed', (j, e) => { throw e; });
  await worker.waitUntilReady();
  const meter = new CpuMeter(pid);
  const t0 = now();
  worker.run();
  await all;
  const seconds = (tEnd - t0) / 1000;
  results.process = { jobs: done, seconds, jobsPerSec: done / seconds, ...meter.stop(done, seconds) };
  await worker.close();
}

if (wants(cfg, 5)) {
  const name = `${run}-s5`;
  const q = queue(name);
  const n = cfg.latencyWarmup + cfg.latencySamples;
  log(`bullmq 5: enqueue-to-start latency, ${cfg.latencySamples} samples`);
  const sent = new Map();
  const samples = [];
  let seen = null;
  const worker = new Worker(name, async (job) => {
    const t = now();
    const t0 = sent.get(job.data.i);
    if (t0 !== undefined && job.data.i >= cfg.latencyWarmup) samples.push(t - t0);
  }, { connection, concurrency: 1 });
  worker.on('completed', () => seen?.());
  await worker.waitUntilReady();
  await sleep(100);
  for (let i = 0; i < n; i++) {
    const p = new Promise((r) => { seen = r; });
    sent.set(i, now());
    await q.add('lat', { i });
    await p;
    await sleep(2); // let the worker get back into its blocking wait: idle worker
  }
  await worker.close();
  results.latency = latencyStats(samples);
}

if (wants(cfg, 6)) {
  const q = queue(`${run}-s6`);
  log(`bullmq 6: fill ${cfg.fillJobs} waiting jobs (${cfg.payloadBytes}-byte payload)`);
  await sleep(1000);
  const m0 = await usedMemory();
  const rss0 = rssBytes(pid);
  const t0 = now();
  await fill(q, cfg.fillJobs);
  const fillSeconds = (now() - t0) / 1000;
  await sleep(2000);
  const m1 = await usedMemory();
  const rss1 = rssBytes(pid);
  const waiting = await q.getWaitingCount();
  results.memory = {
    jobs: cfg.fillJobs,
    waiting,
    fillSeconds,
    fillJobsPerSec: cfg.fillJobs / fillSeconds,
    usedMemoryBefore: m0.used, usedMemoryAfter: m1.used,
    memBytesPerJob: (m1.used - m0.used) / cfg.fillJobs,
    rssBefore: rss0, rssAfter: rss1,
    rssBytesPerJob: (rss1 - rss0) / cfg.fillJobs,
  };
}

await Promise.all(queues.map((q) => q.close()));
await admin.quit();
emit('bullmq', results);
