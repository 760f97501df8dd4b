/**
 * Batch: command encoding, chunking (at most 50 commands per `batch` request — b24restdocs
 * settings/how-to-call-rest-api/batch.md) and parsing of the per-command answer.
 *
 * `$result[<key>][...]` references to an earlier command's result are resolved by the portal
 * inside ONE batch request only; `chunkCommands` therefore rejects a reference that would
 * cross a chunk boundary instead of sending a command that cannot work.
 */
import { Bitrix24Error } from './errors';
import type { RestTime } from './transport';

export const BATCH_MAX_COMMANDS = 50;

export interface BatchCommand {
  method: string;
  params?: Record<string, unknown>;
}

export type BatchCommands = Record<string, BatchCommand> | BatchCommand[];

export interface BatchOptions {
  /** Stop at the first failing command (the portal's `halt: 1`); later chunks are not sent. */
  halt?: boolean;
  /**
   * Every command must succeed: the first failed one is thrown. `batch` answers HTTP 200 with a
   * failure in `result_error` (batch.md "Error Handling"), and a list that could not be read
   * must not pass for an empty one.
   */
  allOrThrow?: boolean;
}

export interface BatchResult<R = unknown> {
  /** Results by command key (array input: "0", "1", ...). */
  results: Record<string, R>;
  /** Per-command failures, classified like any other call. */
  errors: Record<string, Bitrix24Error>;
  /** `total` of list commands. */
  totals: Record<string, number>;
  /** `next` offset of list commands that have more pages. */
  nexts: Record<string, number>;
  /** Commands that never ran (halted). */
  skipped: string[];
  /** `time` per command (operating budget bookkeeping). */
  times: Record<string, RestTime>;
  /** HTTP requests this batch cost. */
  requests: number;
}

export interface EncodedCommand {
  key: string;
  method: string;
  /** `method?query` as the portal expects it in `cmd`. */
  line: string;
}

/**
 * PHP `http_build_query`-style encoding of one command's params: nested objects and arrays as
 * `a[b][0]=...`, every key and value URL-encoded (the batch page asks for it), booleans as
 * 1/0 (as PHP encodes them), Dates as ISO strings, null as an empty value. CRM "Y"/"N" flags
 * are strings and pass through unchanged.
 */
export function encodeQuery(params: Record<string, unknown> | undefined): string {
  const parts: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (value === undefined) return;
    if (value === null) {
      parts.push(`${encodeURIComponent(prefix)}=`);
    } else if (value instanceof Date) {
      parts.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(value.toISOString())}`);
    } else if (Array.isArray(value)) {
      if (value.length === 0) parts.push(`${encodeURIComponent(prefix)}=`);
      value.forEach((v, i) => walk(`${prefix}[${i}]`, v));
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) parts.push(`${encodeURIComponent(prefix)}=`);
      for (const [k, v] of entries) walk(`${prefix}[${k}]`, v);
    } else if (typeof value === 'boolean') {
      parts.push(`${encodeURIComponent(prefix)}=${value ? 1 : 0}`);
    } else {
      parts.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`);
    }
  };
  for (const [k, v] of Object.entries(params ?? {})) walk(k, v);
  return parts.join('&');
}

export function encodeCommands(cmds: BatchCommands): EncodedCommand[] {
  const entries: [string, BatchCommand][] = Array.isArray(cmds)
    ? cmds.map((c, i) => [String(i), c])
    : Object.entries(cmds);
  return entries.map(([key, c]) => {
    if (!c || typeof c.method !== 'string' || !/^[a-z0-9_.]+$/i.test(c.method)) {
      throw new TypeError(`batch command ${key}: method must be a REST method name`);
    }
    if (c.method === 'batch') throw new TypeError(`batch command ${key}: batch cannot be nested`);
    const query = encodeQuery(c.params);
    return { key, method: c.method, line: query ? `${c.method}?${query}` : c.method };
  });
}

/** Keys referenced as `$result[key]` (also `$result_next`, `$result_total`, ...). */
export function referencedKeys(line: string): string[] {
  const decoded = safeDecode(line);
  const keys: string[] = [];
  const re = /\$result(?:_error|_total|_next|_time)?\[([^\]]+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(decoded)) !== null) keys.push(m[1]!);
  return keys;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Splits into chunks of at most `size`, refusing `$result[...]` references across chunks. */
export function chunkCommands(encoded: EncodedCommand[], size = BATCH_MAX_COMMANDS): EncodedCommand[][] {
  if (size < 1 || size > BATCH_MAX_COMMANDS) throw new RangeError(`batch chunk size must be 1..${BATCH_MAX_COMMANDS}`);
  const seen = new Set<string>();
  for (const c of encoded) {
    if (seen.has(c.key)) throw new TypeError(`batch command key ${c.key} is used twice`);
    seen.add(c.key);
  }
  const chunks: EncodedCommand[][] = [];
  for (let i = 0; i < encoded.length; i += size) chunks.push(encoded.slice(i, i + size));
  chunks.forEach((chunk, index) => {
    const inChunk = new Set<string>();
    for (const c of chunk) {
      for (const ref of referencedKeys(c.line)) {
        if (!inChunk.has(ref)) {
          throw new TypeError(
            `batch command ${c.key} references $result[${ref}], which is not an earlier command of the same ` +
              `${size}-command chunk (chunk ${index + 1}); references work within one batch request only`,
          );
        }
      }
      inChunk.add(c.key);
    }
  });
  return chunks;
}

/** Reads one `batch` answer's `result` into the per-command maps. */
export function parseBatchAnswer(
  chunk: EncodedCommand[],
  answer: unknown,
  httpStatus: number,
  into: BatchResult,
): void {
  const a = (answer && typeof answer === 'object' ? answer : {}) as Record<string, unknown>;
  const pick = (field: string, key: string): unknown => {
    const bag = a[field];
    if (bag && typeof bag === 'object') return (bag as Record<string, unknown>)[key];
    return undefined;
  };
  for (const c of chunk) {
    const err = pick('result_error', c.key);
    const res = pick('result', c.key);
    const total = pick('result_total', c.key);
    const next = pick('result_next', c.key);
    const time = pick('result_time', c.key);
    if (time && typeof time === 'object') into.times[c.key] = time as RestTime;
    if (err !== undefined && err !== null) {
      const e = (typeof err === 'object' ? err : { error: String(err) }) as { error?: unknown; error_description?: unknown };
      into.errors[c.key] = new Bitrix24Error({
        code: typeof e.error === 'string' && e.error ? e.error : `HTTP_${httpStatus}`,
        description: typeof e.error_description === 'string' ? e.error_description : '',
        httpStatus,
        method: c.method,
        command: c.key,
      });
      continue;
    }
    if (res === undefined) {
      into.skipped.push(c.key);
      continue;
    }
    into.results[c.key] = res;
    const t = Number(total);
    if (total !== undefined && total !== null && Number.isFinite(t)) into.totals[c.key] = t;
    const n = Number(next);
    if (next !== undefined && next !== null && next !== '' && Number.isFinite(n)) into.nexts[c.key] = n;
  }
}

export function emptyBatchResult(): BatchResult {
  return { results: {}, errors: {}, totals: {}, nexts: {}, skipped: [], times: {}, requests: 0 };
}
