// The producer side: one Queue per queue name, created on first use (not at
// import, so `next build` needs no cronq settings). The connection comes from
// env CRONQ_URL (default http://127.0.0.1:7700) and CRONQ_TOKEN.
import { Queue } from '@cronq/client';
import { EMAIL_QUEUE, type EmailJob } from './email';

let emailQueue: Queue<EmailJob> | undefined;

export function getEmailQueue(): Queue<EmailJob> {
  emailQueue ??= new Queue<EmailJob>(EMAIL_QUEUE, {
    // Like BullMQ's defaultJobOptions: three attempts, 1 s then 2 s apart.
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
  });
  return emailQueue;
}
