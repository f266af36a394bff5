// Next.js helpers: signature verification per docs/push-protocol.md (vectors
// computed with `openssl dgst -sha256 -hmac`), the App Router wrapper, and the
// CRON_SECRET bearer check. No server needed: Web Request/Response only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSignature, noRetry, type PushJob, signPayload, verifySignature, withCronqSignature, withCronSecret } from '../src/next.js';

const BODY = '{"id":"1","queue":"email","name":"welcome","data":{"to":"a@example.com"},"attempt":1}';
const T = 1700000000;
const SIG_CURRENT = '9e91f191d1666a42927eec130bae02754807c1d9ca0503a1b274df37d8f4dc6c';
const SIG_NEXT = '9e56005598a2b878519478b966a669d2feb58cb0ed0b3701f38f5af4d07bb376';
const NOW = T * 1000 + 20_000; // 20 s after signing
const HEADER = `t=${T},v1=${SIG_CURRENT},v1=${SIG_NEXT}`;

describe('verifySignature', () => {
  test('accepts a valid signature (string, bytes, ArrayBuffer body)', () => {
    assert.equal(verifySignature({ body: BODY, header: HEADER, secrets: 'whsec_current', now: NOW }), true);
    const bytes = new TextEncoder().encode(BODY);
    assert.equal(verifySignature({ body: bytes, header: HEADER, secrets: ['whsec_current'], now: NOW }), true);
    assert.equal(verifySignature({ body: bytes.buffer, header: HEADER, secrets: ['whsec_current'], now: new Date(NOW) }), true);
    assert.deepEqual(checkSignature({ body: BODY, header: HEADER, secrets: 'whsec_current', now: NOW }), { ok: true, timestamp: T });
  });

  test('rejects a tampered body, timestamp or signature', () => {
    const tampered = BODY.replace('a@example.com', 'b@example.com');
    assert.equal(verifySignature({ body: tampered, header: HEADER, secrets: 'whsec_current', now: NOW }), false);
    const otherT = `t=${T + 1},v1=${SIG_CURRENT}`;
    assert.equal(verifySignature({ body: BODY, header: otherT, secrets: 'whsec_current', now: NOW }), false);
    const flipped = `t=${T},v1=${SIG_CURRENT.slice(0, -1)}d`;
    assert.equal(checkSignature({ body: BODY, header: flipped, secrets: 'whsec_current', now: NOW }).ok, false);
    assert.equal(verifySignature({ body: BODY, header: HEADER, secrets: 'wrong', now: NOW }), false);
  });

  test('rejects a stale or future timestamp (more than 300 s away)', () => {
    const at = (s: number) => checkSignature({ body: BODY, header: HEADER, secrets: 'whsec_current', now: (T + s) * 1000 });
    assert.equal(at(300).ok, true);
    assert.equal(at(-300).ok, true);
    const stale = at(301);
    assert.equal(stale.ok, false);
    assert.equal(!stale.ok && stale.reason, 'stale');
    assert.equal(at(-301).ok, false);
    assert.equal(checkSignature({ body: BODY, header: HEADER, secrets: 'whsec_current', now: (T + 400) * 1000, toleranceSec: 600 }).ok, true);
  });

  test('a rotation: either secret verifies, each against its own v1', () => {
    assert.equal(verifySignature({ body: BODY, header: HEADER, secrets: ['whsec_next'], now: NOW }), true);
    assert.equal(verifySignature({ body: BODY, header: HEADER, secrets: ['old', 'whsec_next'], now: NOW }), true);
    assert.equal(verifySignature({ body: BODY, header: `t=${T},v1=${SIG_NEXT}`, secrets: ['whsec_current', 'whsec_next'], now: NOW }), true);
    assert.equal(verifySignature({ body: BODY, header: `t=${T},v1=${SIG_NEXT}`, secrets: ['whsec_current'], now: NOW }), false);
  });

  test('malformed or missing headers and empty secrets are rejected', () => {
    const reason = (header: string | null, secrets: string | string[] = 'whsec_current') => {
      const r = checkSignature({ body: BODY, header, secrets, now: NOW });
      return r.ok ? 'ok' : r.reason;
    };
    assert.equal(reason(null), 'missing_header');
    assert.equal(reason(''), 'missing_header');
    assert.equal(reason(`v1=${SIG_CURRENT}`), 'malformed_header');
    assert.equal(reason(`t=${T}`), 'malformed_header');
    assert.equal(reason(`t=abc,v1=${SIG_CURRENT}`), 'malformed_header');
    assert.equal(reason(`t=${T},t=${T},v1=${SIG_CURRENT}`), 'malformed_header');
    assert.equal(reason(`t=${T},v1=${SIG_CURRENT.toUpperCase()}`), 'malformed_header');
    assert.equal(reason(HEADER, []), 'no_secret');
    assert.equal(reason(HEADER, ['']), 'no_secret');
    assert.equal(reason(` t=${T} , v1=${SIG_CURRENT} `), 'ok');
  });

  test('signPayload produces the same header as the vectors', () => {
    assert.equal(signPayload(BODY, ['whsec_current', 'whsec_next'], T), HEADER);
  });
});

