/**
 * Parsing at the boundary: the portal sends numbers as strings ("410", "1000000.00"), flags as
 * "Y"/"N" (sometimes booleans), empty strings or null for "nothing", and dates as ISO 8601 with
 * the portal's offset. These small zod schemas turn that into numbers, booleans, `null` and
 * UTC ISO strings, so nothing past src/bitrix24 sees a raw value.
 */
import { z } from 'zod';
import { Bitrix24Error } from './errors';

const raw = z.unknown();

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A required id (positive integer). */
export const id = raw.transform((v, ctx) => {
  const n = toNumber(v);
  if (n === null || !Number.isInteger(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: `expected an id, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return n;
});

/** An optional reference id: "0", 0, "", null → null. */
export const refId = raw.transform((v) => {
  const n = toNumber(v);
  return n !== null && Number.isInteger(n) && n > 0 ? n : null;
});

/** An integer that may be 0 (CATEGORY_ID, SORT). */
export const int = (fallback = 0) =>
  raw.transform((v) => {
    const n = toNumber(v);
    return n !== null ? Math.trunc(n) : fallback;
  });

/** Money / quantities: "1000000.00" → 1000000; missing → 0. */
export const amount = raw.transform((v) => toNumber(v) ?? 0);

export const optNumber = raw.transform((v) => toNumber(v));

/** "Y"/"N", true/false, 1/0 → boolean. */
export const flag = raw.transform((v) => v === true || v === 'Y' || v === 'y' || v === 1 || v === '1');

/** A string or null ("" → null). */
export const text = raw.transform((v) => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number') return String(v);
  return null;
});

/** A string, "" when missing. */
export const str = raw.transform((v) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v)));

/** ISO date-time with offset → UTC ISO string; "", null, {} (user.get's empty dates) → null. */
export const isoDate = raw.transform((v) => {
  if (typeof v !== 'string' || v.trim() === '') return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
});

export const idList = raw.transform((v) => {
  const arr = Array.isArray(v) ? v : v === null || v === undefined || v === '' || v === false ? [] : [v];
  return arr.map((x) => toNumber(x)).filter((n): n is number => n !== null && Number.isInteger(n) && n > 0);
});

export const semantic = raw.transform((v) => (v === 'P' || v === 'S' || v === 'F' ? v : null));

/**
 * An object schema for a portal row whose keys may be absent (a `select` that left them out):
 * absent keys are read as null, so each field's own rule decides (ids stay required).
 */
export function row<S extends Record<string, z.ZodType>>(shape: S) {
  const keys = Object.keys(shape);
  return z.preprocess((v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const k of keys) if (out[k] === undefined) out[k] = null;
    return out;
  }, z.object(shape));
}

/** The custom fields (`UF_*`) of a raw element, as the portal sent them. */
export function userFieldsOf(rawRow: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rawRow && typeof rawRow === 'object') {
    for (const [k, v] of Object.entries(rawRow as Record<string, unknown>)) if (k.startsWith('UF_')) out[k] = v;
  }
  return out;
}

/**
 * Parses one portal answer; a shape we cannot read is a `final` error (retrying returns the
 * same shape), naming the method and the first issue — never the data itself.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, method: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path?.length ? issue.path.join('.') : '(root)';
  throw new Bitrix24Error({
    code: 'UNEXPECTED_RESPONSE',
    description: `${method}: unexpected answer at ${where}: ${issue?.message ?? 'invalid'}`,
    httpStatus: 200,
    method,
    kind: 'final',
  });
}
