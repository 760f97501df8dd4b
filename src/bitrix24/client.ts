/**
 * The ONE Bitrix24 REST client of the service: every REST call goes through here.
 *
 * Layers, outside in:
 *   call / callEnvelope / batch / listAll / iterate
 *     → in-process retry policy (short, safe retries only; see `retryDecision`)
 *       → client-side leaky bucket, one per portal per process (rate-limit.ts)
 *         → transport: one HTTP request over the SDK's B24Hook (transport.ts)
 *
 * Retry policy (docs/decisions.md D-B24-2): inside one activity we only retry what is cheap
 * and safe — a 503 QUERY_LIMIT_EXCEEDED (the portal refused before running anything), a
 * connection that was never established, a short OPERATION_TIME_LIMIT wait, and transient
 * failures of READ methods. A write whose answer was lost is never re-sent here: the error
 * surfaces as `retryable` and the caller's idempotency key (ORIGINATOR_ID/ORIGIN_ID) makes
 * the Temporal retry safe. Long waits surface as `retryable` with `retryAfterMs`.
 */
import { Bitrix24Error, redactSecrets } from './errors';
import {
  BATCH_MAX_COMMANDS,
  chunkCommands,
  emptyBatchResult,
  encodeCommands,
  parseBatchAnswer,
  type BatchCommands,
  type BatchOptions,
  type BatchResult,
} from './batch';
import { createRateLimiter, sharedRateLimiter, type LimitPreset, type RateLimiter } from './rate-limit';
import { createSdkTransport, type RawAnswer, type RestTime, type Transport } from './transport';

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

