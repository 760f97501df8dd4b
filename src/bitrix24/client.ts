/**
 * The ONE Bitrix24 REST client of the service: every REST call goes through here.
 *
 * Layers, outside in:
 *   call / callEnvelope / batch / listAll / iterate   (this file; paging in paging.ts)
 *     → in-process retry policy (short, safe retries only; request.ts)
 *       → client-side leaky bucket, one per portal per process (rate-limit.ts)
 *         → transport: one HTTP request over the SDK's B24Hook (transport.ts)
 *
 * The retry policy (docs/decisions.md D-B24-2) is described in request.ts.
 */
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
import { iterate, listAll, type ListOptions } from './paging';
import { createRateLimiter, sharedRateLimiter, type LimitPreset, type RateLimiter } from './rate-limit';
import { callEnvelope, noteTime, operatingWait, request, retryDefaults, systemClock, withRetryAfter, type ClientLogger, type Clock, type Envelope, type Requester, type RetryOptions } from './request';
import { createSdkTransport, type Transport } from './transport';

export { isReadOnlyCall, systemClock, type ClientLogger, type Clock, type Envelope, type RetryOptions } from './request';
export { rowsOf, type ListOptions } from './paging';

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

export function createBitrix24Client(opts: Bitrix24ClientOptions): Bitrix24Client {
  const transport = opts.transport ?? createSdkTransport({ webhookUrl: opts.webhookUrl, caCertPem: opts.caCertPem, timeoutMs: opts.timeoutMs ?? 30_000 });
  const clock = opts.clock ?? systemClock;
  const preset = opts.preset ?? 'standard';
  const limiter = opts.limiter ?? (opts.clock ? createRateLimiter(preset, clock.now) : sharedRateLimiter(transport.origin, preset));
  const r: Requester = { transport, clock, limiter, log: opts.logger, retry: retryDefaults(opts.retry), requestCount: 0 };

  return {
    origin: transport.origin,
    call: async <T>(method: string, params?: Record<string, unknown>) => (await callEnvelope<T>(r, method, params)).result,
    callEnvelope: (method, params) => callEnvelope(r, method, params),
    batch: (cmds, bopts) => runBatch(r, cmds, bopts),
    listAll: (method, params, lopts) => listAll(r, method, params, lopts),
    iterate: (method, params, lopts) => iterate(r, method, params, lopts),
    get requestCount() {
      return r.requestCount;
    },
  };
}

/** `batch`: the commands in chunks of 50, one request each; with `halt`, later chunks are skipped. */
async function runBatch<R>(r: Requester, cmds: BatchCommands, bopts: BatchOptions = {}): Promise<BatchResult<R>> {
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
    const answer = await request(r, 'batch', { halt: halt ? 1 : 0, cmd });
    out.requests += 1;
    parseBatchAnswer(chunk, answer.result, answer.httpStatus, out);
    for (const c of chunk) {
      noteTime(r, c.method, out.times[c.key]);
      const e = out.errors[c.key];
      if (e && e.code === 'OPERATION_TIME_LIMIT' && e.retryAfterMs === undefined) out.errors[c.key] = withRetryAfter(e, operatingWait(r, e));
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
