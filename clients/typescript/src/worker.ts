// Worker: the consumer side, shaped like BullMQ's Worker, pulling over HTTP.
//
// How it moves jobs (each part is one small piece below):
// - Fetch: long-poll `POST /v1/queues/{q}/fetch {max, waitMs, lockMs}` for as
//   many jobs as there are free slots (`concurrency` minus running jobs minus
//   slots reserved by fetches in flight). At most two such fetches are in
//   flight (besides those acks carry, below); a second one starts only when a
//   quarter of the slots is free, so a worker with no-op jobs fetches in large
//   batches instead of one job at a time.
// - Run: each leased job runs the processor; its slot frees when the processor
//   settles, and its outcome joins the ack buffer.
// - Ack: outcomes leave in batches (AckBatcher, acker.ts); `completed` and
//   `failed` fire from the ack's answer. An ack also carries a fetch for the
//   slots free as it leaves (up to half of them, no wait), so under load one
//   request per round both acknowledges and leases, in one commit on the
//   server, and two such requests overlap.
// - Heartbeat: one timer every lockDuration/4 extends each running job whose
//   lease is half spent; updateProgress and log send an extend at once.
// - close(): stop fetching (parked fetches are aborted), let running jobs
//   finish, send their acks, then close the connections.
import { EventEmitter } from 'node:events';
import { CronqError, HttpClient, seg, type ConnectionOptions } from './http.js';
import { Job, type LeaseOwner } from './job.js';
import { AckBatcher, cutBytes, serializable, MAX_MESSAGE, MAX_STACK } from './acker.js';
import type { AckComplete, AckFail, ExtendRequest, ExtendResponse, FetchRequest, FetchResponse, Lease } from './wire.js';

/** Thrown by a processor to fail the job for good: no more attempts. */
export class UnrecoverableError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

export type Processor<D = any, R = any, N extends string = string> = (job: Job<D, R, N>, token?: string) => Promise<R>;

export interface WorkerOptions {
  /** Server URL and token (default: env CRONQ_URL, CRONQ_TOKEN). An HttpClient may be shared. */
  connection?: ConnectionOptions | HttpClient;
  /** Jobs processed at once (default 1). */
  concurrency?: number;
  /** Lease length in ms (default 30000); heartbeats renew it while the processor runs. */
  lockDuration?: number;
  /** Start fetching at once (default true); otherwise call run(). */
  autorun?: boolean;
  /** Long-poll wait in seconds when the queue is empty (default 5, at most 30), as BullMQ's drainDelay. */
  drainDelay?: number;
  /** Name kept with each attempt (default: the client's address). */
  name?: string;
}

interface Running {
  job: Job;
  lastExtend: number;
  pendingLogs: string[];
  progressDirty: boolean;
  /** The extend queued but not started yet (later calls share it). */
  queued: Promise<void> | null;
  /** The chain of extends of this job, so they run one at a time and the ack waits for them. */
  chain: Promise<void>;
  lost: boolean;
}

export interface Worker<D = any, R = any, N extends string = string> {
  on(event: 'active', listener: (job: Job<D, R, N>, prev: string) => void): this;
  on(event: 'completed', listener: (job: Job<D, R, N>, result: R, prev: string) => void): this;
  on(event: 'failed', listener: (job: Job<D, R, N> | undefined, error: Error, prev: string) => void): this;
  on(event: 'progress', listener: (job: Job<D, R, N>, progress: unknown) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'drained' | 'paused' | 'resumed' | 'closing' | 'closed', listener: () => void): this;
  on(event: string, listener: (...args: any[]) => void): this;
}

export class Worker<D = any, R = any, N extends string = string> extends EventEmitter implements LeaseOwner {
  readonly name: string;
  readonly client: HttpClient;
  readonly concurrency: number;
  readonly lockDuration: number;
  private readonly processor: Processor<D, R, N>;
  private readonly ownsClient: boolean;
  private readonly base: string;
  private readonly waitMs: number;
  /** Most jobs per fetch (the server's limit is 1000). A plain fetch asks for every free slot; one carried by an ack, for at most half (carriedFetch). */
  private readonly fetchMax: number;
  private readonly workerName: string | undefined;
  private readonly running = new Map<string, Running>();
  private reserved = 0;
  private fetches = 0;
  private fetchErrors = 0;
  private pumpScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private started = false;
  private closing: Promise<void> | null = null;
  /** Aborts the fetches in flight (pause, close); replaced after each use. */
  private abort = new AbortController();
  private paused = false;
  private readonly acks: AckBatcher;
  private idleWaiters: (() => void)[] = [];
  private drainedEmitted = false;

