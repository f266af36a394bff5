// GET /api/cron/sync: a Vercel-style cron route, listed in vercel.json. cronq runs
// that file as it is (`cronq serve --vercel-json vercel.json --base-url ...`) and
// calls this route at each slot with `Authorization: Bearer $CRON_SECRET` and a
// Cronq-Fire-Id header, unique per slot, to skip a repeated delivery.
// withCronSecret answers 401 to any other caller.
import { withCronSecret } from '@cronq/client/next';
import { record } from '@/lib/record';

export const dynamic = 'force-dynamic';

export const GET = withCronSecret(async (req: Request) => {
  const fireId = req.headers.get('cronq-fire-id');
  // A real sync would pull from an upstream API here, keyed by fireId so that a
  // retried delivery of the same slot does the work once.
  await record('cron', { route: '/api/cron/sync', fireId, userAgent: req.headers.get('user-agent') });
  return Response.json({ ok: true, fireId });
});
