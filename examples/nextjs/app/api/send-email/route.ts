// POST /api/send-email {"to": "ada@example.com", "subject": "Hi"}
// Enqueues the email as a job in cronq and answers at once (202) with its id:
// the request never waits for the mail provider. cronq then delivers the job
// either to app/api/jobs/email (a push queue) or to workers/email.worker.ts
// (a pull queue); this route does not need to know which.
//
// An `Idempotency-Key` header becomes the job's id (BullMQ's `jobId`): a client
// that retries after a lost answer gets the first job back instead of a second
// email.
import { CronqError } from '@cronq/client';
import { getEmailQueue } from '@/lib/queues';
import { parseEmailRequest } from '@/lib/email';

const error = (status: number, code: string, message: string) =>
  Response.json({ error: { code, message } }, { status });

export async function POST(req: Request): Promise<Response> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return error(400, 'invalid_argument', 'body is not JSON');
  }
  const email = parseEmailRequest(body);
  if (typeof email === 'string') return error(400, 'invalid_argument', email);
  const key = req.headers.get('idempotency-key') ?? undefined;

  const queue = getEmailQueue();
  try {
    const job = await queue.add('send-email', email, key ? { jobId: `email-${key}` } : undefined);
    return Response.json({ id: job.id, queue: queue.name, duplicate: job.duplicate ?? false }, { status: 202 });
  } catch (e) {
    // cronq refused the job (bad input) or could not be reached: say so, do not pretend.
    if (e instanceof CronqError && e.status >= 400 && e.status < 500) return error(400, e.code, e.message);
    console.error('enqueue failed:', e);
    return error(503, 'unavailable', 'the job queue is unavailable, try again');
  }
}
