// The persistent-server alternative to app/api/jobs/email: a long-running Node
// process that pulls jobs of the queue "email" from cronq (long-poll fetch, a
// lease renewed by heartbeats, batched acknowledgements), as a BullMQ Worker does
// from Redis. Use it when the app runs on a server of its own (a VM, a container)
// and the queue is a pull queue (no push config). Run: `npm run worker`.
// Connection: env CRONQ_URL (default http://127.0.0.1:7700) and CRONQ_TOKEN.
import { Worker } from '@cronq/client';
import { EMAIL_QUEUE, sendEmail, type EmailJob } from '../lib/email.js';
import { record } from '../lib/record.js';

const worker = new Worker<EmailJob>(
  EMAIL_QUEUE,
  async (job) => {
    const { messageId } = await sendEmail(job.data);
    await record('worker', { id: job.id, queue: EMAIL_QUEUE, name: job.name, to: job.data.to, attempt: job.attemptsMade + 1, messageId });
    return { sent: true, messageId };
  },
  { concurrency: 5 },
);

worker.on('completed', (job) => console.log(`email ${job.id} sent`));
worker.on('failed', (job, err) => console.error(`email ${job?.id} failed: ${err.message}`));
worker.on('error', (err) => console.error(`worker error: ${err.message}`));
console.log(`email worker pulling queue "${EMAIL_QUEUE}" from ${process.env.CRONQ_URL ?? 'http://127.0.0.1:7700'}`);

// Finish the jobs in hand, acknowledge them, then exit (a deploy or Ctrl-C).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`${signal}: finishing the jobs in hand`);
    worker.close().then(() => process.exit(0), () => process.exit(1));
  });
}
