// What the example's handlers "do": each run appends one JSON line to
// <JOBS_LOG_DIR>/<kind>.jsonl (default ./.runs), so you can watch it run with
// `tail -f .runs/*.jsonl`, and the end-to-end test can check what ran, how often
// and with which headers. A real app would send the email here instead.
import { appendFile, mkdir, open } from 'node:fs/promises';
import path from 'node:path';

export type RunKind = 'push' | 'flaky' | 'cron' | 'worker';

export function runsDir(): string {
  return process.env.JOBS_LOG_DIR || path.join(process.cwd(), '.runs');
}

/** Appends `entry` (with `at`, an ISO time) as one line to <dir>/<kind>.jsonl. */
export async function record(kind: RunKind, entry: Record<string, unknown>): Promise<void> {
  const dir = runsDir();
  await mkdir(dir, { recursive: true });
  const line = JSON.stringify({ at: new Date().toISOString(), ...entry });
  await appendFile(path.join(dir, `${kind}.jsonl`), `${line}\n`);
  console.log(`[${kind}] ${line}`);
}

/**
 * True the first time it is called with `key`, false ever after, also across
 * processes and restarts: the first caller creates <dir>/seen/<key> (O_EXCL).
 */
export async function firstTime(key: string): Promise<boolean> {
  const dir = path.join(runsDir(), 'seen');
  await mkdir(dir, { recursive: true });
  try {
    const f = await open(path.join(dir, encodeURIComponent(key)), 'wx');
    await f.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}
