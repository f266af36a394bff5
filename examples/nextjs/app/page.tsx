export default function Home() {
  return (
    <main>
      <h1>cronq + Next.js</h1>
      <p>Background jobs and crons for this app run on cronq. The routes:</p>
      <ul>
        <li>
          <code>POST /api/send-email</code> enqueues an email job and answers 202 with its id.
        </li>
        <li>
          <code>POST /api/jobs/email</code> sends it when cronq pushes the job (signed).
        </li>
        <li>
          <code>POST /api/jobs/flaky</code> fails the first delivery of each job, to show retries.
        </li>
        <li>
          <code>GET /api/cron/sync</code> runs on the schedule in <code>vercel.json</code> (bearer CRON_SECRET).
        </li>
      </ul>
      <p>See README.md for the walk-through.</p>
    </main>
  );
}
