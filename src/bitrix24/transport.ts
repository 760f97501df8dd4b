/**
 * The wire: one HTTP request to one REST method, over the official SDK's B24Hook.
 *
 * What the SDK gives us here: webhook URL parsing (https enforced), the request URL and JSON
 * body, its request-id telemetry, the axios instance. What we switch off (evidence in
 * docs/decisions.md, D-B24-1): its retry loop (`maxRetries: 1` — it would retry a write whose
 * response was lost, and sleeps up to 10 minutes in-process on 429), and its per-instance rate,
 * operating and adaptive limiters (ours is one bucket per portal per process, rate-limit.ts).
 *
 * What we read around it: the portal's raw error body (`AjaxError.originalError.response`),
 * because the SDK drops `error_description` when the portal's `error` is empty — which is how
 * every crm.* method reports "Not found", "Access denied" and validation failures.
 */
import https from 'node:https';
import { AjaxError, AjaxResult, ApiVersion, B24Hook, SdkError } from '@bitrix24/b24jssdk';
import { Bitrix24Error, redactSecrets, registerSecret } from './errors';

/** `time` of a REST answer (b24restdocs api-reference/data-types.md#time). */
export interface RestTime {
  start?: number;
  finish?: number;
  duration?: number;
  processing?: number;
  date_start?: string;
  date_finish?: string;
  /** Seconds this method consumed in the current 10-minute window. */
  operating?: number;
  /** Unix seconds when part of this method's operating budget frees up. */
  operating_reset_at?: number;
}

export interface RawAnswer {
  httpStatus: number;
  result: unknown;
  /** `total` of list methods (absent: the portal sent none, e.g. `start: -1`). */
  total?: number;
  /** Offset of the next page; absent on the last page. */
  next?: number;
  time?: RestTime;
}

/** One HTTP request. Throws `Bitrix24Error` (already classified, secret-free). */
export interface Transport {
  /** Scheme + host + port of the portal; the rate-limit key. Never contains the secret. */
  readonly origin: string;
  send(method: string, params: Record<string, unknown>): Promise<RawAnswer>;
}

export interface SdkTransportOptions {
  webhookUrl: string;
  /** PEM of a CA to trust in addition to nothing else (sandbox mode only). */
  caCertPem?: string;
  timeoutMs?: number;
}

/** The SDK's own restriction layer, disabled: one attempt, no waiting, no adaptive delays. */
const SDK_PASSTHROUGH = {
  rateLimit: { burstLimit: Number.MAX_SAFE_INTEGER, drainRate: Number.MAX_SAFE_INTEGER, adaptiveEnabled: false },
  operatingLimit: { windowMs: 600_000, limitMs: Number.MAX_SAFE_INTEGER, heavyPercent: 100 },
  adaptiveConfig: { enabled: false, thresholdPercent: 100, coefficient: 0, maxDelay: 0 },
  maxRetries: 1,
  retryDelay: 0,
  retryOnNetworkError: false,
};

export function parseWebhookUrl(webhookUrl: string): { origin: string; userId: number; secret: string } {
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    throw new Bitrix24Error({ code: 'INVALID_WEBHOOK_URL', description: 'webhook URL is not a URL', httpStatus: 0, method: '-', kind: 'final' });
  }
  const parts = url.pathname.split('/').filter(Boolean);
  const offset = parts[1] === 'api' ? 1 : 0;
  if (parts[0] !== 'rest' || parts.length !== 3 + offset || !/^\d+$/.test(parts[1 + offset] ?? '')) {
    throw new Bitrix24Error({
      code: 'INVALID_WEBHOOK_URL',
      description: 'webhook URL must look like https://<portal>/rest/<userId>/<secret>/',
      httpStatus: 0,
      method: '-',
      kind: 'final',
    });
  }
  return { origin: url.origin, userId: Number(parts[1 + offset]), secret: parts[2 + offset]! };
}

export function createSdkTransport(opts: SdkTransportOptions): Transport & { readonly hook: B24Hook } {
  const { origin, secret } = parseWebhookUrl(opts.webhookUrl);
  registerSecret(secret);
  let hook: B24Hook;
  try {
    hook = B24Hook.fromWebhookUrl(opts.webhookUrl, { restrictionParams: SDK_PASSTHROUGH });
  } catch (e) {
    // e.g. JSSDK_HOOK_URL_NOT_HTTPS: the SDK refuses plain http, and says so without the URL.
    throw fromSdkError(e, '-');
  }
  configureAxios(hook, opts);
  const http = hook.getHttpClient(ApiVersion.v2);

  return {
    origin,
    hook,
    async send(method, params) {
      let res: AjaxResult<unknown>;
      try {
        res = await http.call<unknown>(method, params);
      } catch (e) {
        throw fromSdkError(e, method);
      }
      if (!res.isSuccess) {
        // Soft errors (the SDK returns instead of throwing for e.g. ERROR_ENTITY_NOT_FOUND),
        // and 2xx answers whose body carries an `error`.
        const first = res.getErrors().next().value;
        throw fromSdkError(first ?? new Error('unsuccessful answer'), method, res.getStatus());
      }
      const data = res.getData();
      const answer: RawAnswer = { httpStatus: res.getStatus(), result: data?.result, time: data?.time as RestTime | undefined };
      if (res.isMore()) {
        answer.next = await readNextOffset(res);
      }
      // getTotal() is 0 both for "no total sent" and "total: 0"; an empty page means 0 either way.
      const total = res.getTotal();
      if (total > 0 || answer.next !== undefined || (Array.isArray(answer.result) && answer.result.length === 0)) answer.total = total;
      return answer;
    },
  };
}

