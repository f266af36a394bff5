// POST /api/jobs/flaky: a push route whose upstream is down the first time.
// For each job id, the first delivery answers 500 (as a route whose database or
// partner API failed would); cronq records the failed attempt and delivers the job
// again after the queue's backoff, and the second delivery succeeds. The job's
// attempts (GET /v1/queues/flaky/jobs/{id}) then show failed, then completed.
import { withCronqSignature, type PushJob } from '@cronq/client/next';
import { firstTime, record } from '@/lib/record';

export const maxDuration = 60;
// The SDK's helpers use node:crypto: keep the Node.js runtime (the default), not Edge.
export const runtime = 'nodejs';

export const POST = withCronqSignature(async (req: Request) => {
  const job = (await req.json()) as PushJob;
  const entry = { id: job.id, queue: job.queue, attempt: job.attempt };
  if (await firstTime(`flaky-${job.queue}-${job.id}`)) {
    await record('flaky', { ...entry, outcome: 'failed' });
    return Response.json({ error: { code: 'unavailable', message: 'upstream is down, try again' } }, { status: 500 });
  }
  await record('flaky', { ...entry, outcome: 'completed' });
  return Response.json({ ok: true, attempt: job.attempt });
});
