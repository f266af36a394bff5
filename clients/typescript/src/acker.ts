// AckBatcher: a Worker's outcomes (completions and failures) leave in batches.
//
// push() parks an outcome; at the end of the tick (setImmediate) the buffer
// leaves as one `POST /v1/queues/{q}/ack`. Two requests may be in flight; while
// both are, new outcomes pile up and leave together with the next one, so under
// load one request carries every outcome of a round. (Two, not one: a Worker's
// slots then split into two halves whose acks and fetches overlap, so the server
// works on one half while the other runs; scenario 8 in bench/ went from
// 23.3-23.9k to 29.1-31.3k jobs/s with it.) The answer has one result per
// entry: `completed` / `failed` fire for the entries the server stored, and
// `error` for the others (a stale lease, a deleted job).
//
// When the Worker has free slots as an ack leaves, the ack also carries a fetch
// for them (takeFetch): the server acknowledges and leases the next jobs in one
// request and one commit, and `leased` gets them (or none, on any failure).
//
// A request the server refuses as a whole (400/413: some entry is invalid,
// e.g. a result over 512 KiB) is resent one entry at a time; a completion
// whose result is refused alone is recorded as a failed attempt, so the lease
// does not sit until it expires. Transport errors and 5xx are retried 4 times.
import { CronqError, type HttpClient } from './http.js';
import type { Job } from './job.js';
import type { AckComplete, AckFail, AckRequest, AckResponse, FetchRequest, Lease } from './wire.js';

export type Outcome =
  | { kind: 'complete'; job: Job; entry: AckComplete; result: unknown }
  | { kind: 'fail'; job: Job; entry: AckFail; error: Error };

export interface AckEvents {
  completed(job: Job, result: unknown): void;
  failed(job: Job, error: Error): void;
  error(error: unknown): void;
  /** Nothing is buffered or in flight any more. */
  idle(): void;
  /** As an ack leaves: the fetch it carries, its slots reserved until `leased`; null for none. */
  takeFetch?(): FetchRequest | null;
  /** What a carried fetch leased: called once per takeFetch, with no jobs when the request failed. */
  leased?(jobs: Lease[], fetch: FetchRequest): void;
}

/** The server's limits are 8 KiB (message) and 64 KiB (stack); keep below them. */
export const MAX_MESSAGE = 8000;
export const MAX_STACK = 60_000;

/** `s` cut to at most about `max` UTF-8 bytes (the server refuses longer error messages and stacks). */
export function cutBytes(s: string, max: number): string {
  if (s.length * 3 <= max) return s;
  const b = Buffer.from(s, 'utf8');
  return b.length <= max ? s : b.subarray(0, max).toString('utf8');
}

/** Whether a processor's result can be sent as JSON (no BigInt, no cycle). */
export function serializable(v: unknown): boolean {
  if (v === undefined || v === null || typeof v !== 'object') return typeof v !== 'bigint';
  try {
    JSON.stringify(v);
    return true;
  } catch {
    return false;
  }
}

export class AckBatcher {
  private buffer: Outcome[] = [];
  /** Requests in flight: two, so a Worker's two halves ack (and fetch) without waiting for each other. */
  private inFlight = 0;
  private static readonly MAX_IN_FLIGHT = 2;
  private scheduled = false;
  /** False once the server refused a `fetch` in an ack (a server older than the SDK): acks then go without. */
  private carry = true;

  constructor(private readonly client: HttpClient, private readonly path: string, private readonly on: AckEvents) {}

  push(o: Outcome): void {
    this.buffer.push(o);
    if (this.inFlight >= AckBatcher.MAX_IN_FLIGHT || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** True when nothing is buffered or in flight. */
  idle(): boolean {
    return !this.inFlight && !this.scheduled && !this.buffer.length;
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= AckBatcher.MAX_IN_FLIGHT || !this.buffer.length) return;
    const batch = this.buffer.splice(0, 5000);
    this.inFlight++;
    try {
      await this.send(batch, 0, this.carry ? this.on.takeFetch?.() ?? null : null);
    } finally {
      this.inFlight--;
      if (this.buffer.length) void this.flush();
      else if (this.idle()) this.on.idle();
    }
  }

  /**
   * Sends one ack; a carried fetch gets exactly one `leased` call, with the jobs
   * of the answer (none if it failed), even if an event listener throws.
   */
  private async send(batch: Outcome[], tries = 0, fetch: FetchRequest | null = null): Promise<void> {
    const carried: { jobs: Lease[] } = { jobs: [] };
    try {
      await this.sendOnce(batch, tries, fetch, carried);
    } finally {
      if (fetch) this.on.leased?.(carried.jobs, fetch);
    }
  }

  private async sendOnce(batch: Outcome[], tries: number, fetch: FetchRequest | null, carried: { jobs: Lease[] }): Promise<void> {
    const complete = batch.filter((o): o is Extract<Outcome, { kind: 'complete' }> => o.kind === 'complete');
    const fail = batch.filter((o): o is Extract<Outcome, { kind: 'fail' }> => o.kind === 'fail');
    const body: AckRequest = {};
    if (complete.length) body.complete = complete.map((o) => o.entry);
    if (fail.length) body.fail = fail.map((o) => o.entry);
    if (fetch) body.fetch = fetch;
    let r: AckResponse;
    try {
      r = await this.client.request<AckResponse>('POST', this.path, body, { op: 'ack' });
      carried.jobs = r.jobs ?? [];
    } catch (e) {
      // Retries and resends carry no fetch: the Worker fetches on its own.
      const err = e as CronqError;
      const refused = err.status === 400 || err.status === 413;
      if (refused && fetch && /\bfetch\b/.test(err.message)) {
        // The fetch was refused, not the entries: an older server, or a worker
        // name it will not take. Send the same batch without one, and no more.
        this.carry = false;
        return this.send(batch, tries);
      }
      if (refused && batch.length > 1) {
        for (const o of batch) await this.send([o]);
        return;
      }
      const o = batch[0]!;
      if (refused && o.kind === 'complete') {
        const error = new Error(`cronq refused the job's result: ${err.message}`);
        await this.send([{ kind: 'fail', job: o.job, entry: { id: o.entry.id, token: o.entry.token, error: { message: cutBytes(error.message, MAX_MESSAGE) } }, error }]);
        return;
      }
      if ((err.status === 0 || err.status >= 500) && tries < 4) {
        await new Promise((res) => setTimeout(res, 100 * 2 ** tries));
        return this.send(batch, tries + 1);
      }
      this.on.error(e);
      return;
    }
    const stale = (job: Job, res: AckResponse['complete'][number] | undefined) =>
      this.on.error(new CronqError(409, res?.error?.code ?? 'conflict', `job ${job.id}: ${res?.error?.message ?? 'not acknowledged'}`));
    complete.forEach((o, i) => {
      const res = r.complete[i];
      if (!res?.ok) return stale(o.job, res);
      o.job.attemptsMade = o.job.attemptsStarted;
      o.job.returnvalue = o.result;
      o.job.finishedOn = Date.now();
      this.on.completed(o.job, o.result);
    });
    fail.forEach((o, i) => {
      const res = r.fail[i];
      if (!res?.ok) return stale(o.job, res);
      o.job.attemptsMade = o.job.attemptsStarted;
      o.job.failedReason = o.error.message;
      o.job.stacktrace = o.error.stack ? [o.error.stack] : [];
      this.on.failed(o.job, o.error);
    });
  }
}