export interface Bitrix24ClientOptions {
  /** `https://<portal>/rest/<userId>/<secret>/` — a password; never logged. */
  webhookUrl: string;
  /** Sandbox mode only: trust this CA (the sandbox's self-signed certificate). */
  caCertPem?: string;
  /** Portal tariff limits for the client-side bucket. Default 'standard' (2/s, burst 50). */
  preset?: LimitPreset;
  logger?: ClientLogger;
  /** Per HTTP request. Default 30 s (the portal's own limit is 60 s). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Tests: a fake clock (sleep included). */
  clock?: Clock;
  /** Tests: a private limiter instead of the process-wide one for this portal. */
  limiter?: RateLimiter;
  /** Tests: a transport other than the SDK's. */
  transport?: Transport;
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

export interface ListOptions {
  /** Stop after this many rows. */
  max?: number;
  /**
   * Page with `start: -1` and a `>ID` filter ordered by ID ascending (b24restdocs
   * settings/performance/huge-data.md): no COUNT on the portal, for big tables. Any `order`
   * you pass is replaced by the id order. `true` = ID; or name the id field.
   */
  fastById?: boolean | { idField?: string; filterField?: string };
  /** Where the rows are when `result` is an object (`categories`, `items`, `tasks`). Auto by default. */
  itemsKey?: string;
}

export interface Bitrix24Client {
  /** Scheme + host of the portal (no secret). */
  readonly origin: string;
  call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  callEnvelope<T = unknown>(method: string, params?: Record<string, unknown>): Promise<Envelope<T>>;
  batch<R = unknown>(cmds: BatchCommands, opts?: BatchOptions): Promise<BatchResult<R>>;
  listAll<T = unknown>(method: string, params?: Record<string, unknown>, opts?: ListOptions): Promise<T[]>;
  /** Page by page (50 rows each) — for backfills that must not hold everything in memory. */
  iterate<T = unknown>(method: string, params?: Record<string, unknown>, opts?: ListOptions): AsyncGenerator<T[]>;
  /** HTTP requests sent by this client so far (retries included). */
  readonly requestCount: number;
}

const PAGE_SIZE = 50;

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

export function createBitrix24Client(opts: Bitrix24ClientOptions): Bitrix24Client {
  const transport = opts.transport ?? createSdkTransport({ webhookUrl: opts.webhookUrl, caCertPem: opts.caCertPem, timeoutMs: opts.timeoutMs ?? 30_000 });
  const clock = opts.clock ?? systemClock;
  const preset = opts.preset ?? 'standard';
  const limiter = opts.limiter ?? (opts.clock ? createRateLimiter(preset, clock.now) : sharedRateLimiter(transport.origin, preset));
  const log = opts.logger;
  const retry = {
    maxAttempts: opts.retry?.maxAttempts ?? 3,
    maxRateLimitAttempts: opts.retry?.maxRateLimitAttempts ?? 6,
    baseDelayMs: opts.retry?.baseDelayMs ?? 250,
    maxInProcessWaitMs: opts.retry?.maxInProcessWaitMs ?? 5_000,
    maxQueueWaitMs: opts.retry?.maxQueueWaitMs ?? 30_000,
  };
  let requestCount = 0;

  const drainMs = (): number => (limiter.config ? Math.ceil(1000 / limiter.config.drainPerSecond) : 500);

  /** One HTTP request, through the bucket. */
  async function sendOnce(method: string, params: Record<string, unknown>): Promise<RawAnswer> {
    const queued = limiter.peek();
    if (queued > retry.maxQueueWaitMs) {
      throw new Bitrix24Error({
        code: 'CLIENT_RATE_LIMIT_QUEUE',
        description: `client-side rate limit queue is ${queued} ms long`,
        httpStatus: 0,
        method,
        kind: 'retryable',
        retryAfterMs: queued,
      });
    }
    const wait = limiter.reserve();
    if (wait > 0) {
      log?.debug('bitrix24 request waits for the rate limit', { method, waitMs: wait });
      await clock.sleep(wait);
    }
    requestCount += 1;
    const started = clock.now();
    try {
      const answer = await transport.send(method, params);
      noteTime(method, answer.time);
      log?.debug('bitrix24 request', { method, httpStatus: answer.httpStatus, ms: clock.now() - started });
      return answer;
    } catch (e) {
      const err = e instanceof Bitrix24Error ? e : new Bitrix24Error({ code: 'UNKNOWN_ERROR', description: redactSecrets(String((e as Error)?.message ?? e)), httpStatus: 0, method });
      log?.debug('bitrix24 request failed', { method, httpStatus: err.httpStatus, code: err.code, kind: err.kind, ms: clock.now() - started });
      throw err;
    }
  }

  function noteTime(method: string, time: RestTime | undefined): void {
    if (time?.operating_reset_at) limiter.noteOperatingReset(method, time.operating_reset_at);
  }

  /** How long OPERATION_TIME_LIMIT blocks this method, from the best evidence we have. */
  function operatingWait(err: Bitrix24Error): number {
    if (err.retryAfterMs !== undefined) return Math.min(err.retryAfterMs + 1000, 600_000);
    const resetAt = limiter.operatingResetAt(err.method);
    if (resetAt !== undefined && resetAt > clock.now()) return Math.min(resetAt - clock.now() + 1000, 600_000);
    // No timing known: the window is 10 minutes of one-minute baskets, so the block may last
    // minutes; ask to probe again in a minute rather than guess the worst case.
    return 60_000;
  }

  type Decision = { retry: true; waitMs: number; counts: 'rate' | 'transient' } | { retry: false; error: Bitrix24Error };

  function retryDecision(err: Bitrix24Error, method: string, params: Record<string, unknown>, attempt: { rate: number; transient: number }): Decision {
    if (err.kind !== 'retryable') return { retry: false, error: err };
    if (err.code === 'QUERY_LIMIT_EXCEEDED') {
      limiter.markFull();
      const backoff = Math.min(retry.maxInProcessWaitMs, drainMs() * 2 ** attempt.rate);
      const hinted = err.retryAfterMs ?? 0;
      const waitMs = Math.max(backoff, hinted) + jitter(200);
      if (attempt.rate + 1 >= retry.maxRateLimitAttempts || waitMs > retry.maxInProcessWaitMs + 200) {
        return { retry: false, error: withRetryAfter(err, waitMs) };
      }
      return { retry: true, waitMs, counts: 'rate' };
    }
    if (err.code === 'OPERATION_TIME_LIMIT' || err.httpStatus === 429) {
      const waitMs = operatingWait(err);
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

  async function request(method: string, params: Record<string, unknown>): Promise<RawAnswer> {
    const attempt = { rate: 0, transient: 0 };
    for (;;) {
      try {
        return await sendOnce(method, params);
      } catch (e) {
        const err = e as Bitrix24Error;
        const d = retryDecision(err, method, params, attempt);
        if (!d.retry) throw d.error;
        attempt[d.counts] += 1;
        log?.warn('bitrix24 call retried', { method, code: err.code, httpStatus: err.httpStatus, waitMs: Math.round(d.waitMs), attempt: attempt.rate + attempt.transient + 1 });
        await clock.sleep(d.waitMs);
      }
    }
  }

  async function callEnvelope<T>(method: string, params: Record<string, unknown> = {}): Promise<Envelope<T>> {
    const a = await request(method, params);
    const env: Envelope<T> = { result: a.result as T };
    if (a.total !== undefined) env.total = a.total;
    if (a.next !== undefined) env.next = a.next;
    if (a.time !== undefined) env.time = a.time;
    return env;
  }

  async function batch<R>(cmds: BatchCommands, bopts: BatchOptions = {}): Promise<BatchResult<R>> {
    const encoded = encodeCommands(cmds);
    const out = emptyBatchResult();
    if (encoded.length === 0) return out as BatchResult<R>;
    const chunks = chunkCommands(encoded, BATCH_MAX_COMMANDS);
    const halt = bopts.halt === true;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      const cmd: Record<string, string> = {};
      for (const c of chunk) cmd[c.key] = c.line;
      const before = Object.keys(out.errors).length;
      const answer = await request('batch', { halt: halt ? 1 : 0, cmd });
      out.requests += 1;
      parseBatchAnswer(chunk, answer.result, answer.httpStatus, out);
      for (const c of chunk) {
        noteTime(c.method, out.times[c.key]);
        const e = out.errors[c.key];
        if (e && e.code === 'OPERATION_TIME_LIMIT' && e.retryAfterMs === undefined) out.errors[c.key] = withRetryAfter(e, operatingWait(e));
      }
      if (halt && Object.keys(out.errors).length > before) {
        for (const rest of chunks.slice(i + 1)) for (const c of rest) out.skipped.push(c.key);
        break;
      }
    }
    const failed = bopts.allOrThrow ? Object.values(out.errors)[0] : undefined;
    if (failed) throw failed;
    return out as BatchResult<R>;
  }

  async function* iterate<T>(method: string, params: Record<string, unknown> = {}, lopts: ListOptions = {}): AsyncGenerator<T[]> {
    const max = lopts.max ?? Number.POSITIVE_INFINITY;
    let seen = 0;
    if (lopts.fastById) {
      const idField = typeof lopts.fastById === 'object' ? lopts.fastById.idField ?? 'ID' : 'ID';
      const filterField = typeof lopts.fastById === 'object' ? lopts.fastById.filterField ?? idField : idField;
      const baseFilter = { ...((params.filter as Record<string, unknown> | undefined) ?? {}) };
      let lastId = Number(baseFilter[`>${filterField}`] ?? 0) || 0;
      delete baseFilter[`>${filterField}`];
      for (;;) {
        const page = rowsOf<T>(
          (await callEnvelope<unknown>(method, {
            ...params,
            order: { [filterField]: 'ASC' },
            filter: { ...baseFilter, [`>${filterField}`]: lastId },
            start: -1,
          })).result,
          lopts.itemsKey,
          method,
        );
        if (page.length === 0) return;
        const take = page.slice(0, Math.max(0, max - seen));
        seen += take.length;
        yield take;
        if (page.length < PAGE_SIZE || seen >= max) return;
        const last = page[page.length - 1] as Record<string, unknown>;
        const id = Number(last?.[idField]);
        if (!Number.isFinite(id) || id <= lastId) {
          throw new Bitrix24Error({ code: 'UNEXPECTED_RESPONSE', description: `${method}: rows carry no increasing ${idField}; cannot page by id`, httpStatus: 200, method, kind: 'final' });
        }
        lastId = id;
      }
    }
    let start = Number(params.start ?? 0) || 0;
    for (;;) {
      const env = await callEnvelope<unknown>(method, { ...params, start });
      const page = rowsOf<T>(env.result, lopts.itemsKey, method);
      const take = page.slice(0, Math.max(0, max - seen));
      seen += take.length;
      if (take.length > 0) yield take;
      if (env.next === undefined || page.length === 0 || seen >= max) return;
      if (env.next <= start) {
        throw new Bitrix24Error({ code: 'UNEXPECTED_RESPONSE', description: `${method}: next offset does not advance`, httpStatus: 200, method, kind: 'final' });
      }
      start = env.next;
    }
  }

  async function listAll<T>(method: string, params: Record<string, unknown> = {}, lopts: ListOptions = {}): Promise<T[]> {
    const rows: T[] = [];
    for await (const page of iterate<T>(method, params, lopts)) rows.push(...page);
    return rows;
  }

  return {
    origin: transport.origin,
    call: async <T>(method: string, params?: Record<string, unknown>) => (await callEnvelope<T>(method, params)).result,
    callEnvelope,
    batch,
    listAll,
    iterate,
    get requestCount() {
      return requestCount;
    },
  };
}

/** The rows of a list answer: the array itself, or the one array inside an object. */
export function rowsOf<T>(result: unknown, itemsKey: string | undefined, method: string): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === 'object') {
    const obj = result as Record<string, unknown>;
    if (itemsKey !== undefined) {
      const v = obj[itemsKey];
      if (Array.isArray(v)) return v as T[];
    } else {
      const arrays = Object.values(obj).filter(Array.isArray);
      if (arrays.length === 1) return arrays[0] as T[];
      if (Object.keys(obj).length === 0) return [];
    }
  }
  if (result === null || result === undefined) return [];
  throw new Bitrix24Error({ code: 'UNEXPECTED_RESPONSE', description: `${method}: the answer is not a list`, httpStatus: 200, method, kind: 'final' });
}

function withRetryAfter(err: Bitrix24Error, waitMs: number): Bitrix24Error {
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
