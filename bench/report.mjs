// Reads the two result files (one JSON line each) and prints the side-by-side
// table as Markdown; run.sh tees it into results/latest.md.
// Usage: node report.mjs CRONQ.json BULLMQ.json [--quick]
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const [cronqFile, bullFile, nofsyncFile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const quick = process.argv.includes('--quick');
// A file holds one JSON line per run of a scenario script; their results merge.
const read = (f) =>
  !f || !fs.existsSync(f)
    ? {}
    : Object.assign({}, ...fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).results));
const c = read(cronqFile);
const b = read(bullFile);
const n = read(nofsyncFile);

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
};
const require = createRequire(import.meta.url);
const pkgVersion = (p) => {
  try {
    return require(`${p}/package.json`).version;
  } catch {
    return '?';
  }
};

const fmtNum = (v, digits = 0) =>
  v === undefined || Number.isNaN(v) ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (x, y) => (x === undefined || y === undefined || !y ? 'n/a' : `${(x / y).toFixed(2)}×`);
const mib = (v) => (v === undefined ? 'n/a' : `${(v / 1048576).toFixed(1)} MiB`);

const rows = [];
// One table row; `get` picks the figure out of a system's results.
// getB picks BullMQ's figure when it differs from cronq's (scenario 2 compares
// two cronq clients with the same BullMQ run); paren shows the ratio in
// parentheses (not the headline comparison).
const row = (label, get, digits = 0, better = 'higher', { getB = get, paren = false } = {}) => {
  const [cv, bv, nv] = [c, b, n].map((r) => {
    try {
      return (r === b ? getB : get)(r);
    } catch {
      return undefined;
    }
  });
  if ([cv, bv, nv].every((v) => v === undefined)) return; // scenario not run
  const rt = ratio(cv, bv);
  rows.push(`| ${label} | ${fmtNum(cv, digits)} | ${fmtNum(bv, digits)} | ${paren && rt !== 'n/a' ? `(${rt})` : rt} | ${better} | ${fmtNum(nv, digits)} |`);
};
const cores = (r) => (r ? `${fmtNum(r.serverCores, 2)} / ${fmtNum(r.clientCores, 2)} / ${fmtNum(r.otherCores, 2)}` : 'n/a');
const cpuRows = (label, key, bKey = key, opts = {}) => {
  row(`${label}: server CPU µs/job`, (r) => r[key].serverCpuUsPerJob, 1, 'lower', { getB: (r) => r[bKey].serverCpuUsPerJob, ...opts });
  row(`${label}: client CPU µs/job (Node)`, (r) => r[key].clientCpuUsPerJob, 1, 'lower', { getB: (r) => r[bKey].clientCpuUsPerJob, ...opts });
  if (c[key] || b[bKey] || n[key])
    rows.push(`| ${label}: cores busy: server / client / other processes | ${cores(c[key])} | ${cores(b[bKey])} | | | ${cores(n[key])} |`);
};

row('1. enqueue, one at a time (jobs/s)', (r) => r.enqueueSequential.jobsPerSec);
cpuRows('1', 'enqueueSequential');
// Scenario 2 twice for cronq: one HTTP request per add (raw), and the
// coalescing client (as the SDK will do); the headline ratio is the latter's.
const cq = (r) => r.enqueueConcurrentCoalesced;
row('2. enqueue, 100 in flight — cronq coalescing client, as the SDK (jobs/s)', (r) => cq(r).jobsPerSec, 0, 'higher',
  { getB: (r) => r.enqueueConcurrent.jobsPerSec });