  constructor(name: string, processor: Processor<D, R, N>, opts: WorkerOptions = {}) {
    super();
    this.name = name;
    this.processor = processor;
    this.ownsClient = !(opts.connection instanceof HttpClient);
    this.client = opts.connection instanceof HttpClient ? opts.connection : new HttpClient(opts.connection);
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    this.lockDuration = Math.max(100, Math.floor(opts.lockDuration ?? 30_000));
    this.fetchMax = Math.min(1000, this.concurrency);
    this.waitMs = Math.min(30_000, Math.max(0, Math.round((opts.drainDelay ?? 5) * 1000)));
    this.workerName = opts.name;
    this.base = `/v1/queues/${seg(name)}`;
    this.acks = new AckBatcher(this.client, `${this.base}/ack`, {
      completed: (job, result) => this.emit('completed', job, result, 'active'),
      failed: (job, error) => this.emit('failed', job, error, 'active'),
      error: (e) => this.emitError(e),
      idle: () => this.checkIdle(),
      takeFetch: () => this.carriedFetch(),
      leased: (jobs, fetch) => this.carriedLeases(jobs, fetch),
    });
    if (opts.autorun ?? true) this.run();
  }

  /** Starts fetching (only needed with `autorun: false`). */
  run(): void {
    if (this.started || this.closing) return;
    this.started = true;
    const every = Math.max(25, Math.floor(this.lockDuration / 4));
    this.heartbeat = setInterval(() => this.beat(), every);
    this.pump();
  }

  isRunning(): boolean {
    return this.started && !this.closing;
  }

  /**
   * Stops fetching, waits for the running jobs to finish and their outcomes to
   * be acknowledged, then closes the connections. `force`: do not wait for
   * running jobs; their leases expire and cronq hands them out again.
   */
  close(force = false): Promise<void> {
    if (!this.closing) this.closing = this.shutdown(force);
    return this.closing;
  }

  /**
   * Stops taking new jobs (a parked fetch is aborted). Resolves when the running
   * jobs have finished and been acknowledged, or at once with `doNotWaitActive`.
   */
  async pause(doNotWaitActive = false): Promise<void> {
    if (this.paused) return;
    this.paused = true;
    this.abort.abort();
    this.abort = new AbortController();
    this.emit('paused');
    if (!doNotWaitActive) await this.whenIdle();
  }

  /** Takes jobs again after pause(). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.emit('resumed');
    this.pump();
  }

  isPaused(): boolean {
    return this.paused;
  }

  // ---- fetching ----

  private free(): number {
    return this.concurrency - this.running.size - this.reserved;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closing || this.paused || !this.started || this.retryTimer) return;
    while (this.fetches < 2) {
      const free = this.free();
      const enough = this.fetches === 0 ? free >= 1 : free >= Math.ceil(this.concurrency / 4);
      if (!enough) return;
      void this.fetchOnce(Math.min(free, this.fetchMax));
    }
  }

  private async fetchOnce(max: number): Promise<void> {
    this.fetches++;
    this.reserved += max;
    let leases: FetchResponse['jobs'] = [];
    try {
      const body: FetchRequest = { max, waitMs: this.waitMs, lockMs: this.lockDuration };
      if (this.workerName) body.worker = this.workerName;
      const r = await this.client.request<FetchResponse>('POST', `${this.base}/fetch`, body, {
        op: 'fetch', signal: this.abort.signal, timeoutMs: this.waitMs + 30_000,
      });
      leases = r.jobs;
      this.fetchErrors = 0;
    } catch (e) {
      const aborted = e instanceof CronqError && e.code === 'aborted';
      if (!this.closing && !aborted) {
        this.fetchErrors++;
        this.emitError(e);
        const delay = Math.min(5000, 100 * 2 ** Math.min(this.fetchErrors, 6));
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.pump();
        }, delay);
      }
    } finally {
      this.fetches--;
      this.reserved -= max;
    }
    for (const l of leases) this.start(Job.fromLease(this.client, l, this));
    if (leases.length) this.drainedEmitted = false;
    else if (!this.running.size && !this.closing && !this.drainedEmitted && !this.fetchErrors) {
      this.drainedEmitted = true;
      this.emit('drained');
    }
    this.pump();
  }

  /**
   * The fetch an ack carries (acker.ts) for the free slots, at most half of
   * them, reserved until its answer: finished jobs make room, and their ack
   * brings the next ones in the same request. Half, so the slots run as two
   * halves whose requests overlap (pump() fetches for the other half at first).
   * It does not wait; pump() long-polls when it finds nothing.
   */
  private carriedFetch(): FetchRequest | null {
    if (this.closing || this.paused || !this.started || this.retryTimer) return null;
    const max = Math.min(this.free(), this.fetchMax, Math.ceil(this.concurrency / 2));
    if (max < 1) return null;
    this.fetches++;
    this.reserved += max;
    const body: FetchRequest = { max, lockMs: this.lockDuration };
    if (this.workerName) body.worker = this.workerName;
    return body;
  }

