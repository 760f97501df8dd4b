/**
 * The REST dispatcher: one authenticated request → rate limit → method (or batch) → envelope.
 *
 * Envelope (api-reference/data-types.md#time, list-methods-pecularities.md):
 *   {"result": …, "next"?: n, "total"?: n, "time": {start, finish, duration, processing,
 *    date_start, date_finish, operating, operating_reset_at}}
 * Errors: {"error": CODE, "error_description": TEXT} with the method's HTTP status.
 * batch (settings/how-to-call-rest-api/batch.md): up to 50 sub-calls (the rest fail with
 * ERROR_BATCH_LENGTH_EXCEEDED), `halt`, `$result[cmd][FIELD]` references, answers keyed by
 * command in result / result_error / result_total / result_next / result_time; HTTP 200.
 */
import { performance } from 'node:perf_hooks';
import type { CallLog } from './calllog';
import { Errors, RestError } from './errors';
import type { LeakyBucket, OperatingMeter } from './limits';
import type { CallContext, MethodOutput, MethodTable } from './methods/types';
import type { Portal } from './portal';
import { clone, formatDateTime, isPhpArray, isPlainObject, parsePhpQuery, phpMap, phpTruthy, type Params } from './util';

export interface Principal {
  kind: 'webhook' | 'app';
  userId: number;
  /** Operating limits are counted per caller (webhook or application) and method. */
  key: string;
}

export interface RestRequest {
  method: string;
  params: Params;
  principal: Principal;
  ip: string;
  requestId: string;
  receivedAt: number;
}

export interface RestAnswer {
  status: number;
  body: unknown;
  /** Methods that ran and write (lost-response faults apply to these). */
  writes: string[];
}

export interface EngineDeps {
  portal(): Portal;
  methods: MethodTable;
  /** The scopes of the caller: the inbound webhook's (SandboxOptions.scopes) or the local application's. */
  scopes(kind: Principal['kind']): ReadonlySet<string>;
  bucket: LeakyBucket;
  meter: OperatingMeter;
  callLog: CallLog;
}

type Time = Record<string, number | string>;

const MAX_BATCH = 50;

const round6 = (n: number): number => Math.round(n * 1e6) / 1e6;

function baseTime(startMs: number, finishMs: number, processingMs: number, tz: number): Time {
  return {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration: round6((finishMs - startMs) / 1000),
    processing: round6(processingMs / 1000),
    date_start: formatDateTime(startMs, tz),
    date_finish: formatDateTime(finishMs, tz),
  };
}

interface CallResult {
  out?: MethodOutput;
  error?: RestError;
  time?: Time;
  write: boolean;
}

export class RestEngine {
  constructor(private readonly deps: EngineDeps) {}

  private log(req: RestRequest, method: string, params: Params, status: number, error: RestError | undefined, viaBatch: boolean, startMs: number): void {
    const p = clone(params);
    delete p.auth;
    this.deps.callLog.add({
      requestId: req.requestId,
      method,
      params: p,
      at: new Date(startMs).toISOString(),
      httpStatus: status,
      ...(error ? { error: error.code || error.description } : {}),
      ...(viaBatch ? { viaBatch: true } : {}),
      auth: req.principal.kind,
      durationMs: Math.max(0, Date.now() - startMs),
    });
  }

  /** Logs and answers a request refused before any method ran (auth, outage, injected errors). */
  refuse(req: RestRequest, err: RestError): RestAnswer {
    this.log(req, req.method, req.params, err.status, err, false, req.receivedAt);
    return { status: err.status, body: err.body(), writes: [] };
  }

  handle(req: RestRequest): RestAnswer {
    const portal = this.deps.portal();
    const name = req.method;
    if (name !== 'batch' && !this.deps.methods[name]) return this.refuse(req, Errors.methodNotFound());
    if (!this.deps.bucket.take(`${req.ip}`, Date.now())) return this.refuse(req, Errors.queryLimit());
    if (name === 'batch') return this.batch(req, portal);
    const r = this.call(req, name, req.params, false, portal);
    if (r.error) return { status: r.error.status, body: r.error.body(), writes: [] };
    const out = r.out!;
    const body: Record<string, unknown> = { result: out.result };
    if (out.next !== undefined) body.next = out.next;
    if (out.total !== undefined) body.total = out.total;
    body.time = r.time;
    return { status: 200, body, writes: r.write ? [name] : [] };
  }

