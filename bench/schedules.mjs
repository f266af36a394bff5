// Schedules benchmark: how late cronq handles cron slots, what a schedule
// costs in memory and disk, and how fast `cronq cron next` answers.
//
// Run through bench/run-schedules.sh, which starts a fresh cronq for each case
// and calls this script in three modes:
//
//   node schedules.mjs --case=minute:10000   10,000 `* * * * *` schedules, 3 slots each
//   node schedules.mjs --case=second:1000    1,000 `* * * * * *` schedules for 20 s
//   node schedules.mjs --cli                 1,000 runs of `cronq cron next`
//   node schedules.mjs --report FILE...      the markdown table from the JSON lines
//
// A case creates its schedules with startAt/endAt set so that every schedule
// has the same slots, all after the last PUT: the minute case 3 slots on
// consecutive minutes, the second case `--seconds` (20) slots. It then waits
// for the last slot (and for the server to catch up), reads every schedule's
// history with a bounded number of concurrent GETs and reports the lateness
// (latenessMs = handledAt - due) of every handled slot, by status. Nothing
// consumes the jobs: they pile up in 4 queues, and the disk growth is reported.
// Env: CRONQ_URL, CRONQ_TOKEN, CRONQ_PID, CRONQ_DATA, CRONQ_BIN (for --cli).
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { CpuMeter, latencyStats, rssBytes, dirBytes, now, sleep, log, cronqClient } from './common.mjs';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const QUEUES = 4;
// Observer schedules, each with its own queue and a worker long-polling it.
const OBSERVERS = Number(arg('observers', 10));
const PUT_CONCURRENCY = Number(arg('put-concurrency', 32));
const GET_CONCURRENCY = Number(arg('get-concurrency', 8));

// ---------------------------------------------------------------- HTTP
function client() {
  return cronqClient(process.env.CRONQ_URL || 'http://127.0.0.1:7700', process.env.CRONQ_TOKEN, 64);
}