  private carriedLeases(leases: Lease[], fetch: FetchRequest): void {
    this.fetches--;
    this.reserved -= fetch.max ?? 1;
    // Leased to this worker: run them even if it is pausing or closing, or they would sit until their leases expire.
    for (const l of leases) this.start(Job.fromLease(this.client, l, this));
    if (leases.length) this.drainedEmitted = false;
    this.pump();
  }

  // ---- running ----

  private start(job: Job): void {
    const run: Running = { job, lastExtend: Date.now(), pendingLogs: [], progressDirty: false, queued: null, chain: Promise.resolve(), lost: false };
    this.running.set(job.token!, run);
    this.emit('active', job, 'waiting');
    let p: Promise<R>;
    try {
      p = Promise.resolve(this.processor(job as Job<D, R, N>, job.token));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (result) => this.finish(run, { kind: 'complete', result }),
      (error) => this.finish(run, { kind: 'fail', error }),
    );
  }

  private finish(run: Running, o: { kind: 'complete'; result: unknown } | { kind: 'fail'; error: unknown }): void {
    const job = run.job;
    const settle = () => {
      this.running.delete(job.token!);
      const token = job.token!;
      if (o.kind === 'complete' && serializable(o.result)) {
        const entry: AckComplete = { id: job.id, token };
        if (o.result !== undefined) entry.result = o.result;
        this.acks.push({ kind: 'complete', job, entry, result: o.result });
      } else {
        const error =
          o.kind === 'complete' ? new Error('the processor returned a value that is not JSON (a BigInt or a cycle)')
          : o.error instanceof Error ? o.error : new Error(String(o.error));
        const thrown = o.kind === 'fail' ? o.error : undefined;
        const entry: AckFail = {
          id: job.id, token,
          error: { message: cutBytes(error.message || String(thrown) || 'failed', MAX_MESSAGE) },
        };
        if (error.stack) (entry.error as { stack?: string }).stack = cutBytes(error.stack, MAX_STACK);
        if (error instanceof UnrecoverableError || error.name === 'UnrecoverableError') entry.unrecoverable = true;
        this.acks.push({ kind: 'fail', job, entry, error });
      }
      this.schedulePump();
      this.checkIdle();
    };
    // Progress and log lines sent during the run must reach the server before the ack ends the lease.
    void run.chain.then(settle, settle);
  }

  // ---- heartbeats, progress, logs ----

  updateProgress(job: Job, progress: unknown): Promise<void> {
    const run = this.running.get(job.token!);
    if (!run || run.job !== job) return Promise.reject(new Error(`cronq: job ${job.id} is not running in this worker`));
    run.progressDirty = true;
    this.emit('progress', job, progress);
    return this.extend(run);
  }

  log(job: Job, line: string): Promise<void> {
    const run = this.running.get(job.token!);
    if (!run || run.job !== job) return Promise.reject(new Error(`cronq: job ${job.id} is not running in this worker`));
    run.pendingLogs.push(String(line));
    return this.extend(run);
  }

  private beat(): void {
    const due = Date.now() - this.lockDuration / 2;
    for (const run of this.running.values()) {
      if (run.lastExtend <= due && !run.queued && !run.lost) this.extend(run).catch(() => {});
    }
  }

  /** Queues one extend of the job's lease carrying what is pending; calls made before it starts share it. */
  private extend(run: Running): Promise<void> {
    if (run.queued) return run.queued;
    const p = run.chain.then(async () => {
      run.queued = null;
      do {
        const body: ExtendRequest = { token: run.job.token!, lockMs: this.lockDuration };
        if (run.progressDirty) {
          body.progress = run.job.progress;
          run.progressDirty = false;
        }
        if (run.pendingLogs.length) body.logs = run.pendingLogs.splice(0, 100);
        run.lastExtend = Date.now();
        try {
          const r = await this.client.request<ExtendResponse>('POST', `${this.base}/jobs/${seg(run.job.id)}/extend`, body, { op: 'extend' });
          run.job.lockUntil = r.lockUntil;
        } catch (e) {
          if (e instanceof CronqError && e.status === 409) run.lost = true;
          this.emitError(e);
          throw e;
        }
      } while (run.pendingLogs.length);
    });
    run.queued = p;
    run.chain = p.catch(() => {});
    return p;
  }

  // ---- closing ----

  /** Resolves when no job runs and no outcome waits to be acknowledged. */
  private whenIdle(): Promise<void> {
    return new Promise<void>((r) => {
      this.idleWaiters.push(r);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.running.size || !this.acks.idle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async shutdown(force: boolean): Promise<void> {
    this.emit('closing');
    this.abort.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!force) await this.whenIdle();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.ownsClient) this.client.close();
    this.emit('closed');
  }

  private emitError(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    if (this.listenerCount('error')) this.emit('error', err);
    else console.error(`cronq worker ${this.name}:`, err.message);
  }
}