cpuRows('2 coalescing', 'enqueueConcurrentCoalesced', 'enqueueConcurrent');
row('2. enqueue, 100 in flight — cronq one request per add (jobs/s)', (r) => r.enqueueConcurrent.jobsPerSec, 0, 'higher', { paren: true });
cpuRows('2 one request per add', 'enqueueConcurrent', 'enqueueConcurrent', { paren: true });
row('3. enqueue, batches of 1000 (jobs/s)', (r) => r.enqueueBatch.jobsPerSec);
cpuRows('3', 'enqueueBatch');
const pj = c.process?.jobs ?? b.process?.jobs;
row(`4. process ${fmtNum(pj)} no-op jobs, concurrency 100 (jobs/s)`, (r) => r.process.jobsPerSec);
cpuRows('4', 'process');
// Scenarios 7 and 8: the @cronq/client SDK against BullMQ's scenarios 2 and 4
// (the same application code: Queue.add with 100 in flight; a Worker with concurrency 100).
row('7. @cronq/client Queue.add, 100 in flight, vs BullMQ Queue.add (jobs/s)', (r) => r.sdkAdd.jobsPerSec, 0, 'higher',
  { getB: (r) => r.enqueueConcurrent.jobsPerSec });
cpuRows('7', 'sdkAdd', 'enqueueConcurrent');
const sj = c.sdkProcess?.jobs ?? b.process?.jobs;
row(`8. @cronq/client Worker vs BullMQ Worker, concurrency 100, ${fmtNum(sj)} no-op jobs (jobs/s)`, (r) => r.sdkProcess.jobsPerSec, 0, 'higher',
  { getB: (r) => r.process.jobsPerSec });
cpuRows('8', 'sdkProcess', 'process');
row('5. enqueue-to-start latency p50 (ms)', (r) => r.latency.p50Ms, 2, 'lower');
row('5. enqueue-to-start latency p99 (ms)', (r) => r.latency.p99Ms, 2, 'lower');
const fj = c.memory?.jobs ?? b.memory?.jobs;
row(`6. memory per waiting job at ${fmtNum(fj)} (bytes)`, (r) => r.memory.memBytesPerJob, 0, 'lower');
row('6. disk per waiting job (bytes)', (r) => r.memory.diskBytesPerJob, 0, 'lower');
row('6. fill rate, batches of 1000, 2 in flight (jobs/s)', (r) => r.memory.fillJobsPerSec);

const cpuModel = (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) || [])[1] || '?';
const cronqBin = process.env.CRONQ_BIN || '../build/src/cli/cronq';
const out = [];
out.push(`# cronq vs BullMQ — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${quick ? ' (--quick)' : ''}`);
out.push('');
out.push(`- machine: ${os.cpus().length} cores (nproc ${sh('nproc', [])}), ${cpuModel}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${os.release()}`);
const store = process.env.CRONQ_STORE === 'redis'
  ? 'Redis backend (--redis) on the same redis-server as BullMQ, Lua scripts, one call per operation or per run of up to 256 jobs'
  : "SQLite WAL + locking_mode=EXCLUSIVE, synchronous=FULL: every commit fsync'd (group commit)";