/**
 * Trust only the given CA for this portal (sandbox mode), and apply our timeout. Both go into
 * the SDK's own axios instance (`TypeHttp.ajaxClient`, the SDK's documented way to tune it).
 * Never touches NODE_TLS_REJECT_UNAUTHORIZED or any global agent.
 */
function configureAxios(hook: B24Hook, opts: SdkTransportOptions): void {
  const agent = opts.caCertPem ? new https.Agent({ ca: opts.caCertPem, keepAlive: true }) : undefined;
  for (const version of [ApiVersion.v2, ApiVersion.v3]) {
    const axios = hook.getHttpClient(version).ajaxClient;
    if (agent) axios.defaults.httpsAgent = agent;
    if (opts.timeoutMs !== undefined) axios.defaults.timeout = opts.timeoutMs;
  }
}

/**
 * `AjaxResult` keeps `next` private; its public `getNext(http)` re-runs the query with
 * `start = next` through whatever `http` it is given. We hand it a stand-in that records the
 * offset instead of sending anything.
 */
async function readNextOffset(res: AjaxResult<unknown>): Promise<number | undefined> {
  let captured: number | undefined;
  const recorder = {
    apiVersion: ApiVersion.v2,
    call: async (_method: string, params: { start?: unknown }) => {
      const n = Number(params?.start);
      if (Number.isFinite(n)) captured = n;
      return res;
    },
  };
  await res.getNext(recorder as unknown as Parameters<AjaxResult<unknown>['getNext']>[0]);
  return captured;
}

interface AxiosLike {
  code?: string;
  message?: string;
  response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
}

function asAxiosLike(e: unknown): AxiosLike | undefined {
  if (e && typeof e === 'object' && ('isAxiosError' in e || 'response' in e || 'config' in e)) return e as AxiosLike;
  return undefined;
}

/**
 * Builds our error from whatever the SDK threw or reported. The raw axios error (which holds
 * `config.url`, i.e. the secret) is read here and never kept.
 */
export function fromSdkError(e: unknown, method: string, statusHint?: number): Bitrix24Error {
  if (e instanceof Bitrix24Error) return e;
  const sdk = e instanceof SdkError ? e : undefined;
  const ajax = e instanceof AjaxError ? e : undefined;
  const axios = asAxiosLike(sdk?.originalError) ?? asAxiosLike(e);
  const response = axios?.response;
  const httpStatus = response?.status ?? (sdk && sdk.status > 0 && sdk.status !== 408 ? sdk.status : statusHint ?? 0);
  const body = response?.data;

  let code = '';
  let description = '';
  let retryAfterMs: number | undefined;
  if (body && typeof body === 'object' && 'error' in body) {
    const b = body as { error?: unknown; error_description?: unknown; time?: RestTime };
    if (typeof b.error === 'string') code = b.error;
    else if (b.error && typeof b.error === 'object') {
      const v3 = b.error as { code?: unknown; message?: unknown };
      code = String(v3.code ?? '');
      description = String(v3.message ?? '');
    }
    if (typeof b.error_description === 'string') description = b.error_description;
    const resetAt = b.time?.operating_reset_at;
    if (typeof resetAt === 'number' && resetAt > 0) retryAfterMs = Math.max(0, resetAt * 1000 - Date.now());
  }
  const retryAfter = response?.headers?.['retry-after'];
  if (retryAfterMs === undefined && retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) retryAfterMs = seconds * 1000;
  }

  if (!response && axios) {
    // No answer: a network failure or a timeout. Keep the transport code, not the URL.
    code = axios.code || ajax?.code || 'NETWORK_ERROR';
    if (code === 'ECONNABORTED' || /timeout/i.test(axios.message ?? '')) code = 'REQUEST_TIMEOUT';
    description = axios.message ?? '';
  }
  if (!code && !response && ajax) {
    code = ajax.code;
    description = ajax.message;
  }
  if (!code && ajax && ajax.code && !/^ERR_BAD_(REQUEST|RESPONSE)$/.test(ajax.code)) code = ajax.code;
  if (!description && ajax) description = ajax.message;
  if (!code) code = httpStatus ? `HTTP_${httpStatus}` : sdk?.code || 'UNKNOWN_ERROR';
  if (!description && e instanceof Error) description = e.message;

  return new Bitrix24Error({
    code,
    description: redactSecrets(description),
    httpStatus,
    method,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