const push = (body: string, header: string | null) =>
  new Request('http://127.0.0.1:3000/api/jobs/email', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...(header ? { 'cronq-signature': header } : {}) },
  });

describe('withCronqSignature', () => {
  const secrets = ['whsec_current', 'whsec_next'];
  const handler = withCronqSignature(async (req) => {
    const job = (await req.json()) as PushJob<{ to: string }>; // the body is still readable
    return Response.json({ got: job.data.to });
  }, { secrets });

  test('a valid request reaches the handler with its body unread', async () => {
    const res = await handler(push(BODY, signPayload(BODY, 'whsec_current')), {});
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { got: 'a@example.com' });
  });

  test('tampered, stale, unsigned and wrong-secret requests get 401 JSON', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      push(BODY.replace('a@', 'x@'), signPayload(BODY, 'whsec_current')),
      push(BODY, signPayload(BODY, 'whsec_current', now - 301)),
      push(BODY, null),
      push(BODY, signPayload(BODY, 'someone-else')),
    ];
    let called = 0;
    const h = withCronqSignature(async () => {
      called++;
      return new Response('ok');
    }, { secrets });
    for (const req of cases) {
      const res = await h(req, {});
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'invalid_signature');
      assert.equal(typeof body.error.message, 'string');
    }
    assert.equal(called, 0);
  });

  test('the next secret verifies during a rotation; env CRONQ_SIGNING_SECRET is the default', async () => {
    const res = await handler(push(BODY, signPayload(BODY, 'whsec_next')), {});
    assert.equal(res.status, 200);
    process.env.CRONQ_SIGNING_SECRET = 'env-a, env-b';
    try {
      const h = withCronqSignature(async (req) => new Response(await req.text()));
      const ok = await h(push(BODY, signPayload(BODY, 'env-b')), {});
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), BODY);
      assert.equal((await h(push(BODY, signPayload(BODY, 'env-c')), {})).status, 401);
    } finally {
      delete process.env.CRONQ_SIGNING_SECRET;
    }
    const none = withCronqSignature(async () => new Response('no'));
    assert.equal((await none(push(BODY, signPayload(BODY, 'x')), {})).status, 500);
  });

  test('noRetry answers with Cronq-No-Retry: true', async () => {
    const res = noRetry('bad address', 422);
    assert.equal(res.status, 422);
    assert.equal(res.headers.get('cronq-no-retry'), 'true');
  });
});

describe('withCronSecret', () => {
  const cron = (auth?: string) =>
    new Request('http://127.0.0.1:3000/api/cron/sync', { headers: auth ? { authorization: auth } : {} });

  test('checks Authorization: Bearer <secret>', async () => {
    let calls = 0;
    const h = withCronSecret(async () => {
      calls++;
      return Response.json({ ok: true });
    }, { secret: 's3cret' });
    assert.equal((await h(cron('Bearer s3cret'), {})).status, 200);
    for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cret2', 'bearer s3cret', 's3cret', 'Basic czNjcmV0']) {
      const res = await h(cron(auth), {});
      assert.equal(res.status, 401, `auth ${auth}`);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthenticated');
    }
    assert.equal(calls, 1);
  });

  test('reads CRON_SECRET at request time and fails closed without one', async () => {
    const h = withCronSecret(async () => new Response('ran'));
    delete process.env.CRON_SECRET;
    assert.equal((await h(cron('Bearer '), {})).status, 500);
    process.env.CRON_SECRET = 'from-env';
    try {
      assert.equal((await h(cron('Bearer from-env'), {})).status, 200);
      assert.equal((await h(cron('Bearer other'), {})).status, 401);
    } finally {
      delete process.env.CRON_SECRET;
    }
  });
});