// Runs fn(i) for i in [0, n) with at most `limit` calls in flight.
async function pool(n, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const mib = (b) => b / 1048576;

// ---------------------------------------------------------------- a case
async function runCase(spec) {
  const [kind, nText] = spec.split(':');
  const n = Number(nText);
  const perSecond = kind === 'second';
  const seconds = Number(arg('seconds', 20));
  const pid = Number(process.env.CRONQ_PID);
  const dataDir = process.env.CRONQ_DATA;
  if (!pid || !dataDir || !process.env.CRONQ_TOKEN) throw new Error('set CRONQ_URL, CRONQ_TOKEN, CRONQ_PID, CRONQ_DATA');
  const call = client();
  const name = (i) => `s${i}`;

  // Estimate how long the PUTs take (generously) and start the slots after.
  const putEstimateMs = 2000 + n * 1.0;
  const periodMs = perSecond ? 1000 : 60_000;
  const startAt = Math.ceil((Date.now() + putEstimateMs + 2000) / periodMs) * periodMs;
  const slots = perSecond ? seconds : 3;
  const endAt = startAt + (slots - 1) * periodMs;
  const def = (i) => ({
    cron: perSecond ? '* * * * * *' : '* * * * *',
    tz: 'UTC',
    target: { queue: `sched-${i % QUEUES}`, name: 'tick', data: { i } },
    startAt,
    endAt,
  });

  await sleep(1000);
  const before = { rss: rssBytes(pid), disk: dirBytes(dataDir) };
  log(`${spec}: creating ${n} schedules, slots ${iso(startAt)} .. ${iso(endAt)}`);
  const t0 = now();
  await pool(n, PUT_CONCURRENCY, (i) => call('PUT', `/v1/schedules/${name(i)}`, def(i)));
  const putSeconds = (now() - t0) / 1000;
  // OBSERVERS more schedules with the same slots, each firing into its own queue
  // that a worker long-polls: how long after its due instant a slot's job
  // reaches a worker (the engine's handling, the commit with its fsync, the
  // parked fetch's answer), OBSERVERS samples per slot.
  for (let k = 0; k < OBSERVERS; k++) {
    await call('PUT', `/v1/schedules/observer-${k}`, { ...def(0), target: { queue: `observe-${k}`, name: 'tick' } });
  }
  if (Date.now() >= startAt) throw new Error(`PUTs took ${putSeconds.toFixed(1)} s, past startAt; raise putEstimateMs`);
  await sleep(Math.min(2000, startAt - Date.now() - 200));
  const created = { rss: rssBytes(pid), disk: dirBytes(dataDir) };
  log(`${spec}: ${n} PUTs in ${putSeconds.toFixed(2)} s; RSS ${mib(before.rss).toFixed(1)} -> ${mib(created.rss).toFixed(1)} MiB, ` +
    `disk ${mib(before.disk.total).toFixed(1)} -> ${mib(created.disk.total).toFixed(1)} MiB`);

  // The firing window: from just before the first slot to after the last.
  await sleep(Math.max(0, startAt - Date.now() - 100));
  const meter = new CpuMeter(pid);
  const w0 = now();
  const observed = [];
  const observedByDue = {}; // due instant -> the observers' samples, for the worst instants
  let observing = true;
  const observer = Promise.all(Array.from({ length: OBSERVERS }, async (_, k) => {
    let seen = 0;
    while (observing && seen < slots) {
      const { jobs } = await call('POST', `/v1/queues/observe-${k}/fetch`, { max: 10, waitMs: 1000, lockMs: 30_000 });
      const t = Date.now();
      seen += jobs.length;
      for (const j of jobs) {
        const due = j.fireId.slice(j.fireId.indexOf('@') + 1);
        observed.push(t - Date.parse(due));
        (observedByDue[due] ??= []).push(t - Date.parse(due));
      }
      // The ten observers share this one Node process, where ten workers would
      // each have their own: the ack and the next fetch leave on a later turn of
      // the event loop, so that the answers of the other observers that arrived
      // with this one are timed before this one's requests are built and sent.
      if (jobs.length) {
        const complete = jobs.map((j) => ({ id: j.id, token: j.token }));
        setImmediate(() => call('POST', `/v1/queues/observe-${k}/ack`, { complete }).catch((e) => log(`ack: ${e.message}`)));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }));
  await sleep(Math.max(0, endAt - Date.now() + 1000));
  // Wait until every schedule is past endAt (nextDue null), up to 120 s more:
  // a server that is behind keeps handling the last slots for a while.
  let pending = n;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const list = await call('GET', '/v1/schedules');
    const items = Array.isArray(list) ? list : list.schedules ?? list.items ?? [];
    pending = items.filter((s) => s.nextDue !== null).length;
    if (pending === 0 || Date.now() > deadline) break;
    log(`${spec}: ${pending} schedules still have a slot to handle`);
    await sleep(1000);
  }
  observing = false;
  await observer;
  const windowSeconds = (now() - w0) / 1000;
  const cpu = meter.stop(n * slots, windowSeconds);
  const fired = { rss: rssBytes(pid), disk: dirBytes(dataDir) };

  // Histories, GET_CONCURRENCY at a time.
  const g0 = now();
  const lateness = [];
  const latenessFired = [];
  const status = {};
  let entries = 0;
  let mismatch = 0;
  let maxEntries = 0;
  let minEntries = Infinity;
  const handled = [];
  const leads = []; // due - claimedAt of the slots claimed ahead of their due instant
  await pool(n, GET_CONCURRENCY, async (i) => {
    const s = await call('GET', `/v1/schedules/${name(i)}?history=${slots + 10}&next=1`);
    minEntries = Math.min(minEntries, s.history.length);
    maxEntries = Math.max(maxEntries, s.history.length);
    for (const h of s.history) {
      entries++;
      status[h.status] = (status[h.status] ?? 0) + 1;
      const l = h.handledAt - Date.parse(h.due);
      if (l !== h.latenessMs) mismatch++;
      lateness.push(h.latenessMs);
      if (h.status !== 'missed') latenessFired.push(h.latenessMs);
      handled.push(h.handledAt);
      if (h.claimedAt !== undefined && h.claimedAt < Date.parse(h.due)) leads.push(Date.parse(h.due) - h.claimedAt);
    }
  });
  const getSeconds = (now() - g0) / 1000;
  handled.sort((a, b) => a - b);
  const result = {
    case: spec, kind, schedules: n, slotsPerSchedule: slots, expectedSlots: n * slots,
    startAt: iso(startAt), endAt: iso(endAt),
    putSeconds, putsPerSec: n / putSeconds,
    historyEntries: entries, minEntries, maxEntries, status, latenessMismatch: mismatch,
    lateness: latencyStats(lateness),
    latenessNotMissed: latencyStats(latenessFired),
    toWorker: latencyStats(observed),
    // The five instants whose slowest observer was slowest: [due, max, min] ms.
    worstInstants: Object.entries(observedByDue)
      .map(([due, s]) => [due, Math.max(...s), Math.min(...s)])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5),
    claimedAhead: leads.length, lead: latencyStats(leads), leadMinMs: leads.reduce((a, b) => Math.min(a, b), Infinity),
    lastHandledAfterEndMs: handled.length ? handled[handled.length - 1] - endAt : NaN,
    pendingAtEnd: pending,
    windowSeconds, ...cpu,
    rss: { before: before.rss, created: created.rss, fired: fired.rss },
    disk: { before: before.disk, created: created.disk, fired: fired.disk },
    getSeconds, getConcurrency: GET_CONCURRENCY,
  };
  log(`${spec}: ${entries}/${n * slots} slots, status ${JSON.stringify(status)}, lateness p50 ${result.lateness.p50Ms} ` +
    `p99 ${result.lateness.p99Ms} max ${result.lateness.maxMs} ms; to worker p50 ${result.toWorker.p50Ms} p99 ${result.toWorker.p99Ms} max ${result.toWorker.maxMs} ms; server ${cpu.serverCores.toFixed(2)} cores, ` +
    `other ${cpu.otherCores.toFixed(2)}; disk +${mib(fired.disk.total - created.disk.total).toFixed(1)} MiB`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ---------------------------------------------------------------- cron next CLI
function runCli() {
  const bin = process.env.CRONQ_BIN;
  const runs = Number(arg('runs', 1000));
  const time = (cmd, args) => {
    const t0 = now();
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}`);
    }
    const s = (now() - t0) / 1000;
    return { runs, seconds: s, perSec: runs / s, msEach: (s * 1000) / runs };
  };
  const out = {
    case: 'cli',
    baselineTrue: time('/bin/true', []),
    every5: time(bin, ['cron', 'next', '*/5 * * * *', '--count', '1']),
    newYork: time(bin, ['cron', 'next', '30 2 * * *', '--tz', 'America/New_York', '--count', '1']),
    newYork100: time(bin, ['cron', 'next', '30 2 * * *', '--tz', 'America/New_York', '--count', '100']),
  };
  log(`cli: true ${out.baselineTrue.msEach.toFixed(2)} ms, cron next */5 ${out.every5.msEach.toFixed(2)} ms, ` +
    `New York ${out.newYork.msEach.toFixed(2)} ms, New York x100 ${out.newYork100.msEach.toFixed(2)} ms per run`);
  process.stdout.write(JSON.stringify(out) + '\n');
}

// ---------------------------------------------------------------- report
function report(files) {
  const rows = [];
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8').trim();
    if (!text) continue;
    try {
      rows.push(JSON.parse(text)); // one JSON document (Google Benchmark's output)
    } catch {
      for (const line of text.split('\n')) rows.push(JSON.parse(line)); // JSON lines
    }
  }
  const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
  const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');
  const out = [];
  const cases = rows.filter((r) => r.kind);
  if (cases.length) {
    out.push('| case | slots handled / expected | fired | missed | lateness p50 / p99 / max (ms) | not-missed p99 / max (ms) | due → job at a worker, observer schedules: p50 / p99 / max (ms) (samples) | claimed ahead: slots, lead min / p50 (ms) | last slot handled after endAt (ms) | server cores in window | other cores | disk growth while firing |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of cases) {
      const label = r.kind === 'minute'
        ? `${f0(r.schedules)} × \`* * * * *\`, ${r.slotsPerSchedule} minutes`
        : `${f0(r.schedules)} × \`* * * * * *\`, ${r.slotsPerSchedule} s`;
      const missed = r.status.missed ?? 0;
      const firedCount = r.historyEntries - missed;
      const growth = r.disk.fired.total - r.disk.created.total;
      out.push(`| ${label} | ${f0(r.historyEntries)} / ${f0(r.expectedSlots)} | ${f0(firedCount)} | ${f0(missed)} | ` +
        `${r.lateness.p50Ms} / ${r.lateness.p99Ms} / ${r.lateness.maxMs} | ${r.latenessNotMissed.p99Ms} / ${r.latenessNotMissed.maxMs} | ` +
        `${f0(r.toWorker.p50Ms)} / ${f0(r.toWorker.p99Ms)} / ${f0(r.toWorker.maxMs)} (${r.toWorker.samples}) | ` +
        `${f0(r.claimedAhead ?? 0)}, ${r.claimedAhead ? `${f0(r.leadMinMs)} / ${f0(r.lead.p50Ms)}` : '—'} | ` +
        `${f0(r.lastHandledAfterEndMs)} | ${f2(r.serverCores)} | ${f2(r.otherCores)} | ` +
        `${f1(mib(growth))} MiB (${f0(growth / Math.max(1, firedCount))} B/job) |`);
    }
    out.push('');
    out.push('| case | PUT rate (schedules/s, 32 in flight) | RSS before → after PUTs (MiB) | per schedule | data folder before → after PUTs (MiB) | per schedule | server CPU µs per slot |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of cases) {
      out.push(`| ${r.case} | ${f0(r.putsPerSec)} | ${f1(mib(r.rss.before))} → ${f1(mib(r.rss.created))} | ` +
        `${f0((r.rss.created - r.rss.before) / r.schedules)} B | ${f2(mib(r.disk.before.total))} → ${f2(mib(r.disk.created.total))} | ` +
        `${f0((r.disk.created.total - r.disk.before.total) / r.schedules)} B | ${f1(r.serverCpuUsPerJob)} |`);
    }
  }
  const cli = rows.find((r) => r.case === 'cli');
  if (cli) {
    out.push('');
    out.push('| `cronq cron next` as a process | runs | ms per run | runs/s |');
    out.push('|---|---:|---:|---:|');
    const line = (label, x) => out.push(`| ${label} | ${f0(x.runs)} | ${f2(x.msEach)} | ${f0(x.perSec)} |`);
    line('`/bin/true` (process start floor, same spawn loop)', cli.baselineTrue);
    line("`cron next '*/5 * * * *' --count 1`", cli.every5);
    line("`cron next '30 2 * * *' --tz America/New_York --count 1`", cli.newYork);
    line("`cron next '30 2 * * *' --tz America/New_York --count 100`", cli.newYork100);
  }
  const gb = rows.find((r) => r.benchmarks);
  if (gb) {
    out.push('');
    out.push('| in process (`build/bench/cron_next_bench`) | ns per call | calls/s |');
    out.push('|---|---:|---:|');
    for (const b of gb.benchmarks) {
      if (b.run_type && b.run_type !== 'iteration') continue;
      const ns = b.time_unit === 'ns' ? b.cpu_time : b.time_unit === 'us' ? b.cpu_time * 1e3 : b.cpu_time * 1e6;
      out.push(`| \`${b.name}\` | ${f0(ns)} | ${f0(1e9 / ns)} |`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

const caseSpec = arg('case');
if (argv.includes('--report')) report(argv.filter((a) => !a.startsWith('--')));
else if (argv.includes('--cli')) runCli();
else if (caseSpec) await runCase(caseSpec);
else {
  process.stderr.write('usage: schedules.mjs --case=minute:N | --case=second:N | --cli | --report FILE...\n');
  process.exit(2);
}
