// @cronq/client: a BullMQ-shaped client for cronq (Queue, Worker, Job,
// UnrecoverableError). Next.js helpers are in '@cronq/client/next'.
export { Queue } from './queue.js';
export type { QueueOptions, JobsOptions, JobType, RepeatOptions, JobTemplate, JobSchedulerJson } from './queue.js';
export { Worker, UnrecoverableError } from './worker.js';
export type { WorkerOptions, Processor } from './worker.js';
export { Job } from './job.js';
export { HttpClient, CronqError } from './http.js';
export type { ConnectionOptions, RequestOptions } from './http.js';
export type { BatcherOptions, AddResult } from './batcher.js';
export type * from './wire.js';
