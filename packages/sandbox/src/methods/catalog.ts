/**
 * The product catalogue through the crm.* product methods (crm/outdated/products/*.md,
 * product-section/*.md): crm.product.get/list (SECTION_ID; properties as PROPERTY_<id> =
 * {valueId, value}, in lists only when selected with PROPERTY_* or by name),
 * crm.productsection.list, crm.product.property.list.
 */
import { Errors } from '../errors';
import { lookupOf } from '../crm/fields';
import { assertArrayParam, compileFilter, compileOrder, paginate, resolveSelect, type FieldDef } from '../query';
import type { PortalState, Rec } from '../store';
import { formatDateTime, param, phpValues, toInt, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

const PRODUCT_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'NAME', type: 'string', title: 'Name' },
  { name: 'ACTIVE', type: 'char', title: 'Active' },
  { name: 'CATALOG_ID', type: 'integer', title: 'Catalog' },
  { name: 'SECTION_ID', type: 'integer', title: 'Section' },
  { name: 'PRICE', type: 'double', title: 'Price', money: true },
  { name: 'CURRENCY_ID', type: 'crm_currency', title: 'Currency' },
  { name: 'MEASURE', type: 'integer', title: 'Unit of measure' },
  { name: 'DESCRIPTION', type: 'string', title: 'Description' },
  { name: 'DESCRIPTION_TYPE', type: 'string', title: 'Description type' },
  { name: 'SORT', type: 'integer', title: 'Sort' },
  { name: 'XML_ID', type: 'string', title: 'External ID' },
  { name: 'VAT_ID', type: 'integer', title: 'VAT rate' },
  { name: 'VAT_INCLUDED', type: 'char', title: 'VAT included' },
  { name: 'DATE_CREATE', type: 'datetime', title: 'Created on' },
  { name: 'TIMESTAMP_X', type: 'datetime', title: 'Modified on' },
  { name: 'CREATED_BY', type: 'user', title: 'Created by' },
  { name: 'MODIFIED_BY', type: 'user', title: 'Modified by' },
];

const SECTION_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'CATALOG_ID', type: 'integer', title: 'Catalog' },
  { name: 'SECTION_ID', type: 'integer', title: 'Parent section' },
  { name: 'NAME', type: 'string', title: 'Name' },
  { name: 'XML_ID', type: 'string', title: 'External ID' },
  { name: 'CODE', type: 'string', title: 'Code' },
];

const PROPERTY_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'IBLOCK_ID', type: 'integer', title: 'IBLOCK_ID' },
  { name: 'NAME', type: 'string', title: 'NAME' },
  { name: 'ACTIVE', type: 'char', title: 'ACTIVE' },
  { name: 'SORT', type: 'integer', title: 'SORT' },
  { name: 'CODE', type: 'string', title: 'CODE' },
  { name: 'PROPERTY_TYPE', type: 'string', title: 'PROPERTY_TYPE' },
  { name: 'MULTIPLE', type: 'char', title: 'MULTIPLE' },
  { name: 'XML_ID', type: 'string', title: 'XML_ID' },
];

function propertyDefs(state: PortalState): FieldDef[] {
  return state.productProperties.map((p) => ({ name: `PROPERTY_${String(p.ID)}`, type: p.PROPERTY_TYPE === 'N' ? 'double' : 'string', title: String(p.NAME), dynamic: true }) as FieldDef);
}

function scalar(def: FieldDef, v: unknown, tz: number): unknown {
  if (v === null || v === undefined) return null;
  if (def.type === 'datetime') return formatDateTime(Number(v), tz);
  if (def.type === 'double' && def.money) return Number(v).toFixed(2);
  return String(v);
}

function productOut(state: PortalState, rec: Rec, tz: number, names: string[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of PRODUCT_DEFS) if (!names || names.includes(d.name)) out[d.name] = scalar(d, rec[d.name], tz);
  for (const d of propertyDefs(state)) if (!names || names.includes(d.name)) out[d.name] = rec[d.name] ?? null;
  return out;
}