out.push(`- cronq: ${sh(cronqBin, ['--version'])} (${process.env.CRONQ_BUILD || 'Release'}), ${store}, default HTTP threads (cores − 1, at least 1), --no-job-logs`);
out.push(`- BullMQ ${pkgVersion('bullmq')}, ioredis ${pkgVersion('ioredis')}, ${sh(process.env.REDIS_SERVER || 'redis-server', ['--version']).replace(/ sha=.*malloc=/, ' malloc=').replace(/ bits=.*/, '')}, no persistence (--save '' --appendonly no)`);
out.push(`- Node ${process.version}; client and servers share the same ${os.cpus().length} cores`);
out.push(`- load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
out.push('');
out.push('| scenario | cronq | BullMQ | cronq/BullMQ | better | cronq --unsafe-no-fsync (diagnostic) |');
out.push('|---|---:|---:|---:|---|---:|');
out.push(...rows);
out.push('');
if (c.memory?.usedMemoryAfter !== undefined) {
  out.push(`cronq on Redis: Redis used_memory ${mib(c.memory.usedMemoryBefore)} → ${mib(c.memory.usedMemoryAfter)}, redis-server RSS after ${mib(c.memory.redisRss)}; cronq RSS ${mib(c.memory.rssBefore)} → ${mib(c.memory.rssAfter)}`);
} else if (c.memory) {
  out.push(`cronq RSS ${mib(c.memory.rssBefore)} → ${mib(c.memory.rssAfter)}; data folder ${mib(c.memory.diskBefore)} → ${mib(c.memory.diskAfter)} (${Object.entries(c.memory.diskFiles).map(([f, s]) => `${f} ${mib(s)}`).join(', ')})`);
}
if (b.memory) {
  out.push(`Redis used_memory ${mib(b.memory.usedMemoryBefore)} → ${mib(b.memory.usedMemoryAfter)}; redis-server RSS ${mib(b.memory.rssBefore)} → ${mib(b.memory.rssAfter)} (${fmtNum(b.memory.rssBytesPerJob)} bytes/job)`);
}
if (c.latency || b.latency) {
  out.push(`latency detail (ms): cronq p90 ${fmtNum(c.latency?.p90Ms, 2)} max ${fmtNum(c.latency?.maxMs, 2)}; BullMQ p90 ${fmtNum(b.latency?.p90Ms, 2)} max ${fmtNum(b.latency?.maxMs, 2)}; ${c.latency?.samples ?? b.latency?.samples} samples each`);
}
for (const [sys, r] of [['cronq', c], ['cronq --unsafe-no-fsync', n]])
  if (cq(r)) out.push(`${sys} scenario 2, coalescing client: ${fmtNum(cq(r).requests)} requests, ${fmtNum(cq(r).jobsPerRequest, 1)} jobs per request on average, at most ${cq(r).maxInFlight} requests in flight`);
if (c.process) out.push(`cronq scenario 4: ${c.process.loops} fetch loops × max ${c.process.maxPerFetch} per fetch, ${c.process.fetches} fetch and ${c.process.acks ?? 0} ack requests (each ack also fetching)`);
if (c.sdkAdd) out.push(`cronq scenario 7 (SDK Queue.add): ${fmtNum(c.sdkAdd.requests)} batch requests, ${fmtNum(c.sdkAdd.jobsPerRequest, 1)} jobs per request on average`);
if (c.sdkProcess) out.push(`cronq scenario 8 (SDK Worker): ${fmtNum(c.sdkProcess.fetches)} fetch and ${fmtNum(c.sdkProcess.acks)} ack requests for ${fmtNum(c.sdkProcess.jobs)} jobs`);
out.push('Scenarios 7 and 8 compare @cronq/client (clients/typescript) with BullMQ running the same code: 7 against BullMQ\'s scenario 2, 8 against its scenario 4 (the BullMQ figures are those rows\' runs).');
out.push('Scenario 2: the cronq/BullMQ ratio compares the coalescing client (one add() call per job, coalesced into batch requests as the SDK will do) with BullMQ\'s queue.add; the ratio of the one-request-per-add client is in parentheses. BullMQ\'s figures are the same run in both rows.');
out.push('cronq is ahead where the ratio is above 1× in "higher" rows and below 1× in "lower" rows. "other processes" is CPU used by anything else on the machine during the measurement (a non-zero figure means the run was disturbed).');
out.push('');
const disturbed = [];
for (const [sys, r] of [['cronq', c], ['BullMQ', b], ['cronq no-fsync', n]])
  for (const [k, v] of Object.entries(r)) if (v?.otherCores > 0.2) disturbed.push(`${sys} ${k} (${v.otherCores.toFixed(2)} cores)`);
if (disturbed.length) out.push(`**Warning:** other processes used CPU during: ${disturbed.join(', ')}; those figures are low. Rerun on an idle machine.`);
out.push('');
out.push('Raw results:');
out.push('```json');
out.push(JSON.stringify({ cronq: c, bullmq: b, cronqNoFsync: n }));
out.push('```');
process.stdout.write(out.join('\n') + '\n');
