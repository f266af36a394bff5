// Queue: the producer side, shaped like BullMQ's Queue, over cronq's HTTP API.
import { AddBatcher, type BatcherOptions } from './batcher.js';
import { CronqError, HttpClient, seg, type ConnectionOptions } from './http.js';
import { Job } from './job.js';
import type {
  BatchEnqueueResult, JobDetailJson, JobOptions, JobPage, JobState, NewJob, Ok, PauseResult, QueueInfo,
  QueueSettings, ScheduleDefinition, ScheduleDetailJson, ScheduleJson, ScheduleList,
} from './wire.js';

export type JobsOptions = JobOptions;

export interface QueueOptions {
  /** Server URL and token (default: env CRONQ_URL, CRONQ_TOKEN). An HttpClient may be shared. */
  connection?: ConnectionOptions | HttpClient;
  /** Options merged under every add's own options. */
  defaultJobOptions?: JobsOptions;
  /** How concurrent add() calls are coalesced into batch requests. */
  batching?: BatcherOptions;
}

/** BullMQ's job types; the cronq server knows the first five. */
export type JobType = JobState | 'paused' | 'prioritized' | 'waiting-children' | 'repeat' | 'wait';

const STATES: JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

/** BullMQ's RepeatOptions, as far as cron schedules go, plus cronq's schedule policies. */
export interface RepeatOptions {
  /** Cron expression (5 or 6 fields). */
  pattern: string;
  /** IANA zone (default UTC). */
  tz?: string;
  startDate?: Date | string | number;
  endDate?: Date | string | number;
  /** Not supported by cronq: use a cron pattern. */
  every?: never;
  missed?: ScheduleDefinition['missed'];
  missedMax?: number;
  missedWithinMs?: number;
  overlap?: ScheduleDefinition['overlap'];
  graceMs?: number;
  paused?: boolean;
}

export interface JobTemplate<D = unknown> {
  name?: string;
  data?: D;
  /** Job options as on add, except jobId. */
  opts?: Omit<JobsOptions, 'jobId'>;
}

/** A schedule as BullMQ's `getJobSchedulers` shows one (with cronq's full schedule in `schedule`). */
export interface JobSchedulerJson {
  key: string;
  id: string;
  name: string;
  pattern: string;
  tz: string;
  endDate: number | null;
  /** Next fire instant (ms), or null while paused or after endDate. */
  next: number | null;
  template: { data?: unknown; opts?: unknown };
  schedule: ScheduleJson;
}

const instant = (v: Date | string | number): string | number => (v instanceof Date ? v.toISOString() : v);

export class Queue<DataType = any, ResultType = any, NameType extends string = string> {
  readonly name: string;
  /** The HTTP client; `client.requests` counts the requests sent. */
  readonly client: HttpClient;
  readonly defaultJobOptions: JobsOptions;
  private readonly ownsClient: boolean;
  private readonly batcher: AddBatcher;
  private readonly base: string;

  constructor(name: string, opts: QueueOptions = {}) {
    this.name = name;
    this.ownsClient = !(opts.connection instanceof HttpClient);
    this.client = opts.connection instanceof HttpClient ? opts.connection : new HttpClient(opts.connection);
    this.defaultJobOptions = opts.defaultJobOptions ?? {};
    this.base = `/v1/queues/${seg(name)}`;
    this.batcher = new AddBatcher(
      (jobs) => this.client.request<BatchEnqueueResult>('POST', `${this.base}/jobs`, { jobs }, { op: 'enqueue' }),
      opts.batching,
    );
  }

  /**
   * Adds one job. Concurrent adds are sent together as one batch request;
   * the job's `id` is the server's (or `opts.jobId`), and `duplicate` is true
   * when a job with that `jobId` already existed (the first job is kept).
   */
  async add(name: NameType, data?: DataType, opts?: JobsOptions): Promise<Job<DataType, ResultType, NameType>> {
    const job = this.newJob(name, data, opts);
    const r = await this.batcher.add(job);
    return this.toJob(job, r.id, r.duplicate);
  }

  /** Adds jobs in as few requests as possible (5000 per request), in order. */
  async addBulk(jobs: { name: NameType; data?: DataType; opts?: JobsOptions }[]): Promise<Job<DataType, ResultType, NameType>[]> {
    const out: Job<DataType, ResultType, NameType>[] = [];
    for (let i = 0; i < jobs.length; i += 5000) {
      const chunk = jobs.slice(i, i + 5000).map((j) => this.newJob(j.name, j.data, j.opts));
      const r = await this.client.request<BatchEnqueueResult>('POST', `${this.base}/jobs`, { jobs: chunk }, { op: 'enqueue' });
      if (r.jobs.length !== chunk.length) throw new Error(`cronq: batch answer has ${r.jobs.length} entries for ${chunk.length} jobs`);
      chunk.forEach((j, k) => out.push(this.toJob(j, r.jobs[k]!.id, r.jobs[k]!.duplicate)));
    }
    return out;
  }

