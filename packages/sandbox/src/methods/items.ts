/**
 * The universal crm.item.list / get / update for deals (entityTypeId 2): crm-item-list.md,
 * crm-item-get.md, crm-item-update.md, object-fields.md. camelCase field names in select,
 * filter, order, `fields` and the answer (`result.items`, `result.item`); filters take the
 * documented prefixes, nest with `logic: "OR"`, and refuse a field that cannot be filtered
 * (400 INVALID_ARG_VALUE); `contactIds` filters by any bound contact (whats-new.md: "Added
 * support for the contactIds field in the filter"); pages of 50. Moving a deal to another
 * pipeline (categoryId + stageId) fires ONCRMDEALMOVETOCATEGORY, not ONCRMDEALUPDATE
 * (deals/index.md). Other entity types are not emulated.
 */
import { findRecord, records, updateDealItem } from '../crm/entities';
import { dealItemNames, dealItemOut, itemFilterValue, type ItemNames } from '../crm/items';
import { Errors, RestError } from '../errors';
import { compileFilter, compileOrder, paginate, splitFilterKey, type FieldDef, type QueryContext } from '../query';
import type { Rec } from '../store';
import { isPhpArray, isPlainObject, phpValues, toInt, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

type Pred = (rec: Record<string, unknown>) => boolean;

const invalidArg = (text: string) => new RestError(400, 'INVALID_ARG_VALUE', text);

/** `entityTypeId*`: only deals (2) are emulated; anything else is answered like an unknown SPA. */
function checkEntityType(p: Params): void {
  const raw = p.entityTypeId ?? p.ENTITY_TYPE_ID ?? p.entityTypeID;
  if (raw === undefined || raw === '') throw Errors.missingParam('entityTypeId');
  if (toInt(raw) !== 2) throw new RestError(400, 'NOT_FOUND', 'SPA not found');
}

function originalUfNames(p: Params): boolean {
  const v = p.useOriginalUfNames;
  return v === true || v === 1 || (typeof v === 'string' && ['y', '1', 'true'].includes(v.toLowerCase()));
}

function namesOf(ctx: CallContext, p: Params): ItemNames {
  return dealItemNames(ctx.portal.state, originalUfNames(p));
}

function lookupOf(names: ItemNames): (upper: string) => FieldDef | undefined {
  const byName = new Map(names.defs.map((d) => [d.name, d]));
  return (upper) => byName.get(upper);
}

/**
 * One filter level: AND of its conditions unless `logic` is OR; a nested object under a key
 * that is not a field (`"0": {...}`) is a group of its own (crm-item-list.md "filter").
 */
function compileItemFilter(filter: unknown, names: ItemNames, q: QueryContext): Pred {
  if (filter === undefined || filter === null || filter === '') return () => true;
  if (!isPhpArray(filter)) throw invalidArg("Invalid filter: expected an object");
  const lookup = lookupOf(names);
  const preds: Pred[] = [];
  let or = false;
  for (const [key, value] of Object.entries(filter as Record<string, unknown>)) {
    if (key.toLowerCase() === 'logic') {
      or = String(value).toUpperCase() === 'OR';
      continue;
    }
    const { field } = splitFilterKey(key);
    const upper = names.toUpper(field);
    if (upper === undefined) {
      if (isPlainObject(value)) {
        preds.push(compileItemFilter(value, names, q));
        continue;
      }
      throw invalidArg(`Invalid filter: field '${field}' is not allowed in filter`);
    }
    const prefix = key.slice(0, key.length - field.length);
    preds.push(compileFilter({ [prefix + upper]: value }, lookup, q));
  }
  if (preds.length === 0) return () => true;
  return or ? (rec) => preds.some((p) => p(rec)) : (rec) => preds.every((p) => p(rec));
}

function compileItemOrder(order: unknown, names: ItemNames, q: QueryContext): (a: Rec, b: Rec) => number {
  if (order !== undefined && order !== null && order !== '' && !isPhpArray(order)) throw invalidArg('Invalid order: expected an object');
  const upper: Record<string, 'ASC' | 'DESC'> = {};
  for (const [key, dir] of Object.entries(isPlainObject(order) ? order : {})) {
    const field = names.toUpper(key);
    if (field === undefined) throw invalidArg(`Invalid order: field '${key}' is not allowed in order`);
    const d = String(dir).toUpperCase();
    if (d !== 'ASC' && d !== 'DESC') throw invalidArg(`Invalid order: allowed sort directions are ASC, DESC. But got '${String(dir)}' for field '${key}'`);
    upper[field] = d;
  }
  return compileOrder(upper, lookupOf(names), q) as (a: Rec, b: Rec) => number;
}

function selectOf(p: Params): Set<string> | undefined {
  const select = p.select ?? p.SELECT;
  if (select === undefined || select === null || select === '') return undefined;
  const names = phpValues(select).map(String);
  return names.length ? new Set(names) : undefined;
}

function itemList(p: Params, ctx: CallContext): MethodOutput {
  checkEntityType(p);
  const state = ctx.portal.state;
  const names = namesOf(ctx, p);
  const q: QueryContext = { tzOffsetMinutes: ctx.portal.tz, getValue: itemFilterValue(state) };
  const pred = compileItemFilter(p.filter ?? p.FILTER, names, q);
  const rows = records(state, 'deal').filter(pred).sort(compileItemOrder(p.order ?? p.ORDER, names, q));
  const page = paginate(rows, p.start ?? p.START);
  const select = selectOf(p);
  return {
    result: { items: page.rows.map((r) => dealItemOut(state, names, r, ctx.portal.tz, select)) },
    total: page.total,
    next: page.next,
    rows: page.rows.length,
  };
}

function needItem(ctx: CallContext, p: Params): Rec {
  const raw = p.id ?? p.ID;
  if (raw === undefined || raw === '') throw Errors.missingParam('id');
  const deal = findRecord(ctx.portal.state, 'deal', toInt(raw));
  if (!deal) throw new RestError(400, 'NOT_FOUND', 'Element not found');
  return deal;
}

function itemGet(p: Params, ctx: CallContext): MethodOutput {
  checkEntityType(p);
  const deal = needItem(ctx, p);
  return { result: { item: dealItemOut(ctx.portal.state, namesOf(ctx, p), deal, ctx.portal.tz) } };
}

/** `fields` in item names → the deal's UPPER names; unknown fields are ignored (crm-item-update.md). */
function upperFields(fields: Record<string, unknown>, names: ItemNames): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(fields)) {
    const upper = names.toUpper(key);
    if (upper === undefined || upper === 'ID') continue;
    const def = names.defs.find((d) => d.name === upper);
    // "Expected iterable value for multiple field" (crm-item-update.md, error 100).
    if (def?.multiple && value !== null && value !== '' && !isPhpArray(value)) {
      throw new RestError(400, '100', `Expected iterable value for multiple field, but got ${typeof value} instead`);
    }
    out[upper] = value;
  }
  return out;
}

function itemUpdate(p: Params, ctx: CallContext): MethodOutput {
  checkEntityType(p);
  const deal = needItem(ctx, p);
  const fields = p.fields ?? p.FIELDS;
  if (fields === undefined || fields === '') throw Errors.missingParam('fields');
  if (!isPlainObject(fields)) throw new RestError(400, 'CRM_FIELD_ERROR_VALUE_NOT_VALID', 'Invalid value for field "fields"');
  const names = namesOf(ctx, p);
  const outcome = updateDealItem(ctx.portal, deal, upperFields(fields, names), ctx.origin);
  if (typeof outcome === 'object') throw new RestError(400, 'CRM_FIELD_ERROR_VALUE_NOT_VALID', `Invalid value for field "${outcome.field}"`);
  return { result: { item: dealItemOut(ctx.portal.state, names, deal, ctx.portal.tz) } };
}

export const itemMethods: MethodTable = {
  'crm.item.list': { scope: 'crm', run: itemList },
  'crm.item.get': { scope: 'crm', run: itemGet },
  'crm.item.update': { scope: 'crm', write: true, run: itemUpdate },
};
