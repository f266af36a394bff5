// POST /api/send-email {"to": "ada@example.com", "subject": "Hi"}
// Enqueues the email as a job in cronq and answers at once (202) with its id:
// the request never waits for the mail provider. cronq then delivers the job
// either to app/api/jobs/email (a push queue) or to workers/email.worker.ts
// (a pull queue); this route does not need to know which.
import { getEmailQueue } from '@/lib/queues';
import { parseEmailRequest } from '@/lib/email';

export async function POST(req: Request): Promise<Response> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return Response.json({ error: { code: 'invalid_argument', message: 'body is not JSON' } }, { status: 400 });
  }
  const email = parseEmailRequest(body);
  if (typeof email === 'string') {
    return Response.json({ error: { code: 'invalid_argument', message: email } }, { status: 400 });
  }
  const queue = getEmailQueue();
  const job = await queue.add('send-email', email);
  return Response.json({ id: job.id, queue: queue.name }, { status: 202 });
}
