/**
 * The one list engine of the sandbox: filter operators, order, select masks and pages of 50,
 * shared by every `*.list` method (crm-deal-list.md, crm-lead-list.md, user-get.md,
 * list-methods-pecularities.md, settings/performance/huge-data.md).
 */
import { crmError, Errors } from './errors';
import { isPhpArray, isPlainObject, parseDateInput, phpValues, toInt, toNumber, type Params } from './util';

export type FieldType =
  | 'integer' | 'double' | 'string' | 'char' | 'date' | 'datetime'
  | 'crm_status' | 'crm_category' | 'crm_currency' | 'user' | 'crm_company' | 'crm_contact'
  | 'crm_lead' | 'crm_quote' | 'location' | 'crm_multifield'
  // user-field types (crm-deal-userfield-add.md)
  | 'boolean' | 'enumeration' | 'employee' | 'crm' | 'url' | 'money' | 'file' | 'address'
  | 'iblock_section' | 'iblock_element' | 'object';

export interface FieldDef {
  name: string;
  type: FieldType;
  title: string;
  readOnly?: boolean;
  immutable?: boolean;
  multiple?: boolean;
  required?: boolean;
  /** A user field (UF_*). */
  dynamic?: boolean;
  statusType?: string;
  /** Money: printed with two decimals ("1000.00"). */
  money?: boolean;
  /** Left out of the `*` mask (e.g. CONTACT_IDS). */
  notInStar?: boolean;
  /** Not selectable/filterable at all through *.list (e.g. CONTACT_IDS on crm.deal.list). */
  notListable?: boolean;
}

const NUMERIC = new Set<FieldType>([
  'integer', 'double', 'user', 'crm_company', 'crm_contact', 'crm_lead', 'crm_quote', 'crm_category',
  'employee', 'enumeration', 'boolean', 'iblock_section', 'iblock_element', 'file',
]);
const DATES = new Set<FieldType>(['date', 'datetime']);

export function isNumericType(t: FieldType): boolean {
  return NUMERIC.has(t);
}
export function isDateType(t: FieldType): boolean {
  return DATES.has(t);
}

type Op = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'in' | 'nin' | 'like' | 'nlike' | 'pattern' | 'npattern';

// Longest prefixes first.
const PREFIXES: Array<[string, Op]> = [
  ['!%=', 'npattern'], ['!=%', 'npattern'],
  ['>=', 'ge'], ['<=', 'le'], ['!@', 'nin'], ['!%', 'nlike'], ['!=', 'ne'], ['=%', 'pattern'], ['%=', 'pattern'],
  ['>', 'gt'], ['<', 'lt'], ['@', 'in'], ['%', 'like'], ['=', 'eq'], ['!', 'ne'],
];

export function splitFilterKey(key: string): { op: Op; field: string } {
  for (const [p, op] of PREFIXES) if (key.startsWith(p)) return { op, field: key.slice(p.length) };
  return { op: 'eq', field: key };
}

export interface QueryContext {
  tzOffsetMinutes: number;
  /** Values of a field of a record; default `rec[def.name]`. */
  getValue?: (rec: Record<string, unknown>, def: FieldDef) => unknown;
}

function isEmptyValue(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0);
}

function likeRegex(pattern: string, wildcards: boolean): RegExp {
  const esc = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (!wildcards) return new RegExp(esc, 'i');
  return new RegExp('^' + esc.replace(/%/g, '.*').replace(/_/g, '.') + '$', 'is');
}

/** Normalizes one operand to the field's comparable form (number, epoch ms or lower-case text). */
function operand(def: FieldDef, v: unknown, ctx: QueryContext): number | string | null {
  if (isEmptyValue(v)) return null;
  if (isDateType(def.type)) return parseDateInput(typeof v === 'number' ? String(v) : v, ctx.tzOffsetMinutes) ?? NaN;
  if (isNumericType(def.type)) {
    if (def.type === 'boolean' && typeof v === 'string' && /^[yn]$/i.test(v)) return v.toUpperCase() === 'Y' ? 1 : 0;
    if (typeof v === 'boolean') return v ? 1 : 0;
    return toNumber(v);
  }
  if (typeof v === 'boolean') return v ? 'y' : 'n';
  return String(v).toLowerCase();
}

