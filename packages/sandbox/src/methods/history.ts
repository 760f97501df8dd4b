/**
 * crm.stagehistory.list (api-reference/crm/crm-stage-history-list.md): the stage history of
 * leads (entityTypeId 1) and deals (2) as `result.items`, UPPER_CASE keys and typed values (ints
 * as JSON numbers), CREATED_TIME in the portal's offset; filter (exact values, arrays, the
 * documented prefixes), order, select, pages of 50 with `total` and `next`.
 *
 * Old (5) and new (31) invoices are supported entity types, but the sandbox has no invoices:
 * their history is empty. Any other type is 400 ENTITY_TYPE_NOT_SUPPORTED. Which fields filter
 * and sort is not documented; the sandbox takes the fields an item has, and answers any other
 * with the documented 400 INVALID_ARG_VALUE, as it does for an invalid value or direction.
 */
import { Errors, RestError } from '../errors';
import { compileFilter, compileOrder, isDateType, paginate, splitFilterKey, type FieldDef } from '../query';
import type { StageHistoryRec } from '../store';
import { formatDateTime, isPhpArray, isPlainObject, param, parseDateInput, phpValues, toInt, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

const int = (name: string): FieldDef => ({ name, type: 'integer', title: name });
const text = (name: string): FieldDef => ({ name, type: 'string', title: name });
const COMMON: FieldDef[] = [int('ID'), int('TYPE_ID'), int('OWNER_ID'), { name: 'CREATED_TIME', type: 'datetime', title: 'CREATED_TIME' }];
const FIELDS: Record<1 | 2, FieldDef[]> = {
  2: [...COMMON, int('CATEGORY_ID'), text('STAGE_SEMANTIC_ID'), text('STAGE_ID')],
  1: [...COMMON, text('STATUS_SEMANTIC_ID'), text('STATUS_ID')],
};
const NO_HISTORY = new Set([5, 31]);
const TYPE_NAMES: Record<number, string> = { 3: 'Contact', 4: 'Company', 7: 'Quote', 14: 'Order' };

const invalid = (text: string) => new RestError(400, 'INVALID_ARG_VALUE', text);

function entityTypeOf(p: Params): number {
  const raw = p.entityTypeId ?? p.ENTITY_TYPE_ID ?? p.entityTypeID;
  if (raw === undefined || raw === '') throw Errors.missingParam('entityTypeId');
  const id = toInt(raw);
  if (id === 1 || id === 2 || NO_HISTORY.has(id)) return id;
  throw new RestError(400, 'ENTITY_TYPE_NOT_SUPPORTED', `Entity type \`${TYPE_NAMES[id] ?? String(raw)}\` is not supported`);
}

/** A stored entry with the field names of its entity type. */
function view(h: StageHistoryRec): Record<string, unknown> {
  const base = { ID: h.ID, TYPE_ID: h.TYPE_ID, OWNER_ID: h.OWNER_ID, CREATED_TIME: h.CREATED_TIME };
  return h.ENTITY_TYPE_ID === 2
    ? { ...base, CATEGORY_ID: h.CATEGORY_ID ?? 0, STAGE_SEMANTIC_ID: h.SEMANTIC_ID, STAGE_ID: h.STAGE_ID }
    : { ...base, STATUS_SEMANTIC_ID: h.SEMANTIC_ID, STATUS_ID: h.STAGE_ID };
}

function validValue(def: FieldDef, v: unknown, tz: number): boolean {
  if (def.type === 'integer') return v !== null && v !== '' && typeof v !== 'object' && Number.isInteger(Number(v));
  if (isDateType(def.type)) return parseDateInput(v, tz) !== null;
  return typeof v === 'string' || typeof v === 'number';
}

/** Every filter key names an item field, and every value suits it (documented INVALID_ARG_VALUE). */
function checkFilter(filter: unknown, defs: FieldDef[], tz: number): void {
  if (filter === undefined || filter === null || filter === '') return;
  if (!isPhpArray(filter)) throw invalid('Invalid filter: filter must be an object');
  for (const [key, raw] of Object.entries(filter as Record<string, unknown>)) {
    const { field } = splitFilterKey(key);
    const def = defs.find((d) => d.name === field);
    if (!def) throw invalid(`Invalid filter: field '${field}' is not allowed in filter`);
    const values = isPhpArray(raw) ? phpValues(raw) : [raw];
    if (values.some((v) => !validValue(def, v, tz))) throw invalid(`Invalid filter: field '${field}' has invalid value`);
  }
}

function checkOrder(order: unknown, defs: FieldDef[]): void {
  if (order === undefined || order === null || order === '') return;
  if (!isPlainObject(order)) throw invalid('Invalid order: order must be an object');
  for (const [field, dir] of Object.entries(order)) {
    if (!defs.some((d) => d.name === field)) throw invalid(`Invalid order: field '${field}' is not allowed in order`);
    if (!/^(ASC|DESC)$/i.test(String(dir))) throw invalid(`Invalid order: allowed sort directions are ASC, DESC. But got '${String(dir)}' for field '${field}'`);
  }
}

function stageHistoryList(p: Params, ctx: CallContext): MethodOutput {
  const type = entityTypeOf(p);
  if (type !== 1 && type !== 2) return { result: { items: [] }, total: 0, rows: 0 };
  const defs = FIELDS[type];
  const tz = ctx.portal.tz;
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  checkFilter(filter, defs, tz);
  checkOrder(order, defs);
  const lookup = (name: string) => defs.find((d) => d.name === name);
  const q = { tzOffsetMinutes: tz };
  const rows = ctx.portal.state.stageHistory
    .filter((h) => h.ENTITY_TYPE_ID === type)
    .map(view)
    .filter(compileFilter(filter, lookup, q))
    .sort(compileOrder(order, lookup, q));
  const page = paginate(rows, p.start ?? p.START);
  const wanted = phpValues(param(p, 'select') ?? []).map(String);
  const names = defs.map((d) => d.name).filter((n) => wanted.length === 0 || wanted.includes('*') || wanted.includes(n));
  const items = page.rows.map((r) => Object.fromEntries(names.map((n) => [n, n === 'CREATED_TIME' ? formatDateTime(Number(r[n]), tz) : r[n]])));
  return { result: { items }, total: page.total, next: page.next, rows: page.rows.length };
}

export const historyMethods: MethodTable = {
  'crm.stagehistory.list': { scope: 'crm', run: stageHistoryList },
};
