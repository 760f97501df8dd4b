/**
 * One REST request of the client (client.ts), outside in: the in-process retry policy
 * (`retryDecision`), the client-side leaky bucket (rate-limit.ts), the transport (transport.ts).
 * Also the policy's inputs: which calls only read, the clock and the logger.
 *
 * Retry policy (docs/decisions.md D-B24-2): inside one activity we only retry what is cheap
 * and safe — a 503 QUERY_LIMIT_EXCEEDED (the portal refused before running anything), a
 * connection that was never established, a short OPERATION_TIME_LIMIT wait, and transient
 * failures of READ methods. A write whose answer was lost is never re-sent here: the error
 * surfaces as `retryable` and the caller's idempotency key (ORIGINATOR_ID/ORIGIN_ID) makes
 * the Temporal retry safe. Long waits surface as `retryable` with `retryAfterMs`.
 */
import { Bitrix24Error, redactSecrets } from './errors';
import type { RateLimiter } from './rate-limit';
import type { RawAnswer, RestTime, Transport } from './transport';

/** The service logger shape (src/shared/log.ts) — structural, so any such logger fits. */
export interface ClientLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface RetryOptions {
  /** Attempts for transient failures of safe calls (reads; never-sent requests). Default 3. */
  maxAttempts?: number;
  /** Attempts after 503 QUERY_LIMIT_EXCEEDED (always safe: nothing ran). Default 6. */
  maxRateLimitAttempts?: number;
  /** First backoff for transient failures, doubled per attempt. Default 250 ms. */
  baseDelayMs?: number;
  /** Longest single in-process wait; anything longer surfaces as `retryAfterMs`. Default 5 s. */
  maxInProcessWaitMs?: number;
  /** Longest wait for the client-side bucket before failing fast as retryable. Default 30 s. */
  maxQueueWaitMs?: number;
}

export interface Envelope<T> {
  result: T;
  /** The portal's `total` (list methods with `start >= 0`); absent when it sent none. */
  total?: number;
  /** Offset of the next page; absent on the last page and with `start: -1`. */
  next?: number;
  /** Execution time, incl. `operating` and `operating_reset_at` (the per-method budget). */
  time?: RestTime;
}

/**
 * Methods that only read. A transient failure of these is retried in-process; anything else
 * (adds, updates, sends, `event.offline.get` which deletes what it returns by default) is not.
 */
export function isReadOnlyCall(method: string, params?: Record<string, unknown>): boolean {
  const m = method.toLowerCase();
  if (m === 'event.offline.get') return params?.clear === 0 || params?.clear === '0';
  if (m === 'batch') {
    const cmd = params?.cmd;
    if (!cmd || typeof cmd !== 'object') return false;
    return Object.values(cmd as Record<string, unknown>).every((line) => {
      const [name = '', query = ''] = String(line).split('?', 2);
      return isReadOnlyCall(name, /(^|&)clear=0(&|$)/.test(query) ? { clear: 0 } : {});
    });
  }
  return (
    /\.(get|list|fields|getlist|search)$/.test(m) ||
    ['user.current', 'profile', 'server.time', 'methods', 'scope', 'app.info', 'user.search'].includes(m)
  );
}

/** Codes that mean the request never reached the portal: safe to re-send even for a write. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'CLIENT_RATE_LIMIT_QUEUE']);

/** What one client sends its requests with, and how many it has sent (retries included). */
export interface Requester {
  transport: Transport;
  clock: Clock;
  limiter: RateLimiter;
  log?: ClientLogger;
  retry: Required<RetryOptions>;
  requestCount: number;
}

export function retryDefaults(retry: RetryOptions | undefined): Required<RetryOptions> {
  return {
    maxAttempts: retry?.maxAttempts ?? 3,
    maxRateLimitAttempts: retry?.maxRateLimitAttempts ?? 6,
    baseDelayMs: retry?.baseDelayMs ?? 250,
    maxInProcessWaitMs: retry?.maxInProcessWaitMs ?? 5_000,
    maxQueueWaitMs: retry?.maxQueueWaitMs ?? 30_000,
  };
}

/** One REST call with the retry policy; its answer as an envelope. */
export async function callEnvelope<T>(r: Requester, method: string, params: Record<string, unknown> = {}): Promise<Envelope<T>> {
  const a = await request(r, method, params);
  const env: Envelope<T> = { result: a.result as T };
  if (a.total !== undefined) env.total = a.total;
  if (a.next !== undefined) env.next = a.next;
  if (a.time !== undefined) env.time = a.time;
  return env;
}

/** One REST call: HTTP requests through the bucket, retried while the policy allows. */
export async function request(r: Requester, method: string, params: Record<string, unknown>): Promise<RawAnswer> {
  const attempt = { rate: 0, transient: 0 };
  for (;;) {
    try {
      return await sendOnce(r, method, params);
    } catch (e) {
      const err = e as Bitrix24Error;
      const d = retryDecision(r, err, method, params, attempt);
      if (!d.retry) throw d.error;
      attempt[d.counts] += 1;
      r.log?.warn('bitrix24 call retried', { method, code: err.code, httpStatus: err.httpStatus, waitMs: Math.round(d.waitMs), attempt: attempt.rate + attempt.transient + 1 });
      await r.clock.sleep(d.waitMs);
    }
  }
}