function comparable(def: FieldDef, v: unknown): number | string | null {
  if (v === undefined || v === null || v === '') return null;
  if (isNumericType(def.type) || isDateType(def.type)) {
    const n = typeof v === 'number' ? v : toNumber(v);
    return Number.isNaN(n) ? null : n;
  }
  if (isPlainObject(v) && 'VALUE' in v) return String(v.VALUE).toLowerCase(); // multifield
  return String(v).toLowerCase();
}

function cmp(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

type Pred = (rec: Record<string, unknown>) => boolean;

/**
 * Compiles a `filter` object. Keys are field names with an operator prefix (=, !, !=, >, >=, <,
 * <=, @, !@, %, !%, =%, %=, !=%, !%=); an array value without a prefix means IN. Dates compare as
 * dates. Keys that name no field of the entity are ignored, as the crm.*.list methods do.
 */
export function compileFilter(filter: unknown, lookup: (name: string) => FieldDef | undefined, ctx: QueryContext): Pred {
  if (filter === undefined || filter === null || filter === '') return () => true;
  if (!isPhpArray(filter)) throw Errors.filterNotArray();
  const preds: Pred[] = [];
  const valueOf = ctx.getValue ?? ((rec, def) => rec[def.name]);
  for (const [key, raw] of Object.entries(filter as Record<string, unknown>)) {
    let { op, field } = splitFilterKey(key);
    const def = lookup(field);
    if (!def) continue;
    let list: unknown[] | null = null;
    if (op === 'in' || op === 'nin') list = isPhpArray(raw) ? phpValues(raw) : [raw];
    else if (isPhpArray(raw)) {
      list = phpValues(raw);
      if (op === 'eq') op = 'in';
      else if (op === 'ne') op = 'nin';
    }
    if (list) {
      const wanted = list.map((v) => operand(def, v, ctx));
      const hasEmpty = wanted.some((w) => w === null);
      const negate = op === 'nin';
      preds.push((rec) => {
        const vals = toList(valueOf(rec, def)).map((x) => comparable(def, x));
        const hit = vals.some((x) => (x === null ? hasEmpty : wanted.some((w) => w !== null && cmp(x, w) === 0))) || (vals.length === 0 && hasEmpty);
        return negate ? !hit : hit;
      });
      continue;
    }
    const w = operand(def, raw, ctx);
    if (w === null) {
      // Empty operand: "=" matches empty values, "!" matches filled ones.
      const wantEmpty = op === 'eq' || op === 'like' || op === 'pattern';
      preds.push((rec) => {
        const vals = toList(valueOf(rec, def)).map((x) => comparable(def, x)).filter((x) => x !== null && !(x === 0 && isRef(def)));
        return wantEmpty ? vals.length === 0 : vals.length > 0;
      });
      continue;
    }
    const text = String(raw);
    const re = op === 'like' || op === 'nlike' ? likeRegex(text, false) : op === 'pattern' || op === 'npattern' ? likeRegex(text, true) : null;
    const negative = op === 'ne' || op === 'nlike' || op === 'npattern';
    preds.push((rec) => {
      const vals = toList(valueOf(rec, def)).map((x) => comparable(def, x));
      const one = (x: number | string | null): boolean => {
        if (x === null) return false;
        switch (op) {
          case 'eq':
          case 'ne':
            return typeof w === 'number' && Number.isNaN(w) ? false : cmp(x, w) === 0;
          case 'gt': return cmp(x, w) > 0;
          case 'ge': return cmp(x, w) >= 0;
          case 'lt': return cmp(x, w) < 0;
          case 'le': return cmp(x, w) <= 0;
          default: return re!.test(String(x));
        }
      };
      const hit = vals.some(one);
      return negative ? !hit : hit;
    });
  }
  return (rec) => preds.every((p) => p(rec));
}

function isRef(def: FieldDef): boolean {
  return def.type === 'crm_company' || def.type === 'crm_contact' || def.type === 'crm_lead' || def.type === 'user';
}

function toList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** `order: {FIELD: "ASC"|"DESC"}`; unknown fields are ignored; ties keep ID order. */
export function compileOrder(
  order: unknown,
  lookup: (name: string) => FieldDef | undefined,
  ctx: QueryContext,
  fallback: Record<string, 'ASC' | 'DESC'> = { ID: 'ASC' },
): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  if (order !== undefined && order !== null && order !== '' && !isPhpArray(order)) throw Errors.orderNotArray();
  const entries = Object.entries((isPlainObject(order) ? order : {}) as Record<string, unknown>);
  const keys: Array<{ def: FieldDef; dir: number }> = [];
  for (const [k, d] of entries.length ? entries : Object.entries(fallback)) {
    const def = lookup(k);
    if (!def) continue;
    keys.push({ def, dir: String(d).toUpperCase() === 'DESC' ? -1 : 1 });
  }
  const valueOf = ctx.getValue ?? ((rec, def) => rec[def.name]);
  return (a, b) => {
    for (const { def, dir } of keys) {
      const x = comparable(def, toList(valueOf(a, def))[0]);
      const y = comparable(def, toList(valueOf(b, def))[0]);
      if (x === y) continue;
      if (x === null) return -dir;
      if (y === null) return dir;
      const c = cmp(x, y);
      if (c !== 0) return c * dir;
    }
    const d = Number(a.ID ?? a.id) - Number(b.ID ?? b.id);
    return Number.isNaN(d) ? 0 : d;
  };
}

