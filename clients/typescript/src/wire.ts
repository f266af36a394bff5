// The wire types of cronq's HTTP API, taken from the types that `npm run gen`
// generates from docs/openapi.yaml at build time. The SDK builds its request
// bodies and reads its answers only through these names, so `tsc` fails when
// the SDK and the OpenAPI file drift apart.
import type { components } from './generated/openapi.js';

type S = components['schemas'];

export type JobOptions = S['JobOptions'];
export type Backoff = S['Backoff'];
export type Retention = S['Retention'];
export type NewJob = S['NewJob'];
export type NewJobBatch = S['NewJobBatch'];
export type EnqueueResult = S['EnqueueResult'];
export type BatchEnqueueResult = S['BatchEnqueueResult'];
export type JobState = S['JobState'];
export type StoredOptions = S['StoredOptions'];
export type JobJson = S['Job'];
export type JobDetailJson = S['JobDetail'];
export type JobPage = S['JobPage'];
export type QueueInfo = S['QueueInfo'];
export type QueueSettings = S['QueueSettings'];
export type PauseResult = S['PauseResult'];
export type StateChange = S['StateChange'];
export type Ok = S['Ok'];
export type FetchRequest = S['FetchRequest'];
export type FetchResponse = S['FetchResponse'];
export type Lease = S['Lease'];
export type ExtendRequest = S['ExtendRequest'];
export type ExtendResponse = S['ExtendResponse'];
export type AckRequest = S['AckRequest'];
export type AckComplete = S['AckComplete'];
export type AckFail = S['AckFail'];
export type AckResponse = S['AckResponse'];
export type AckEntryResult = S['AckEntryResult'];
export type ErrorDetail = S['ErrorDetail'];
export type ScheduleDefinition = S['ScheduleDefinition'];
export type ScheduleTarget = S['ScheduleTarget'];
export type ScheduleJson = S['Schedule'];
export type ScheduleDetailJson = S['ScheduleDetail'];
export type TriggerResult = S['TriggerResult'];
export type ErrorBody = S['Error'];

import type { operations } from './generated/openapi.js';
type Answer<Op extends keyof operations, Code extends number> =
  operations[Op]['responses'] extends { [K in Code]: { content: { 'application/json': infer T } } } ? T : never;

export type ScheduleList = Answer<'listSchedules', 200>;
export type QueueList = Answer<'listQueues', 200>;
