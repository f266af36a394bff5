// The one HTTP seam of the SDK: JSON requests to cronq over keep-alive
// connections (node:http / node:https Agents), the cronq error shape turned into
// CronqError, and request counters that tests and benchmarks read.
import http from 'node:http';
import https from 'node:https';

/** Where cronq is and how to authenticate. Defaults: env CRONQ_URL, CRONQ_TOKEN. */
export interface ConnectionOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:7700`. Default: env CRONQ_URL, else that URL. */
  url?: string;
  /** API token sent as `Authorization: Bearer <token>`. Default: env CRONQ_TOKEN. */
  token?: string;
  /** Most sockets opened to the server at once (default 256). */
  maxSockets?: number;
}

/** An error answer from cronq (`{"error": {"code", "message"}}`), or a transport failure. */
export class CronqError extends Error {
  /** HTTP status; 0 when no answer arrived (connection refused, reset, timeout). */
  readonly status: number;
  /** cronq's error code (`invalid_argument`, `conflict`, `not_found`, ...), or `network`. */
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'CronqError';
    this.status = status;
    this.code = code;
  }
}

export interface RequestOptions {
  /** Label counted in `HttpClient.counts` (e.g. `enqueue`, `fetch`, `ack`). */
  op?: string;
  /** Give up after this long without an answer (default 60 s). */
  timeoutMs?: number;
  /** Aborting destroys the request; the promise rejects with code `aborted`. */
  signal?: AbortSignal;
}

const DEFAULT_URL = 'http://127.0.0.1:7700';

/**
 * A JSON client for one cronq server. Every request goes through `request`,
 * which counts it: `requests` is the total sent, `counts[op]` per label.
 * Idle keep-alive sockets are closed after 60 s, before the server's 75 s idle
 * limit, so a reused socket is never one the server is closing.
 */
export class HttpClient {
  readonly baseUrl: URL;
  requests = 0;
  readonly counts: Record<string, number> = {};
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly authorization: string | null;

  constructor(opts: ConnectionOptions = {}) {
    const url = opts.url ?? process.env.CRONQ_URL ?? DEFAULT_URL;
    this.baseUrl = new URL(url.endsWith('/') ? url : `${url}/`);
    // A missing token fails each request, not the constructor: a module that
    // creates its Queue at import time must still load where no token is set
    // (e.g. while `next build` evaluates route modules).
    const token = opts.token ?? process.env.CRONQ_TOKEN;
    this.authorization = token ? `Bearer ${token}` : null;
    const secure = this.baseUrl.protocol === 'https:';
    if (!secure && this.baseUrl.protocol !== 'http:') throw new Error(`cronq: unsupported URL ${url}`);
    this.transport = secure ? https : http;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, timeout: 60_000 };
    this.agent = secure ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  /** Sends `body` (JSON) and resolves with the parsed answer; rejects with CronqError on status >= 300. */
  request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    if (!this.authorization) {
      return Promise.reject(new CronqError(0, 'no_token', 'cronq: no token; pass connection.token or set CRONQ_TOKEN'));
    }
    this.requests++;
    const op = opts.op ?? method;
    this.counts[op] = (this.counts[op] ?? 0) + 1;
    let payload: Buffer | undefined;
    try {
      payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    } catch (e) {
      return Promise.reject(new CronqError(0, 'not_json', `${method} ${path}: body is not JSON: ${(e as Error).message}`));
    }
    const headers: http.OutgoingHttpHeaders = { authorization: this.authorization, accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const base = this.baseUrl.pathname.replace(/\/$/, '');
    return new Promise<T>((resolve, reject) => {
      const req = this.transport.request(
        {
          protocol: this.baseUrl.protocol,
          hostname: this.baseUrl.hostname,
          port: this.baseUrl.port,
          method,
          path: base + path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new CronqError(0, 'network', `${method} ${path}: ${e.message}`)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let parsed: unknown = null;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              if (status < 300) return reject(new CronqError(status, 'bad_answer', `${method} ${path}: answer is not JSON`));
            }
            if (status >= 300) {
              const err = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
              return reject(new CronqError(status, err?.code ?? 'http_error', err?.message ?? `${method} ${path}: HTTP ${status}`));
            }
            resolve(parsed as T);
          });
        },
      );
      req.setTimeout(opts.timeoutMs ?? 60_000, () =>
        req.destroy(new CronqError(0, 'timeout', `${method} ${path}: no answer in ${opts.timeoutMs ?? 60_000} ms`)),
      );
      req.on('error', (e) => {
        if (e instanceof CronqError) return reject(e);
        reject(new CronqError(0, 'network', `${method} ${path}: ${e.message}`));
      });
      if (opts.signal) {
        const signal = opts.signal;
        const onAbort = () => req.destroy(new CronqError(0, 'aborted', `${method} ${path}: aborted`));
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        req.on('close', () => signal.removeEventListener('abort', onAbort));
      }
      req.end(payload);
    });
  }

  /** Closes every socket; requests still running fail. */
  close(): void {
    this.agent.destroy();
  }
}

/** Percent-encodes one path segment (queue names, job ids, schedule names). */
export const seg = (s: string): string => encodeURIComponent(s);
