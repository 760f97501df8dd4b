/**
 * Small pure helpers of the sandbox: portal-time formatting and parsing, PHP-style query strings
 * (how Bitrix24 reads `filter[>ID]=5`), PHP truthiness and JSON shape, a seeded random source.
 */

// ---------------------------------------------------------------------------------------------
// Time. The portal has one fixed UTC offset (default +03:00, Moscow); every date it returns is
// ISO 8601 with that offset, e.g. "2025-01-15T10:00:00+03:00" (b24restdocs api-reference/data-types.md).

const DAY_MS = 86_400_000;

function pad(n: number, w = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(w, '0');
}

export function offsetSuffix(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const m = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

/** "2025-01-15T10:00:00+03:00" for an epoch-ms instant. */
export function formatDateTime(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  return local.toISOString().slice(0, 19) + offsetSuffix(offsetMinutes);
}

/** Midnight (portal time) of the day that contains `ms`. */
export function startOfDay(ms: number, offsetMinutes: number): number {
  const local = ms + offsetMinutes * 60_000;
  return local - (((local % DAY_MS) + DAY_MS) % DAY_MS) - offsetMinutes * 60_000;
}

/** "2025-01-15" (portal date). */
export function formatDate(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const RU_RE = /^(\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Parses what a client may send as a date: ISO 8601 (with or without offset; without one it is
 * portal time), a date alone ("2025-01-15"), or the Russian site format ("15.01.2025 10:00:00").
 * Returns epoch ms, or null when the text is not a date.
 */
export function parseDateInput(value: unknown, offsetMinutes: number): number | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
  if (typeof value !== 'string') return null;
  const s = value.trim();
  let y: number, mo: number, d: number, h = 0, mi = 0, se = 0;
  let zone: string | undefined;
  let m = ISO_RE.exec(s);
  if (m) {
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (m[4] !== undefined) [h, mi, se] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
    zone = m[7];
  } else if ((m = RU_RE.exec(s))) {
    [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (m[4] !== undefined) [h, mi, se] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  } else {
    return null;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, se);
  const check = new Date(utc);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
  let offset = offsetMinutes;
  if (zone) {
    if (zone.toUpperCase() === 'Z') offset = 0;
    else {
      const z = zone.replace(':', '');
      offset = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
    }
  }
  return utc - offset * 60_000;
}

// ---------------------------------------------------------------------------------------------
// PHP-style parameters.

export type Params = Record<string, unknown>;

function isIndexKey(k: string): boolean {
  return /^(0|[1-9]\d*)$/.test(k);
}

/** An object whose keys are exactly "0".."n-1" becomes an array (what json_encode does). */
export function normalizeArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizeArrays);
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalizeArrays(x)] as const);
  if (entries.length > 0 && entries.every(([k], i) => k === String(i))) return entries.map(([, x]) => x);
  return Object.fromEntries(entries);
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * Parses "a=1&filter[>ID]=5&select[]=ID&select[]=TITLE&fields[UF_CRM_X][]=1" the way PHP's
 * parse_str does (nested keys, `[]` appends), then turns index-keyed maps into arrays.
 */
export function parsePhpQuery(qs: string): Params {
  const root: Record<string, unknown> = {};
  if (!qs) return root;
  for (const part of qs.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawKey = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    const open = rawKey.indexOf('[');
    const base = open > 0 ? rawKey.slice(0, open) : rawKey;
    if (!base) continue;
    const path: string[] = [base];
    if (open > 0) {
      const re = /\[([^\]]*)\]/g;
      let m: RegExpExecArray | null;
      let last = open;
      while ((m = re.exec(rawKey)) !== null && m.index === last) {
        path.push(m[1]);
        last = re.lastIndex;
      }
    }
    let node: Record<string, unknown> = root;
    for (let i = 0; i < path.length; i++) {
      let key = path[i];
      if (key === '') {
        const idx = Object.keys(node).filter(isIndexKey).map(Number);
        key = String(idx.length ? Math.max(...idx) + 1 : 0);
      }
      if (i === path.length - 1) {
        node[key] = value;
      } else {
        const next = node[key];
        if (next === null || typeof next !== 'object') node[key] = {};
        node = node[key] as Record<string, unknown>;
      }
    }
  }
  return normalizeArrays(root) as Params;
}

/** The inverse: http_build_query, for outbound event payloads. */
export function buildPhpQuery(value: Record<string, unknown>, prefix?: string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v === undefined || v === null) continue;
    if (typeof v === 'object') {
      const inner = buildPhpQuery(v as Record<string, unknown>, key);
      if (inner) parts.push(inner);
    } else {
      const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(s)}`);
    }
  }
  return parts.join('&');
}

/** PHP truthiness: "", "0", 0, false, null, [] are false; "false" is true. */
export function phpTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '' || v === '0') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** An integer from a JSON number or a form string ("12", "-1"); NaN otherwise. */
export function toInt(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : NaN;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return parseInt(v, 10);
  return NaN;
}

export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return NaN;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Objects and arrays both count as PHP arrays. */
export function isPhpArray(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object';
}

/** Values of a PHP array (list or map). */
export function phpValues(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isPlainObject(v)) return Object.values(v);
  return [];
}

/**
 * A keyed result the way json_encode prints a PHP array: `[]` when empty, a list when the keys
 * are 0..n-1, an object otherwise (batch result_* maps).
 */
export function phpMap(entries: Array<[string, unknown]>): unknown {
  if (entries.length === 0) return [];
  if (entries.every(([k], i) => k === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}

/**
 * The crm.* REST proxies read a parameter by its lower-case or upper-case name ("id" / "ID",
 * "fields" / "FIELDS") — the documented examples use both.
 */
export function param(p: Params, name: string): unknown {
  const lower = name.toLowerCase();
  if (p[lower] !== undefined) return p[lower];
  const upper = name.toUpperCase();
  return p[upper];
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32).

export interface Rng {
  next(): number;
  /** true with probability pct/100. */
  chance(pct: number): boolean;
}

export function seededRng(seed: number): Rng {
  let a = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, chance: (pct) => pct > 0 && (pct >= 100 || next() * 100 < pct) };
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}
