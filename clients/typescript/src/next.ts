// Next.js helpers (App Router route handlers; Web Request/Response only, no
// Next.js dependency): verify cronq's signed push requests, and protect a
// Vercel-style cron route with CRON_SECRET.
//
// Signature recipe (docs/push-protocol.md): the header is
//   Cronq-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]
// with one v1 per secret the queue holds (current, then next), each the
// lowercase hex of HMAC-SHA256(key = secret, message = "<t>.<raw body>").
// A request verifies when any v1 matches any of our secrets, compared in
// constant time, and t is within 300 s of now.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'cronq-signature';
/** Answer header that tells cronq not to retry a failed job (any non-2xx status). */
export const NO_RETRY_HEADER = 'Cronq-No-Retry';
/** Default tolerance between the signature's timestamp and now, in seconds. */
export const DEFAULT_TOLERANCE_SEC = 300;

/** The JSON body cronq POSTs to a push queue's URL. */
export interface PushJob<D = unknown> {
  id: string;
  queue: string;
  name: string;
  data: D;
  /** 1-based attempt number. */
  attempt: number;
  /** Present for jobs a schedule enqueued: the slot's idempotency key. */
  fireId?: string;
}

export interface VerifyOptions {
  /** The raw request body, exactly as received. */
  body: string | Uint8Array | ArrayBuffer;
  /** The Cronq-Signature header's value. */
  header: string | null | undefined;
  /** Accepted secrets: one, or several during a rotation. */
  secrets: string | readonly string[];
  /** Now, in milliseconds since the epoch (Date.now()) or as a Date; default: the clock. */
  now?: number | Date;
  /** Largest accepted |now - t|, in seconds (default 300). */
  toleranceSec?: number;
}

export type VerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'no_secret' | 'missing_header' | 'malformed_header' | 'stale' | 'mismatch'; message: string };

const HEX64 = /^[0-9a-f]{64}$/;

function bodyBytes(body: VerifyOptions['body']): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function secretList(secrets: string | readonly string[] | undefined): string[] {
  const list = typeof secrets === 'string' ? [secrets] : [...(secrets ?? [])];
  return list.filter((s) => typeof s === 'string' && s.length > 0);
}

/** Like verifySignature, with the reason when it fails. */
export function checkSignature(opts: VerifyOptions): VerifyResult {
  const secrets = secretList(opts.secrets);
  if (!secrets.length) return { ok: false, reason: 'no_secret', message: 'no signing secret configured' };
  const header = opts.header?.trim();
  if (!header) return { ok: false, reason: 'missing_header', message: 'missing Cronq-Signature header' };
  let t: string | undefined;
  const sigs: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'malformed_header', message: 'malformed Cronq-Signature header' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^\d{1,15}$/.test(value)) return { ok: false, reason: 'malformed_header', message: 'malformed Cronq-Signature timestamp' };
      t = value;
    } else if (key === 'v1' && HEX64.test(value)) {
      sigs.push(Buffer.from(value, 'hex'));
    } // other schemes and malformed v1 values are ignored, as Stripe-style verifiers do
  }
  if (t === undefined || !sigs.length) return { ok: false, reason: 'malformed_header', message: 'Cronq-Signature needs t= and at least one v1=' };
  const nowMs = opts.now === undefined ? Date.now() : opts.now instanceof Date ? opts.now.getTime() : opts.now;
  const tolerance = opts.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (Math.abs(nowMs / 1000 - Number(t)) > tolerance) {
    return { ok: false, reason: 'stale', message: `signature timestamp is more than ${tolerance} s away from now` };
  }
  const message = Buffer.concat([Buffer.from(`${t}.`, 'utf8'), bodyBytes(opts.body)]);
  let match = false;
  // Every secret against every v1, without stopping early: the time taken does not depend on which matched.
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(message).digest();
    for (const sig of sigs) match = timingSafeEqual(expected, sig) || match;
  }
  return match ? { ok: true, timestamp: Number(t) } : { ok: false, reason: 'mismatch', message: 'signature does not match' };
}

