// Helpers shared by the cronq and BullMQ scenario scripts: settings, /proc
// readings of the server processes, percentiles, payloads, result output.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export const now = () => performance.now();

export function parseArgs(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick');
  const only = argv.find((a) => a.startsWith('--only='));
  return {
    quick,
    // Which scenarios to run, e.g. --only=1,2 (default: all).
    only: only ? new Set(only.slice(7).split(',').map(Number)) : null,
    // Scenarios 1-3 run for a fixed time, after a short warm-up.
    seconds: quick ? 3 : 10,
    warmupSeconds: quick ? 0.5 : 1,
    inflight: 100,
    batch: 1000,
    processJobs: quick ? 20_000 : 50_000,
    processConcurrency: 100,
    latencySamples: quick ? 300 : 2000,
    latencyWarmup: quick ? 20 : 100,
    fillJobs: quick ? 100_000 : 1_000_000,
    payloadBytes: 100,
  };
}

export function wants(cfg, n) {
  return !cfg.only || cfg.only.has(n);
}

// `data` whose JSON text is exactly `bytes` long: {"p":"xxxx..."}.
export function payload(bytes) {
  const data = { p: 'x'.repeat(bytes - 8) };
  if (JSON.stringify(data).length !== bytes) throw new Error('payload size');
  return data;
}

const CLK_TCK = Number(process.env.CLK_TCK || 100);

// utime + stime of a process in seconds (all threads), from /proc/PID/stat.
export function cpuSeconds(pid) {
  if (!pid) return NaN;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

// Resident set size in bytes, from /proc/PID/status VmRSS.
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// Apparent size of every file under dir, in bytes, with a per-file breakdown.
export function dirBytes(dir) {
  let total = 0;
  const files = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath ?? e.path, e.name);
    const size = fs.statSync(p).size;
    files[path.relative(dir, p)] = size;
    total += size;
  }
  return { total, files };
}

// Busy CPU seconds of the whole machine (all cores), from /proc/stat.
export function machineBusySeconds() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f; // idle and iowait are not busy
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

// CPU of the server process, of this client process, and of everything else
// on the machine (other processes compete for the same cores) over one interval.
export class CpuMeter {
  constructor(serverPid) {
    this.pid = serverPid;
    this.server0 = cpuSeconds(serverPid);
    this.client0 = process.cpuUsage();
    this.machine0 = machineBusySeconds();
  }
  stop(jobs, seconds) {
    const server = cpuSeconds(this.pid) - this.server0;
    const c = process.cpuUsage(this.client0);
    const client = (c.user + c.system) / 1e6;
    const other = Math.max(0, machineBusySeconds() - this.machine0 - server - client);
    return {
      serverCpuUsPerJob: (server * 1e6) / jobs,
      clientCpuUsPerJob: (client * 1e6) / jobs,
      serverCores: server / seconds,
      clientCores: client / seconds,
      otherCores: other / seconds,
    };
  }
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function latencyStats(samplesMs) {
  const s = [...samplesMs].sort((a, b) => a - b);
  return {
    samples: s.length,
    p50Ms: percentile(s, 50),
    p90Ms: percentile(s, 90),
    p99Ms: percentile(s, 99),
    maxMs: s[s.length - 1],
  };
}

// Runs `step` (which does `perStep` jobs' worth of work and resolves) in
// `parallel` loops until `seconds` have passed after a warm-up; returns the
// measured rate and CPU figures. Only work started after the warm-up counts.
export async function timed({ step, parallel = 1, perStep = 1, seconds, warmupSeconds, serverPid }) {
  let phase = 'warmup';
  let jobs = 0;
  let meter = null;
  let t0 = 0;
  const warmEnd = now() + warmupSeconds * 1000;
  let end = Infinity;
  const loop = async () => {
    for (;;) {
      const t = now();
      if (phase === 'warmup' && t >= warmEnd) {
        phase = 'run';
        t0 = now();
        end = t0 + seconds * 1000;
        meter = new CpuMeter(serverPid);
      }
      if (t >= end) return;
      const counted = phase === 'run';
      await step();
      if (counted) jobs += perStep;
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
  const elapsed = (now() - t0) / 1000;
  return { jobs, seconds: elapsed, jobsPerSec: jobs / elapsed, ...meter.stop(jobs, elapsed) };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function log(...args) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${args.join(' ')}\n`);
}

// Each scenario script prints one JSON object on stdout, for report.mjs.
export function emit(system, results) {
  process.stdout.write(JSON.stringify({ system, results }) + '\n');
}

// A JSON-over-HTTP client for cronq with one keep-alive pool: call(method, path,
// body) resolves with the parsed answer and rejects on a status >= 300;
// call.close() ends the pool.
export function cronqClient(baseUrl, token, maxSockets = 256) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const buf = body === undefined ? null : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          host: base.hostname, port: base.port, method, path, agent,
          headers: buf ? { ...headers, 'content-length': buf.length } : headers,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode >= 300) return reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            resolve(text ? JSON.parse(text) : null);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (buf) req.write(buf);
      req.end();
    });
  call.close = () => agent.destroy();  // lets the process exit
  return call;
}

// Adds `total` jobs in batches of `batch`, `parallel` batches in flight;
// addBatch(n) adds n jobs.
export async function fillInBatches(total, batch, parallel, addBatch) {
  let left = total;
  const loop = async () => {
    while (left > 0) {
      const n = Math.min(batch, left);
      left -= n;
      await addBatch(n);
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
}