  /** One method call (top level or inside batch), with its operating limit and log entry. */
  private call(req: RestRequest, name: string, params: Params, viaBatch: boolean, portal: Portal): CallResult {
    const started = Date.now();
    const spec = this.deps.methods[name];
    const fail = (e: RestError): CallResult => {
      this.log(req, name, params, e.status, e, viaBatch, started);
      return { error: e, write: false };
    };
    if (!spec) return fail(Errors.methodNotFound());
    const scopes = this.deps.scopes(req.principal.kind);
    if (!grants(scopes, spec.scope)) return fail(Errors.insufficientScope());
    if (spec.appOnly && req.principal.kind !== 'app') return fail(Errors.wrongAuthType());
    if (viaBatch && spec.noBatch) return fail(Errors.batchNotAllowed());
    const opKey = `${req.principal.key}|${name}`;
    if (this.deps.meter.blocked(opKey, started)) return fail(Errors.operationTimeLimit());
    const user = portal.state.users.find((u) => u.ID === req.principal.userId);
    const ctx: CallContext = {
      portal,
      userId: req.principal.userId,
      isAdmin: !!user?.IS_ADMIN,
      auth: req.principal.kind,
      scopes: [...scopes],
      origin: { userId: req.principal.userId, connector: typeof params.auth_connector === 'string' ? params.auth_connector : undefined },
      viaBatch,
      raw: params,
    };
    let out: MethodOutput;
    try {
      out = spec.run(params, ctx);
    } catch (err) {
      if (err instanceof RestError) return fail(err);
      console.error(`[sandbox] ${name} failed:`, err);
      return fail(Errors.internal());
    }
    const finished = Date.now();
    // `processing` is the simulated execution time that `operating` accumulates (limits.ts).
    const cost = this.deps.meter.cost(out.rows ?? 0, !!spec.write);
    this.deps.meter.add(opKey, finished, cost);
    const time: Time = {
      ...baseTime(started, finished, cost * 1000, portal.tz),
      operating_reset_at: this.deps.meter.resetAt(opKey, finished),
      operating: round6(this.deps.meter.operating(opKey, finished)),
    };
    this.log(req, name, params, 200, undefined, viaBatch, started);
    return { out, time, write: !!spec.write };
  }

  private batch(req: RestRequest, portal: Portal): RestAnswer {
    const started = Date.now();
    const t0 = performance.now();
    this.log(req, 'batch', req.params, 200, undefined, false, started);
    // Keys are case-insensitive (array_change_key_case in CRestProvider::methodsBatch).
    const upper = Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k.toUpperCase(), v]));
    const halt = phpTruthy(upper.HALT);
    const cmd = upper.CMD;
    const entries: Array<[string, unknown]> = Array.isArray(cmd)
      ? cmd.map((v, i) => [String(i), v])
      : isPlainObject(cmd)
        ? Object.entries(cmd)
        : [];
    const result: Array<[string, unknown]> = [];
    const errors: Array<[string, unknown]> = [];
    const totals: Array<[string, unknown]> = [];
    const nexts: Array<[string, unknown]> = [];
    const times: Array<[string, unknown]> = [];
    const refs: Refs = { result: new Map(), error: new Map(), total: new Map(), next: new Map(), time: new Map() };
    const writes: string[] = [];
    for (const [i, [key, command]] of entries.entries()) {
      if (i >= MAX_BATCH) {
        const e = Errors.batchLength();
        errors.push([key, e.body()]);
        refs.error.set(key, e.body());
        continue;
      }
      if (typeof command !== 'string') continue; // the portal skips non-string commands
      const { method, params } = parseCommand(command, refs);
      if (method === 'batch') {
        const e = Errors.batchNotAllowed();
        this.log(req, method, params, e.status, e, true, Date.now());
        errors.push([key, e.body()]);
        refs.error.set(key, e.body());
        if (halt) break;
        continue;
      }
      const r = this.call(req, method, params, true, portal);
      if (r.error) {
        errors.push([key, r.error.body()]);
        refs.error.set(key, r.error.body());
        if (halt) break;
        continue;
      }
      const out = r.out!;
      result.push([key, out.result]);
      refs.result.set(key, out.result);
      if (out.total !== undefined) {
        totals.push([key, out.total]);
        refs.total.set(key, out.total);
      }
      if (out.next !== undefined) {
        nexts.push([key, out.next]);
        refs.next.set(key, out.next);
      }
      times.push([key, r.time]);
      refs.time.set(key, r.time);
      if (r.write) writes.push(method);
    }
    const finished = Date.now();
    return {
      status: 200,
      body: {
        result: {
          result: phpMap(result),
          result_error: phpMap(errors),
          result_total: phpMap(totals),
          result_next: phpMap(nexts),
          result_time: phpMap(times),
        },
        time: baseTime(started, finished, performance.now() - t0, portal.tz),
      },
      writes,
    };
  }
}

