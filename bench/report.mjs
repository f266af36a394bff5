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
const row = (label, get, digits = 0, better = 'higher') => {
  const [cv, bv, nv] = [c, b, n].map((r) => {
    try {
      return get(r);
    } catch {
      return undefined;
    }
  });
  if ([cv, bv, nv].every((v) => v === undefined)) return; // scenario not run
  rows.push(`| ${label} | ${fmtNum(cv, digits)} | ${fmtNum(bv, digits)} | ${ratio(cv, bv)} | ${better} | ${fmtNum(nv, digits)} |`);
};
const cores = (r) => (r ? `${fmtNum(r.serverCores, 2)} / ${fmtNum(r.clientCores, 2)} / ${fmtNum(r.otherCores, 2)}` : 'n/a');
const cpuRows = (label, key) => {
  row(`${label}: server CPU µs/job`, (r) => r[key].serverCpuUsPerJob, 1, 'lower');
  row(`${label}: client CPU µs/job (Node)`, (r) => r[key].clientCpuUsPerJob, 1, 'lower');
  if (c[key] || b[key] || n[key])
    rows.push(`| ${label}: cores busy: server / client / other processes | ${cores(c[key])} | ${cores(b[key])} | | | ${cores(n[key])} |`);
};

row('1. enqueue, one at a time (jobs/s)', (r) => r.enqueueSequential.jobsPerSec);
cpuRows('1', 'enqueueSequential');
row('2. enqueue, 100 in flight (jobs/s)', (r) => r.enqueueConcurrent.jobsPerSec);
cpuRows('2', 'enqueueConcurrent');
row('3. enqueue, batches of 1000 (jobs/s)', (r) => r.enqueueBatch.jobsPerSec);
cpuRows('3', 'enqueueBatch');
const pj = c.process?.jobs ?? b.process?.jobs;
row(`4. process ${fmtNum(pj)} no-op jobs, concurrency 100 (jobs/s)`, (r) => r.process.jobsPerSec);
cpuRows('4', 'process');
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
out.push(`- cronq: ${sh(cronqBin, ['--version'])} (${process.env.CRONQ_BUILD || 'Release'}), SQLite WAL, synchronous=FULL: every commit fsync'd (group commit), one HTTP thread per core, --no-job-logs`);
out.push(`- BullMQ ${pkgVersion('bullmq')}, ioredis ${pkgVersion('ioredis')}, ${sh(process.env.REDIS_SERVER || 'redis-server', ['--version']).replace(/ sha=.*malloc=/, ' malloc=').replace(/ bits=.*/, '')}, no persistence (--save '' --appendonly no)`);
out.push(`- Node ${process.version}; client and servers share the same ${os.cpus().length} cores`);
out.push(`- load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
out.push('');
out.push('| scenario | cronq | BullMQ | cronq/BullMQ | better | cronq --unsafe-no-fsync (diagnostic) |');
out.push('|---|---:|---:|---:|---|---:|');
out.push(...rows);
out.push('');
if (c.memory) {
  out.push(`cronq RSS ${mib(c.memory.rssBefore)} → ${mib(c.memory.rssAfter)}; data folder ${mib(c.memory.diskBefore)} → ${mib(c.memory.diskAfter)} (${Object.entries(c.memory.diskFiles).map(([f, s]) => `${f} ${mib(s)}`).join(', ')})`);
}
if (b.memory) {
  out.push(`Redis used_memory ${mib(b.memory.usedMemoryBefore)} → ${mib(b.memory.usedMemoryAfter)}; redis-server RSS ${mib(b.memory.rssBefore)} → ${mib(b.memory.rssAfter)} (${fmtNum(b.memory.rssBytesPerJob)} bytes/job)`);
}
if (c.latency || b.latency) {
  out.push(`latency detail (ms): cronq p90 ${fmtNum(c.latency?.p90Ms, 2)} max ${fmtNum(c.latency?.maxMs, 2)}; BullMQ p90 ${fmtNum(b.latency?.p90Ms, 2)} max ${fmtNum(b.latency?.maxMs, 2)}; ${c.latency?.samples ?? b.latency?.samples} samples each`);
}
if (c.process) out.push(`cronq scenario 4: ${c.process.loops} fetch loops × max ${c.process.maxPerFetch} per fetch, ${c.process.fetches} fetches`);
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