/** One HTTP request, through the bucket. */
async function sendOnce(r: Requester, method: string, params: Record<string, unknown>): Promise<RawAnswer> {
  const queued = r.limiter.peek();
  if (queued > r.retry.maxQueueWaitMs) {
    throw new Bitrix24Error({
      code: 'CLIENT_RATE_LIMIT_QUEUE',
      description: `client-side rate limit queue is ${queued} ms long`,
      httpStatus: 0,
      method,
      kind: 'retryable',
      retryAfterMs: queued,
    });
  }
  const wait = r.limiter.reserve();
  if (wait > 0) {
    r.log?.debug('bitrix24 request waits for the rate limit', { method, waitMs: wait });
    await r.clock.sleep(wait);
  }
  r.requestCount += 1;
  const started = r.clock.now();
  try {
    const answer = await r.transport.send(method, params);
    noteTime(r, method, answer.time);
    r.log?.debug('bitrix24 request', { method, httpStatus: answer.httpStatus, ms: r.clock.now() - started });
    return answer;
  } catch (e) {
    const err = e instanceof Bitrix24Error ? e : new Bitrix24Error({ code: 'UNKNOWN_ERROR', description: redactSecrets(String((e as Error)?.message ?? e)), httpStatus: 0, method });
    r.log?.debug('bitrix24 request failed', { method, httpStatus: err.httpStatus, code: err.code, kind: err.kind, ms: r.clock.now() - started });
    throw err;
  }
}

/** Remember when a method's operating budget resets (the answer's `time.operating_reset_at`). */
export function noteTime(r: Requester, method: string, time: RestTime | undefined): void {
  if (time?.operating_reset_at) r.limiter.noteOperatingReset(method, time.operating_reset_at);
}

/** How long OPERATION_TIME_LIMIT blocks this method, from the best evidence we have. */
export function operatingWait(r: Requester, err: Bitrix24Error): number {
  if (err.retryAfterMs !== undefined) return Math.min(err.retryAfterMs + 1000, 600_000);
  const resetAt = r.limiter.operatingResetAt(err.method);
  if (resetAt !== undefined && resetAt > r.clock.now()) return Math.min(resetAt - r.clock.now() + 1000, 600_000);
  // No timing known: the window is 10 minutes of one-minute baskets, so the block may last
  // minutes; ask to probe again in a minute rather than guess the worst case.
  return 60_000;
}

type Decision = { retry: true; waitMs: number; counts: 'rate' | 'transient' } | { retry: false; error: Bitrix24Error };

function retryDecision(r: Requester, err: Bitrix24Error, method: string, params: Record<string, unknown>, attempt: { rate: number; transient: number }): Decision {
  const retry = r.retry;
  if (err.kind !== 'retryable') return { retry: false, error: err };
  if (err.code === 'QUERY_LIMIT_EXCEEDED') {
    r.limiter.markFull();
    const drainMs = r.limiter.config ? Math.ceil(1000 / r.limiter.config.drainPerSecond) : 500;
    const backoff = Math.min(retry.maxInProcessWaitMs, drainMs * 2 ** attempt.rate);
    const hinted = err.retryAfterMs ?? 0;
    const waitMs = Math.max(backoff, hinted) + jitter(200);
    if (attempt.rate + 1 >= retry.maxRateLimitAttempts || waitMs > retry.maxInProcessWaitMs + 200) {
      return { retry: false, error: withRetryAfter(err, waitMs) };
    }
    return { retry: true, waitMs, counts: 'rate' };
  }
  if (err.code === 'OPERATION_TIME_LIMIT' || err.httpStatus === 429) {
    const waitMs = operatingWait(r, err);
    if (waitMs <= retry.maxInProcessWaitMs && attempt.transient + 1 < retry.maxAttempts) {
      return { retry: true, waitMs, counts: 'transient' };
    }
    return { retry: false, error: withRetryAfter(err, waitMs) };
  }
  const safe = NEVER_SENT.has(err.code) || isReadOnlyCall(method, params);
  if (!safe || attempt.transient + 1 >= retry.maxAttempts) return { retry: false, error: err };
  const waitMs = Math.min(retry.maxInProcessWaitMs, retry.baseDelayMs * 2 ** attempt.transient) + jitter(100);
  return { retry: true, waitMs, counts: 'transient' };
}

export function withRetryAfter(err: Bitrix24Error, waitMs: number): Bitrix24Error {
  return new Bitrix24Error({
    code: err.code,
    description: err.description,
    httpStatus: err.httpStatus,
    method: err.method,
    kind: err.kind,
    retryAfterMs: waitMs,
    ...(err.command !== undefined ? { command: err.command } : {}),
  });
}

function jitter(maxMs: number): number {
  return Math.floor(Math.random() * maxMs);
}
