// Starts the real cronq binary on a free 127.0.0.1 port with a temporary data
// folder, for the SDK tests; stops it by its PID. Binary: env CRONQ_BIN, else
// ../../build/src/cli/cronq relative to the package (the CMake build folder).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Server {
  url: string;
  token: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startServer(): Promise<Server> {
  const bin = process.env.CRONQ_BIN || path.resolve(packageDir, '../../build/src/cli/cronq');
  if (!fs.existsSync(bin)) throw new Error(`no cronq binary at ${bin}; build it or set CRONQ_BIN`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cronq-ts-'));
  const token = `test-${randomBytes(16).toString('hex')}`;
  const child: ChildProcess = spawn(bin, ['--data', dir, 'serve', '--listen', '127.0.0.1:0', '--no-job-logs'], {
    env: { ...process.env, CRONQ_ADMIN_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c) => { err += c; });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cronq did not start in 20 s:\n${out}\n${err}`)), 20_000);
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cronq exited with ${code}:\n${out}\n${err}`));
    });
  });
  child.removeAllListeners('exit');
  const pid = child.pid!;
  return {
    url, token, pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        process.kill(pid, 'SIGTERM');
        function done() {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        }
      }),
  };
}

/** Polls `check` every 20 ms until it returns a truthy value or `ms` pass. */
export async function waitFor<T>(check: () => Promise<T> | T, ms = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