/** Property values compare by their `value`. */
const valueOf = (rec: Record<string, unknown>, def: FieldDef): unknown => {
  const v = rec[def.name];
  return def.dynamic && v && typeof v === 'object' ? (v as { value: unknown }).value : v;
};

function productGet(p: Params, ctx: CallContext): MethodOutput {
  const id = toInt(param(p, 'id'));
  if (!(id > 0)) throw Errors.idInvalid();
  const rec = ctx.portal.state.products.find((x) => x.ID === id);
  if (!rec) throw Errors.notFound();
  return { result: productOut(ctx.portal.state, rec, ctx.portal.tz, null) };
}

function productList(p: Params, ctx: CallContext): MethodOutput {
  const state = ctx.portal.state;
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  assertArrayParam(filter, 'filter');
  assertArrayParam(order, 'order');
  const defs = [...PRODUCT_DEFS, ...propertyDefs(state)];
  const lookup = lookupOf(defs);
  const q = { tzOffsetMinutes: ctx.portal.tz, getValue: valueOf };
  const rows = state.products.filter(compileFilter(filter, lookup, q)).sort(compileOrder(order, lookup, q));
  const page = paginate(rows, p.start ?? p.START);
  const wanted = phpValues(param(p, 'select')).map(String);
  const names = resolveSelect(wanted.map((w) => (w === 'PROPERTY_*' ? 'UF_*' : w)), defs, ['*']);
  return { result: page.rows.map((r) => productOut(state, r, ctx.portal.tz, names)), total: page.total, next: page.next, rows: page.rows.length };
}

function simpleList(rows: Rec[], defs: FieldDef[], p: Params, ctx: CallContext, out: (r: Rec) => Record<string, unknown>): MethodOutput {
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  assertArrayParam(filter, 'filter');
  assertArrayParam(order, 'order');
  const lookup = lookupOf(defs);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const list = rows.filter(compileFilter(filter, lookup, q)).sort(compileOrder(order, lookup, q));
  const page = paginate(list, p.start ?? p.START);
  const names = resolveSelect(param(p, 'select'), defs, ['*']);
  return {
    result: page.rows.map((r) => Object.fromEntries(Object.entries(out(r)).filter(([k]) => names.includes(k) || !defs.some((d) => d.name === k)))),
    total: page.total,
    next: page.next,
    rows: page.rows.length,
  };
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export const catalogMethods: MethodTable = {
  'crm.product.get': { scope: 'crm', run: productGet },
  'crm.product.list': { scope: 'crm', run: productList },
  'crm.productsection.list': {
    scope: 'crm',
    run: (p, ctx) =>
      simpleList(ctx.portal.state.productSections, SECTION_DEFS, p, ctx, (r) => ({
        ID: str(r.ID), CATALOG_ID: str(r.CATALOG_ID), SECTION_ID: str(r.SECTION_ID), NAME: r.NAME, XML_ID: str(r.XML_ID), CODE: str(r.CODE),
      })),
  },
  'crm.product.property.list': {
    scope: 'crm',
    run: (p, ctx) =>
      simpleList(ctx.portal.state.productProperties, PROPERTY_DEFS, p, ctx, (r) => ({
        ID: str(r.ID), IBLOCK_ID: str(r.IBLOCK_ID), NAME: r.NAME, ACTIVE: r.ACTIVE, SORT: str(r.SORT), DEFAULT_VALUE: r.DEFAULT_VALUE,
        PROPERTY_TYPE: r.PROPERTY_TYPE, ROW_COUNT: str(r.ROW_COUNT), COL_COUNT: str(r.COL_COUNT), MULTIPLE: r.MULTIPLE, XML_ID: r.XML_ID,
        IS_REQUIRED: r.IS_REQUIRED, USER_TYPE: r.USER_TYPE, CODE: r.CODE,
      })),
  },
};
