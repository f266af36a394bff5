// The job itself, shared by both ways of running it: the signed push route
// (app/api/jobs/email/route.ts, for serverless hosts) and the pull worker
// (workers/email.worker.ts, for a persistent server).

/** What app/api/send-email enqueues. */
export interface EmailJob {
  to: string;
  subject: string;
}

export const EMAIL_QUEUE = process.env.EMAIL_QUEUE || 'email';

/** Checks a request body before it becomes a job; returns the job data or an error message. */
export function parseEmailRequest(body: unknown): EmailJob | string {
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object';
  const { to, subject } = body as Record<string, unknown>;
  if (typeof to !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(to)) return '"to" must be an email address';
  if (subject !== undefined && typeof subject !== 'string') return '"subject" must be a string';
  return { to, subject: subject ?? 'Welcome!' };
}

/** "Sends" the email: a stand-in for your mail provider's SDK call. */
export async function sendEmail(email: EmailJob): Promise<{ messageId: string }> {
  await new Promise((r) => setTimeout(r, 50)); // pretend to talk to the provider
  return { messageId: `msg-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}` };
}