  /** The job with all the server keeps (attempts, logs, progress, result), or undefined. */
  async getJob(id: string): Promise<Job<DataType, ResultType, NameType> | undefined> {
    try {
      const j = await this.client.request<JobDetailJson>('GET', `${this.base}/jobs/${seg(id)}`, undefined, { op: 'getJob' });
      return Job.fromJson(this.client, j) as Job<DataType, ResultType, NameType>;
    } catch (e) {
      if (e instanceof CronqError && e.status === 404) return undefined;
      throw e;
    }
  }

  /**
   * Jobs in the given states, newest first within each state (oldest first with
   * `asc`), the states in the order given; `start`..`end` (inclusive, -1 = to the end) index that list, as
   * in BullMQ. No states (or all five): every job, newest first. Unknown BullMQ
   * types (`paused`, `prioritized`, ...) match nothing; `wait` means `waiting`.
   */
  async getJobs(types?: JobType | JobType[], start = 0, end = -1, asc = false): Promise<Job<DataType, ResultType, NameType>[]> {
    const want = this.states(types);
    // Oldest first needs each state's whole list (the server lists newest first).
    const need = end < 0 || asc ? Infinity : end + 1;
    const jobs: Job<DataType, ResultType, NameType>[] = [];
    const groups = want.length === STATES.length ? [undefined] : want;
    for (const state of groups) {
      const group: Job<DataType, ResultType, NameType>[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ limit: String(Math.min(1000, Math.max(1, need - jobs.length - group.length))) });
        if (state) q.set('state', state);
        if (cursor) q.set('cursor', cursor);
        const page: JobPage = await this.client.request<JobPage>('GET', `${this.base}/jobs?${q}`, undefined, { op: 'getJobs' });
        for (const j of page.jobs) group.push(Job.fromJson(this.client, j) as Job<DataType, ResultType, NameType>);
        cursor = page.nextCursor;
      } while (cursor && jobs.length + group.length < need);
      jobs.push(...(asc ? group.reverse() : group));
      if (jobs.length >= need) break;
    }
    return jobs.slice(start, end < 0 ? undefined : end + 1);
  }

  /** Counts per state, e.g. `getJobCounts('waiting', 'failed')`; no argument: all five states. */
  async getJobCounts(...types: JobType[]): Promise<Record<string, number>> {
    const counts = await this.counts();
    const out: Record<string, number> = {};
    for (const t of types.length ? types : STATES) out[t] = t === 'wait' ? counts.waiting : (counts as Record<string, number>)[t] ?? 0;
    return out;
  }

  /** The sum of the counts of the given states. */
  async getJobCountByTypes(...types: JobType[]): Promise<number> {
    const c = await this.getJobCounts(...types);
    return Object.values(c).reduce((a, b) => a + b, 0);
  }

  /** Jobs in `waiting` + `delayed` (BullMQ's count()). */
  async count(): Promise<number> {
    const c = await this.counts();
    return c.waiting + c.delayed;
  }

  /** Stops leasing jobs of this queue to every worker (admin token). */
  async pause(): Promise<void> {
    await this.client.request<PauseResult>('POST', `${this.base}/pause`, undefined, { op: 'pause' });
  }

  /** Leases jobs again (admin token). */
  async resume(): Promise<void> {
    await this.client.request<PauseResult>('POST', `${this.base}/resume`, undefined, { op: 'resume' });
  }

  /**
   * Changes the queue's settings (admin token); fields left out stay as they are.
   * `push` makes it a push queue, whose jobs cronq POSTs signed to a URL
   * (docs/push-protocol.md), and `push: null` a pull queue again;
   * `defaultJobOptions` are the attempts and backoff of jobs that set none.
   * Resolves with the queue as the server keeps it, secrets shown as "***".
   */
  async setSettings(settings: QueueSettings): Promise<QueueInfo> {
    return this.client.request<QueueInfo>('PUT', this.base, settings, { op: 'putQueue' });
  }

  /** Counts and settings of the queue, or undefined before its first use. */
  async getInfo(): Promise<QueueInfo | undefined> {
    return this.info();
  }

  async isPaused(): Promise<boolean> {
    return (await this.info())?.paused ?? false;
  }

  /** Log lines of a job, oldest first (BullMQ's getJobLogs). */
  async getJobLogs(id: string, start = 0, end = -1): Promise<{ logs: string[]; count: number }> {
    const j = await this.getJob(id);
    const lines = (j?.logs ?? []).map((l) => l.line);
    return { logs: lines.slice(start, end < 0 ? undefined : end + 1), count: lines.length };
  }

  /** Deletes a job that is not active. */
  async remove(id: string): Promise<void> {
    await this.client.request<Ok>('DELETE', `${this.base}/jobs/${seg(id)}`, undefined, { op: 'removeJob' });
  }

  /**
   * Creates or replaces the schedule `id` that adds a job to this queue at each
   * instant of `repeat.pattern` (cron). BullMQ's job scheduler API; in cronq a
   * schedule is a server object (`PUT /v1/schedules/{id}`), so it fires whether
   * or not any Node process runs, and its name is global across queues.
   */
  async upsertJobScheduler(id: string, repeat: RepeatOptions, template: JobTemplate<DataType> = {}): Promise<ScheduleDetailJson> {
    if ((repeat as { every?: unknown }).every !== undefined) throw new Error('cronq: `every` is not supported; use a cron `pattern`');
    const { pattern, tz, startDate, endDate, every: _every, ...policies } = repeat;
    const body: ScheduleDefinition = {
      cron: pattern,
      target: { queue: this.name, name: template.name ?? id, data: template.data, opts: template.opts },
      ...policies,
    };
    if (tz !== undefined) body.tz = tz;
    if (startDate !== undefined) body.startAt = instant(startDate);
    if (endDate !== undefined) body.endAt = instant(endDate);
    return this.client.request<ScheduleDetailJson>('PUT', `/v1/schedules/${seg(id)}`, body, { op: 'upsertSchedule' });
  }

  /** Deletes the schedule; false when it did not exist. */
  async removeJobScheduler(id: string): Promise<boolean> {
    try {
      await this.client.request<Ok>('DELETE', `/v1/schedules/${seg(id)}`, undefined, { op: 'removeSchedule' });
      return true;
    } catch (e) {
      if (e instanceof CronqError && e.status === 404) return false;
      throw e;
    }
  }

  /** One schedule of this queue, or undefined. */
  async getJobScheduler(id: string): Promise<JobSchedulerJson | undefined> {
    try {
      const s = await this.client.request<ScheduleDetailJson>('GET', `/v1/schedules/${seg(id)}?history=0&next=1`, undefined, { op: 'getSchedule' });
      return s.target.queue === this.name ? toScheduler(s) : undefined;
    } catch (e) {
      if (e instanceof CronqError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** The schedules that add jobs to this queue, sorted by next fire time (`asc`) as in BullMQ. */
  async getJobSchedulers(start = 0, end = -1, asc = false): Promise<JobSchedulerJson[]> {
    const { schedules } = await this.client.request<ScheduleList>('GET', '/v1/schedules', undefined, { op: 'listSchedules' });
    const mine = schedules.filter((s) => s.target.queue === this.name).map(toScheduler);
    const key = (s: JobSchedulerJson) => s.next ?? Number.MAX_SAFE_INTEGER;
    mine.sort((a, b) => (asc ? key(a) - key(b) : key(b) - key(a)));
    return mine.slice(start, end < 0 ? undefined : end + 1);
  }

  async getJobSchedulersCount(): Promise<number> {
    return (await this.getJobSchedulers()).length;
  }

  /** Sends the adds still pending, then closes the connections this queue opened. */
  async close(): Promise<void> {
    await this.batcher.idle();
    if (this.ownsClient) this.client.close();
  }

  /** Resolves when every add made so far has been answered. */
  waitUntilReady(): Promise<void> {
    return this.batcher.idle();
  }

  private newJob(name: string, data: unknown, opts?: JobsOptions): NewJob {
    const o = opts ? { ...this.defaultJobOptions, ...opts } : this.defaultJobOptions;
    const job: NewJob = { name, data: data === undefined ? null : data };
    if (Object.keys(o).length) job.opts = o;
    return job;
  }

  private toJob(j: NewJob, id: string, duplicate: boolean): Job<DataType, ResultType, NameType> {
    const job = new Job<DataType, ResultType, NameType>(this.client, this.name, j.name as NameType, j.data as DataType, j.opts ?? {}, id);
    job.duplicate = duplicate;
    return job;
  }

  private states(types?: JobType | JobType[]): JobState[] {
    const list = types === undefined ? [] : Array.isArray(types) ? types : [types];
    if (!list.length) return STATES;
    const out: JobState[] = [];
    for (const t of list) {
      const s = (t === 'wait' ? 'waiting' : t) as JobState;
      if (STATES.includes(s) && !out.includes(s)) out.push(s);
    }
    return out;
  }

  private async info(): Promise<QueueInfo | undefined> {
    try {
      return await this.client.request<QueueInfo>('GET', this.base, undefined, { op: 'getQueue' });
    } catch (e) {
      if (e instanceof CronqError && e.status === 404) return undefined;
      throw e;
    }
  }

  private async counts(): Promise<QueueInfo['counts']> {
    return (await this.info())?.counts ?? { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
  }
}

function toScheduler(s: ScheduleJson): JobSchedulerJson {
  return {
    key: s.name,
    id: s.name,
    name: s.target.name ?? s.name,
    pattern: s.cron,
    tz: s.tz,
    endDate: s.endAt ? Date.parse(s.endAt) : null,
    next: s.nextDue ? Date.parse(s.nextDue) : null,
    template: { data: s.target.data, opts: s.target.opts },
    schedule: s,
  };
}