/**
 * True when `header` (Cronq-Signature) signs `body` with one of `secrets` and
 * its timestamp is within 300 s of now.
 */
export function verifySignature(opts: VerifyOptions): boolean {
  return checkSignature(opts).ok;
}

/** Signs a body the way cronq does (for tests and local tools): the Cronq-Signature value. */
export function signPayload(body: VerifyOptions['body'], secrets: string | readonly string[], timestampSec = Math.floor(Date.now() / 1000)): string {
  const message = Buffer.concat([Buffer.from(`${timestampSec}.`, 'utf8'), bodyBytes(body)]);
  const v1 = secretList(secrets).map((s) => `v1=${createHmac('sha256', Buffer.from(s, 'utf8')).update(message).digest('hex')}`);
  return [`t=${timestampSec}`, ...v1].join(',');
}

type RouteHandler<C> = (req: Request, ctx: C) => Response | Promise<Response>;

const jsonError = (status: number, code: string, message: string): Response =>
  new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });

export interface SignatureOptions {
  /** Accepted secrets (current and next). Default: env CRONQ_SIGNING_SECRET, comma-separated. */
  secrets?: string | readonly string[];
  toleranceSec?: number;
}

/**
 * Wraps an App Router route handler: answers 401 JSON unless the request
 * carries a valid, fresh Cronq-Signature. The handler receives the request
 * with its body still unread (`await req.json()` works as usual).
 */
// `C` is the route's second argument (Next passes `{ params }`); `any` by default so that
// Next's build-time check of route exports accepts the wrapped handler.
export function withCronqSignature<C = any>(handler: RouteHandler<C>, opts: SignatureOptions = {}): (req: Request, ctx: C) => Promise<Response> {
  return async (req, ctx) => {
    const secrets = opts.secrets ?? process.env.CRONQ_SIGNING_SECRET?.split(',').map((s) => s.trim());
    if (!secretList(secrets).length) return jsonError(500, 'internal', 'no cronq signing secret configured');
    // Read a copy: the original body stays readable for the handler.
    const body = new Uint8Array(await req.clone().arrayBuffer());
    const r = checkSignature({ body, header: req.headers.get(SIGNATURE_HEADER), secrets: secrets!, toleranceSec: opts.toleranceSec });
    if (!r.ok) return jsonError(401, 'invalid_signature', r.message);
    return handler(req, ctx);
  };
}

export interface CronSecretOptions {
  /** The expected bearer token. Default: env CRON_SECRET, read at each request. */
  secret?: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Wraps a Vercel-style cron route: answers 401 JSON unless the request has
 * `Authorization: Bearer <CRON_SECRET>` (compared in constant time), and 500
 * when no secret is configured (fail closed).
 */
export function withCronSecret<C = any>(handler: RouteHandler<C>, opts: CronSecretOptions = {}): (req: Request, ctx: C) => Promise<Response> {
  return async (req, ctx) => {
    const secret = opts.secret ?? process.env.CRON_SECRET;
    if (!secret) return jsonError(500, 'internal', 'CRON_SECRET is not configured');
    const got = req.headers.get('authorization') ?? '';
    // Compare digests so neither the length nor the content of the secret leaks through timing.
    if (!timingSafeEqual(digest(got), digest(`Bearer ${secret}`))) return jsonError(401, 'unauthenticated', 'missing or wrong Authorization: Bearer token');
    return handler(req, ctx);
  };
}

/** An answer that fails the job for good (cronq does not retry it): `Cronq-No-Retry: true`. */
export function noRetry(message = 'do not retry', status = 400): Response {
  return new Response(JSON.stringify({ error: { code: 'no_retry', message } }), {
    status,
    headers: { 'content-type': 'application/json', [NO_RETRY_HEADER]: 'true' },
  });
}
