// POST /api/jobs/email: cronq delivers each job of the push queue "email" here.
// withCronqSignature answers 401 unless the request carries a valid Cronq-Signature
// (HMAC-SHA256 with CRONQ_SIGNING_SECRET, at most five minutes old), so nobody but
// cronq can make this route send mail. A 2xx answer completes the job (the JSON
// body becomes its result); an error or a time-out makes cronq retry it.
import { withCronqSignature, type PushJob } from '@cronq/client/next';
import { sendEmail, type EmailJob } from '@/lib/email';
import { record } from '@/lib/record';

// On Vercel: the function's time limit. Set the push queue's timeoutMs to match.
export const maxDuration = 60;
// The SDK's helpers use node:crypto: keep the Node.js runtime (the default), not Edge.
export const runtime = 'nodejs';

export const POST = withCronqSignature(async (req: Request) => {
  const job = (await req.json()) as PushJob<EmailJob>;
  const { messageId } = await sendEmail(job.data);
  await record('push', {
    id: job.id,
    queue: job.queue,
    name: job.name,
    to: job.data.to,
    attempt: job.attempt,
    attemptHeader: req.headers.get('cronq-attempt'),
    messageId,
  });
  return Response.json({ sent: true, messageId });
});