/**
 * Whether the caller's scopes open a method of `scope`: `basic` needs none; the users methods
 * also open with the limited `user_brief` / `user_basic` (api-reference/user/user-get.md "Scope:
 * user, user_brief, user_basic"; the sandbox does not narrow their fields).
 */
function grants(scopes: ReadonlySet<string>, scope: string): boolean {
  if (scope === 'basic') return true;
  if (scope === 'user') return scopes.has('user') || scopes.has('user_brief') || scopes.has('user_basic');
  return scopes.has(scope);
}

type RefKind = 'result' | 'next' | 'total' | 'time' | 'error';
type Refs = Record<RefKind, Map<string, unknown>>;

/**
 * References the way the portal resolves them (CRestUtil::processBatchElement): after the
 * command's query is parsed, every string value is searched for `$result`, `$next`, `$total`,
 * `$time` or `$error` followed by a `[key][field]…` path. A value that is exactly one reference
 * becomes the referenced value itself (an array stays an array); inside a longer string a
 * scalar is substituted and anything else is left as written. A path that cannot be followed
 * stops at the last step that exists.
 */
const REF = /\$(result|next|total|time|error)(\S*)/gi;

function follow(refs: Refs, kind: RefKind, path: string): { found: boolean; value: unknown } {
  const keys = [...path.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
  if (keys.length === 0) return { found: false, value: undefined };
  const [first, ...rest] = keys;
  const map = refs[kind];
  let value: unknown = map.has(first) ? map.get(first) : Object.fromEntries(map);
  if (!map.has(first)) return { found: true, value };
  for (const k of rest) {
    if (value !== null && typeof value === 'object' && (value as Record<string, unknown>)[k] !== undefined && (value as Record<string, unknown>)[k] !== null) {
      value = (value as Record<string, unknown>)[k];
    } else break;
  }
  return { found: true, value };
}

function substitute(value: unknown, refs: Refs): unknown {
  if (typeof value === 'string') {
    let out: unknown = value;
    for (const m of value.matchAll(REF)) {
      const { found, value: v } = follow(refs, m[1].toLowerCase() as RefKind, m[2]);
      if (!found) continue;
      if (m[0] === value) return v;
      const text = typeof v === 'number' ? String(v) : v;
      if (typeof text === 'string' && typeof out === 'string') out = out.split(m[0]).join(text);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, refs));
  if (isPhpArray(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, refs)]));
  return value;
}

/** "crm.deal.get?id=1" → method and parameters, with earlier results substituted. */
function parseCommand(command: unknown, refs: Refs): { method: string; params: Params } {
  const text = typeof command === 'string' ? command : '';
  const q = text.indexOf('?');
  const method = (q < 0 ? text : text.slice(0, q)).trim().replace(/\.json$/i, '').toLowerCase();
  const params = q < 0 ? {} : parsePhpQuery(text.slice(q + 1));
  return { method, params: substitute(params, refs) as Params };
}

