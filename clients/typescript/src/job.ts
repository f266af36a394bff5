// Job: the BullMQ-shaped view of one cronq job, as returned by Queue.add,
// Queue.getJob / getJobs, and handed to a Worker's processor.
import { CronqError, HttpClient, seg } from './http.js';
import type { JobDetailJson, JobJson, JobOptions, JobState, Lease, StateChange, StoredOptions, Ok } from './wire.js';

/** What a Worker provides to a job it leased: heartbeats carrying progress and log lines. */
export interface LeaseOwner {
  updateProgress(job: Job, progress: unknown): Promise<void>;
  log(job: Job, line: string): Promise<void>;
}

/**
 * One job. Field names follow BullMQ's `Job`. Times are milliseconds since the
 * epoch. A job from `Queue.add` knows only what was sent (id, name, data, opts);
 * `Queue.getJob` reads everything the server keeps; a Worker's job also carries
 * its lease (`token`, `lockUntil`) and can send progress and log lines.
 */
export class Job<DataType = any, ReturnType = any, NameType extends string = string> {
  id: string;
  name: NameType;
  data: DataType;
  opts: JobOptions | StoredOptions;
  readonly queueName: string;
  /** Attempts that ended (completed, failed or timed out); during processing, the attempts before this one. */
  attemptsMade = 0;
  /** Number of this attempt while a Worker runs it (1-based). */
  attemptsStarted = 0;
  timestamp: number;
  processedOn?: number | null;
  finishedOn?: number | null;
  delay = 0;
  priority = 0;
  progress: unknown = null;
  returnvalue: ReturnType | null = null;
  failedReason?: string | null;
  stacktrace: string[] = [];
  /** Lease expiries without an acknowledgement (BullMQ's stalledCounter). */
  stalledCounter = 0;
  /** The state when the job was read (`Queue.getJob` / `getJobs`); BullMQ's `getState()` reads it fresh. */
  state?: JobState;
  /** cronq: set by `Queue.add` when a job with the same `jobId` already existed. */
  duplicate?: boolean;
  /** cronq: the fire id of the schedule slot that enqueued the job. */
  fireId?: string | null;
  /** cronq: log lines (`Queue.getJob` only). */
  logs?: { at: number; line: string }[];
  /** cronq: the attempts with outcome and error (`Queue.getJob` only). */
  attempts?: JobDetailJson['attempts'];
  /** The lease's fencing token (a Worker's job only). */
  token?: string;
  /** The lease's expiry (a Worker's job only). */
  lockUntil?: number | null;
  /** @internal */
  owner?: LeaseOwner;
  private readonly client: HttpClient;

  constructor(client: HttpClient, queueName: string, name: NameType, data: DataType, opts: JobOptions | StoredOptions, id: string) {
    this.client = client;
    this.queueName = queueName;
    this.name = name;
    this.data = data;
    this.opts = opts;
    this.id = id;
    this.timestamp = Date.now();
    this.delay = opts.delay ?? 0;
    this.priority = opts.priority ?? 0;
  }

  /** @internal A job as the server stores it. */
  static fromJson(client: HttpClient, j: JobJson | JobDetailJson): Job {
    const job = new Job(client, j.queue, j.name, j.data, j.opts, j.id);
    job.state = j.state;
    job.attemptsMade = j.attemptsMade;
    job.stalledCounter = j.stalls;
    job.timestamp = j.timestamp;
    job.processedOn = j.processedOn;
    job.finishedOn = j.finishedOn;
    job.lockUntil = j.lockUntil;
    job.progress = j.progress ?? null;
    job.returnvalue = j.returnvalue ?? null;
    job.failedReason = j.failedReason;
    job.fireId = j.fireId;
    job.priority = j.priority;
    if ('logs' in j) {
      job.logs = j.logs;
      job.attempts = j.attempts;
      job.stacktrace = j.stacktrace ? [j.stacktrace] : [];
    }
    return job;
  }

  /** @internal A job leased by a Worker. */
  static fromLease(client: HttpClient, l: Lease, owner: LeaseOwner): Job {
    const opts: JobOptions = { attempts: l.attempts };
    if (l.timeout !== undefined) opts.timeout = l.timeout;
    const job = new Job(client, l.queue, l.name, l.data, opts, l.id);
    job.timestamp = l.timestamp;
    job.attemptsStarted = l.attempt;
    job.attemptsMade = l.attempt - 1;
    job.token = l.token;
    job.lockUntil = l.lockUntil;
    job.processedOn = Date.now();
    job.fireId = l.fireId ?? null;
    job.owner = owner;
    return job;
  }

  /**
   * Stores `progress` (any JSON value) on the server with a heartbeat; resolves
   * once the server has it. Only for a job a Worker is processing.
   */
  updateProgress(progress: unknown): Promise<void> {
    this.progress = progress;
    if (!this.owner) return Promise.reject(new Error('cronq: updateProgress needs a job leased by a Worker'));
    return this.owner.updateProgress(this, progress);
  }

  /** Appends a log line (kept with the job) with a heartbeat. Only for a job a Worker is processing. */
  log(line: string): Promise<void> {
    if (!this.owner) return Promise.reject(new Error('cronq: log needs a job leased by a Worker'));
    return this.owner.log(this, line);
  }

  /** The job's current state on the server, or `unknown` when it no longer exists. */
  async getState(): Promise<JobState | 'unknown'> {
    try {
      const j = await this.client.request<JobDetailJson>('GET', this.path(), undefined, { op: 'getJob' });
      return j.state;
    } catch (e) {
      if (e instanceof CronqError && e.status === 404) return 'unknown';
      throw e;
    }
  }

  /** Deletes the job (not while it is active). */
  async remove(): Promise<void> {
    await this.client.request<Ok>('DELETE', this.path(), undefined, { op: 'removeJob' });
  }

  /** Moves a completed or failed job back to waiting. */
  async retry(): Promise<void> {
    await this.client.request<StateChange>('POST', `${this.path()}/retry`, undefined, { op: 'retryJob' });
  }

  /** Moves a delayed job to waiting now. */
  async promote(): Promise<void> {
    await this.client.request<StateChange>('POST', `${this.path()}/promote`, undefined, { op: 'promoteJob' });
  }

  /** The fields, without the client (for logging and JSON). */
  toJSON(): Record<string, unknown> {
    const { client: _c, owner: _o, ...rest } = this as unknown as Record<string, unknown>;
    return rest;
  }

  private path(): string {
    return `/v1/queues/${seg(this.queueName)}/jobs/${seg(this.id)}`;
  }
}