/**
 * `select`: names, `*` (all non-multiple standard fields) and `UF_*` (all non-multiple user
 * fields) per crm-deal-list.md; unknown names are skipped. Returns names in field order.
 */
export function resolveSelect(select: unknown, defs: FieldDef[], defaults: string[]): string[] {
  let names = phpValues(select).map((s) => String(s));
  if (names.length === 0) names = defaults;
  const wanted = new Set(names);
  const out: string[] = [];
  for (const def of defs) {
    if (def.notListable) continue;
    const star = wanted.has('*') && !def.dynamic && !def.multiple && !def.notInStar;
    const ufStar = wanted.has('UF_*') && def.dynamic && !def.multiple;
    if (star || ufStar || wanted.has(def.name)) out.push(def.name);
  }
  return out;
}

export const PAGE_SIZE = 50;

export interface Page<T> {
  rows: T[];
  total: number;
  next?: number;
}

/**
 * Pages of 50: `start` is the offset; `next` appears when more rows follow; `start: -1` skips
 * the count (`total` 0, no `next`) — settings/performance/huge-data.md.
 */
export function paginate<T>(rows: T[], start: unknown, size = PAGE_SIZE): Page<T> {
  let s = toInt(start);
  if (s === -1) return { rows: rows.slice(0, size), total: 0 };
  if (Number.isNaN(s) || s < 0) s = 0;
  const slice = rows.slice(s, s + size);
  const page: Page<T> = { rows: slice, total: rows.length };
  if (s + size < rows.length) page.next = s + size;
  return page;
}

/** A `select`/`filter`/`order` parameter must be a PHP array when given. */
export function assertArrayParam(v: unknown, which: 'filter' | 'order' | 'select'): void {
  if (v === undefined || v === null || v === '') return;
  if (!isPhpArray(v)) throw which === 'filter' ? Errors.filterNotArray() : which === 'order' ? Errors.orderNotArray() : crmError("Parameter 'select' must be array.");
}

export type { Params };
