// AddBatcher: coalesces concurrent Queue.add calls into batch requests.
//
// Every add() parks its job in `pending` and schedules a flush at the end of the
// current tick (a microtask), or after `windowMs` when one is set. A flush sends
// what is pending as one `POST /v1/queues/{q}/jobs {jobs: [...]}` (at most
// `maxBatch` jobs per request, at most `maxInFlight` requests at once); adds
// that arrive while every request slot is busy wait and leave together with the
// next free slot. The answer lists one `{id, duplicate}` per job in request
// order, so each caller's promise resolves with its own entry.
//
// The server validates a batch as a whole: one invalid job rejects the request
// (400/413) naming the entry (`jobs[3]: ...`), and nothing is added. The batcher
// then rejects that add alone and sends the others again, so they still land.
import { CronqError } from './http.js';
import type { BatchEnqueueResult, NewJob } from './wire.js';

export interface AddResult {
  id: string;
  duplicate: boolean;
}

interface Entry {
  job: NewJob;
  resolve: (r: AddResult) => void;
  reject: (e: unknown) => void;
}

export interface BatcherOptions {
  /** Most jobs in one request (default 1000; the server takes up to 5000). */
  maxBatch?: number;
  /** Most batch requests in flight at once (default 4). */
  maxInFlight?: number;
  /** Wait this long for more adds before sending (default 0: the end of the current tick). */
  windowMs?: number;
  /**
   * Split what is pending over the free request slots, down to this many jobs
   * per request (default 50): 100 adds in flight leave as two requests of 50,
   * so the server parses one while it commits the other.
   */
  splitMin?: number;
}

export class AddBatcher {
  private pending: Entry[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly windowMs: number;
  private readonly splitMin: number;

  constructor(private readonly send: (jobs: NewJob[]) => Promise<BatchEnqueueResult>, opts: BatcherOptions = {}) {
    this.maxBatch = Math.min(Math.max(1, opts.maxBatch ?? 1000), 5000);
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
    this.windowMs = Math.max(0, opts.windowMs ?? 0);
    this.splitMin = Math.max(1, opts.splitMin ?? 50);
  }

  add(job: NewJob): Promise<AddResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      const go = () => {
        this.scheduled = false;
        this.pump();
      };
      if (this.windowMs > 0) setTimeout(go, this.windowMs);
      else queueMicrotask(go);
    });
  }

  /** Resolves when nothing is pending or in flight. */
  idle(): Promise<void> {
    if (!this.pending.length && !this.inFlight) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length) {
      const free = this.maxInFlight - this.inFlight;
      const share = Math.max(this.splitMin, Math.ceil(this.pending.length / free));
      void this.sendBatch(this.pending.splice(0, Math.min(this.maxBatch, share)));
    }
    if (!this.pending.length && !this.inFlight) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async sendBatch(batch: Entry[]): Promise<void> {
    this.inFlight++;
    try {
      await this.sendEntries(batch);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  private async sendEntries(batch: Entry[]): Promise<void> {
    let answer: BatchEnqueueResult;
    try {
      answer = await this.send(batch.map((e) => e.job));
    } catch (e) {
      // One invalid job rejects the whole batch and the error names it
      // (`jobs[3]: ...`): reject that add alone and send the others again.
      if (e instanceof CronqError && e.code === 'not_json' && batch.length > 1) {
        // Some job's data cannot be serialized (a BigInt, a cycle): reject those adds, send the rest.
        const ok = batch.filter((b) => {
          try {
            JSON.stringify(b.job);
            return true;
          } catch (err) {
            b.reject(new CronqError(0, 'not_json', `job data is not JSON: ${(err as Error).message}`));
            return false;
          }
        });
        if (ok.length < batch.length) return ok.length ? this.sendEntries(ok) : undefined;
      }
      const bad = e instanceof CronqError && (e.status === 400 || e.status === 413) ? /^jobs\[(\d+)\]: /.exec(e.message) : null;
      const i = bad ? Number(bad[1]) : -1;
      if (i < 0 || i >= batch.length) {
        for (const b of batch) b.reject(e);
        return;
      }
      const err = e as CronqError;
      batch[i]!.reject(new CronqError(err.status, err.code, err.message.slice(bad![0].length)));
      const rest = batch.filter((_, k) => k !== i);
      if (rest.length) await this.sendEntries(rest);
      return;
    }
    if (answer.jobs?.length !== batch.length) {
      const e = new Error(`cronq: batch answer has ${answer.jobs?.length} entries for ${batch.length} jobs`);
      for (const b of batch) b.reject(e);
      return;
    }
    batch.forEach((b, i) => b.resolve(answer.jobs[i]!));
  }
}
