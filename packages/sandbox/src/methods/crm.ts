/**
 * crm.deal.*, crm.lead.*, crm.company.*, crm.contact.* (get, list, add, update, delete, fields,
 * userfield.list/add), crm.deal.productrows.get/set, crm.deal.contact.items.get/set.
 * Pages: api-reference/crm/deals/*.md, leads/*.md, companies/*.md, contacts/*.md.
 */
import { addClient, addDeal, addLead, deleteClient, deleteDeal, deleteLead, findRecord, records, setDealContacts, updateClient, updateDeal, updateLead } from '../crm/entities';
import { describeFields, fieldDefs, KINDS, lookupOf, recordOut, UF_TYPES, type CrmKind } from '../crm/fields';
import { crmError, Errors, RestError } from '../errors';
import { assertArrayParam, compileFilter, compileOrder, paginate, resolveSelect, type FieldDef } from '../query';
import { nextId, randomHex, type ContactBinding, type ProductRowRec, type Rec, type UserFieldRec } from '../store';
import { isPhpArray, isPlainObject, param, phpValues, toInt, toNumber, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

function idParam(p: Params): number {
  const id = toInt(param(p, 'id'));
  if (!(id > 0)) throw Errors.idInvalid();
  return id;
}

function need(ctx: CallContext, kind: CrmKind, id: number): Rec {
  const rec = findRecord(ctx.portal.state, kind, id);
  if (!rec) throw Errors.notFound();
  return rec;
}

function checkParamsParam(p: Params): void {
  const extra = param(p, 'params');
  if (extra !== undefined && extra !== null && extra !== '' && !isPhpArray(extra)) throw Errors.paramsNotArray();
}

/** The values filter/order see: multi-fields (PHONE, EMAIL) compare by their VALUEs. */
const valueOf = (rec: Record<string, unknown>, def: FieldDef): unknown =>
  def.type === 'crm_multifield' && Array.isArray(rec[def.name]) ? (rec[def.name] as Array<{ VALUE: string }>).map((m) => m.VALUE) : rec[def.name];

export function listRecords(ctx: CallContext, kind: CrmKind, p: Params): MethodOutput {
  const state = ctx.portal.state;
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  const select = param(p, 'select');
  assertArrayParam(filter, 'filter');
  assertArrayParam(order, 'order');
  const defs = fieldDefs(state, kind);
  const lookup = lookupOf(defs.filter((d) => !d.notListable));
  const q = { tzOffsetMinutes: ctx.portal.tz, getValue: valueOf };
  const pred = compileFilter(filter, lookup, q);
  const rows = records(state, kind).filter(pred).sort(compileOrder(order, lookup, q));
  const page = paginate(rows, p.start ?? p.START);
  const names = resolveSelect(select, defs, ['*', 'UF_*']);
  return {
    result: page.rows.map((r) => recordOut(defs, r, ctx.portal.tz, names)),
    total: page.total,
    next: page.next,
    rows: page.rows.length,
  };
}

function getRecord(ctx: CallContext, kind: CrmKind, p: Params): MethodOutput {
  const rec = need(ctx, kind, idParam(p));
  const defs = fieldDefs(ctx.portal.state, kind);
  const out = recordOut(defs, rec, ctx.portal.tz);
  // Multi-fields (PHONE, EMAIL, ...) appear in get only when they hold values.
  for (const d of defs) if (d.type === 'crm_multifield' && Array.isArray(out[d.name]) && (out[d.name] as unknown[]).length === 0) delete out[d.name];
  return { result: out };
}

// --- product rows (crm-deal-productrows-get.md / -set.md) --------------------------------------------

function rowOut(r: ProductRowRec): Record<string, unknown> {
  const rate = r.DISCOUNT_TYPE_ID === 2 ? r.DISCOUNT_RATE : 0;
  const netto = r.DISCOUNT_TYPE_ID === 2 ? (rate < 100 ? r.PRICE / (1 - rate / 100) : r.PRICE + r.DISCOUNT_SUM) : r.PRICE + r.DISCOUNT_SUM;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    ID: String(r.ID),
    OWNER_ID: String(r.OWNER_ID),
    OWNER_TYPE: r.OWNER_TYPE,
    PRODUCT_ID: r.PRODUCT_ID,
    PRODUCT_NAME: r.PRODUCT_NAME,
    ORIGINAL_PRODUCT_NAME: r.PRODUCT_NAME,
    PRODUCT_DESCRIPTION: null,
    PRICE: r.PRICE,
    PRICE_EXCLUSIVE: r.PRICE,
    PRICE_NETTO: round(netto),
    PRICE_BRUTTO: round(netto),
    PRICE_ACCOUNT: r.PRICE.toFixed(2),
    QUANTITY: r.QUANTITY,
    DISCOUNT_TYPE_ID: r.DISCOUNT_TYPE_ID,
    DISCOUNT_RATE: r.DISCOUNT_TYPE_ID === 2 ? r.DISCOUNT_RATE : round(netto ? ((netto - r.PRICE) / netto) * 100 : 0),
    DISCOUNT_SUM: round(netto - r.PRICE),
    TAX_RATE: r.TAX_RATE,
    TAX_INCLUDED: r.TAX_INCLUDED,
    CUSTOMIZED: 'Y',
    MEASURE_CODE: r.MEASURE_CODE,
    MEASURE_NAME: r.MEASURE_NAME,
    SORT: r.SORT,
    XML_ID: null,
    TYPE: 1,
    STORE_ID: 0,
    RESERVE_ID: null,
    DATE_RESERVE_END: null,
    RESERVE_QUANTITY: 0,
  };
}

function coreError(text: string): RestError {
  return new RestError(400, 'ERROR_CORE', `${text}<br>`);
}

function productRowsGet(p: Params, ctx: CallContext): MethodOutput {
  const id = toInt(param(p, 'id'));
  if (!(id > 0)) throw crmError('The parameter id is invalid or not defined.');
  need(ctx, 'deal', id);
  const rows = ctx.portal.state.productRows.filter((r) => r.OWNER_TYPE === 'D' && r.OWNER_ID === id).sort((a, b) => a.SORT - b.SORT || a.ID - b.ID);
  return { result: rows.map(rowOut), rows: rows.length };
}

function productRowsSet(p: Params, ctx: CallContext): MethodOutput {
  const state = ctx.portal.state;
  const id = toInt(param(p, 'id'));
  if (!(id > 0)) throw crmError('The parameter id is invalid or not defined.');
  const deal = need(ctx, 'deal', id);
  const input = param(p, 'rows');
  if (input !== undefined && input !== '' && !isPhpArray(input)) throw crmError('The parameter rows must be array.');
  const built: ProductRowRec[] = [];
  for (const [i, raw] of phpValues(input ?? []).entries()) {
    if (!isPlainObject(raw)) throw crmError('The parameter rows must be array.');
    const productId = toInt(raw.PRODUCT_ID ?? 0) || 0;
    const product = productId > 0 ? state.products.find((x) => x.ID === productId) : undefined;
    const typeGiven = raw.DISCOUNT_TYPE_ID !== undefined;
    const type = typeGiven ? toInt(raw.DISCOUNT_TYPE_ID) : 2;
    const rateGiven = raw.DISCOUNT_RATE !== undefined;
    const sumGiven = raw.DISCOUNT_SUM !== undefined;
    const rate = rateGiven ? toNumber(raw.DISCOUNT_RATE) : 0;
    if (typeGiven && type === 2 && !rateGiven) throw coreError('Discount Rate (DISCOUNT_RATE) is required if Percentage Discount Type (DISCOUNT_TYPE_ID) is defined');
    if (typeGiven && type === 2 && rate === 100 && !sumGiven) throw coreError('Discount Sum (DISCOUNT_SUM) is required if Percentage Discount Type (DISCOUNT_TYPE_ID) is defined and Discount Rate (DISCOUNT_RATE) is 100%');
    if (typeGiven && type === 1 && !sumGiven) throw coreError('Discount Sum (DISCOUNT_SUM) is required if Monetary Discount Type (DISCOUNT_TYPE_ID) is defined');
    const rowId = nextId(state, 'productRow');
    const name = product ? String(product.NAME) : raw.PRODUCT_NAME !== undefined && raw.PRODUCT_NAME !== '' ? String(raw.PRODUCT_NAME) : `[${rowId}]`;
    const num = (v: unknown, d: number) => (v === undefined || v === '' || Number.isNaN(toNumber(v)) ? d : toNumber(v));
    built.push({
      ID: rowId,
      OWNER_ID: id,
      OWNER_TYPE: 'D',
      PRODUCT_ID: productId,
      PRODUCT_NAME: name,
      PRICE: num(raw.PRICE, 0),
      QUANTITY: num(raw.QUANTITY, 1),
      DISCOUNT_TYPE_ID: type === 1 ? 1 : 2,
      DISCOUNT_RATE: rate,
      DISCOUNT_SUM: num(raw.DISCOUNT_SUM, 0),
      TAX_RATE: raw.TAX_RATE === undefined || raw.TAX_RATE === '' ? null : toNumber(raw.TAX_RATE),
      TAX_INCLUDED: String(raw.TAX_INCLUDED ?? 'N').toUpperCase() === 'Y' ? 'Y' : 'N',
      MEASURE_CODE: num(raw.MEASURE_CODE, product ? Number(product.MEASURE) : 0),
      MEASURE_NAME: raw.MEASURE_NAME !== undefined ? String(raw.MEASURE_NAME) : product ? (Number(product.MEASURE) === 715 ? 'пар' : 'шт') : '',
      SORT: num(raw.SORT, 0) || (i + 1) * 10,
    });
  }
  state.productRows = state.productRows.filter((r) => !(r.OWNER_TYPE === 'D' && r.OWNER_ID === id)).concat(built);
  // Without a manual amount the deal's OPPORTUNITY is the sum of its rows — a deal change.
  if (deal.IS_MANUAL_OPPORTUNITY !== 'Y') {
    const sum = Math.round(built.reduce((s, r) => s + r.PRICE * r.QUANTITY, 0) * 100) / 100;
    if (sum !== deal.OPPORTUNITY) updateDeal(ctx.portal, deal, { OPPORTUNITY: sum }, ctx.origin);
  }
  return { result: true };
}

// --- contact bindings (crm-deal-contact-items-get.md / -set.md) ----------------------------------------

function contactItemsGet(p: Params, ctx: CallContext): MethodOutput {
  const id = toInt(param(p, 'id'));
  if (!(id > 0)) throw crmError('The parameter ownerEntityID is invalid or not defined.');
  if (!findRecord(ctx.portal.state, 'deal', id)) throw Errors.notFound('Not found.');
  const list = ctx.portal.state.dealContacts[String(id)] ?? [];
  return { result: list.map((b) => ({ CONTACT_ID: b.CONTACT_ID, SORT: b.SORT, ROLE_ID: b.ROLE_ID, IS_PRIMARY: b.IS_PRIMARY })) };
}

function contactItemsSet(p: Params, ctx: CallContext): MethodOutput {
  const id = toInt(param(p, 'id'));
  if (!(id > 0)) throw crmError('The parameter ownerEntityID is invalid or not defined.');
  const items = param(p, 'items');
  if (!isPhpArray(items)) throw crmError('The parameter items must be array.');
  const deal = findRecord(ctx.portal.state, 'deal', id);
  if (!deal) throw Errors.notFound('Not found.');
  const bindings: ContactBinding[] = [];
  for (const [i, raw] of phpValues(items).entries()) {
    const contactId = isPlainObject(raw) ? toInt(raw.CONTACT_ID) : NaN;
    if (!(contactId > 0)) throw crmError('The parameter CONTACT_ID is invalid or not defined.');
    const sort = isPlainObject(raw) && raw.SORT !== undefined ? toInt(raw.SORT) : (i + 1) * 10;
    const primary = isPlainObject(raw) && String(raw.IS_PRIMARY ?? 'N').toUpperCase() === 'Y';
    bindings.push({ CONTACT_ID: contactId, SORT: sort, ROLE_ID: 0, IS_PRIMARY: primary ? 'Y' : 'N' });
  }
  // One primary: the first marked one, else the first binding.
  const firstPrimary = bindings.findIndex((b) => b.IS_PRIMARY === 'Y');
  bindings.forEach((b, i) => (b.IS_PRIMARY = i === (firstPrimary >= 0 ? firstPrimary : 0) ? 'Y' : 'N'));
  setDealContacts(ctx.portal.state, deal, bindings);
  updateDeal(ctx.portal, deal, {}, ctx.origin);
  return { result: true };
}

// --- user fields (crm-deal-userfield-add.md / -list.md) ------------------------------------------------

function ufOut(u: UserFieldRec): Record<string, unknown> {
  return {
    ID: String(u.ID),
    ENTITY_ID: u.ENTITY_ID,
    FIELD_NAME: u.FIELD_NAME,
    USER_TYPE_ID: u.USER_TYPE_ID,
    XML_ID: u.XML_ID,
    SORT: String(u.SORT),
    MULTIPLE: u.MULTIPLE,
    MANDATORY: u.MANDATORY,
    SHOW_FILTER: u.SHOW_FILTER,
    SHOW_IN_LIST: u.SHOW_IN_LIST,
    EDIT_IN_LIST: u.EDIT_IN_LIST,
    IS_SEARCHABLE: u.IS_SEARCHABLE,
    SETTINGS: u.SETTINGS,
    EDIT_FORM_LABEL: u.EDIT_FORM_LABEL,
    LIST_COLUMN_LABEL: u.LIST_COLUMN_LABEL,
    LIST_FILTER_LABEL: u.LIST_FILTER_LABEL,
    ERROR_MESSAGE: u.ERROR_MESSAGE,
    HELP_MESSAGE: u.HELP_MESSAGE,
    ...(u.LIST ? { LIST: u.LIST.map((i) => ({ ID: String(i.ID), SORT: String(i.SORT), VALUE: i.VALUE, DEF: i.DEF, XML_ID: i.XML_ID })) } : {}),
  };
}

const UF_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'FIELD_NAME', type: 'string', title: 'FIELD_NAME' },
  { name: 'USER_TYPE_ID', type: 'string', title: 'USER_TYPE_ID' },
  { name: 'XML_ID', type: 'string', title: 'XML_ID' },
  { name: 'SORT', type: 'integer', title: 'SORT' },
  { name: 'MULTIPLE', type: 'char', title: 'MULTIPLE' },
  { name: 'MANDATORY', type: 'char', title: 'MANDATORY' },
];

function userFieldList(kind: CrmKind, p: Params, ctx: CallContext): MethodOutput {
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  assertArrayParam(filter, 'filter');
  assertArrayParam(order, 'order');
  const lookup = lookupOf(UF_DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const pred = compileFilter(filter, lookup, q);
  const rows = ctx.portal.state.userFields
    .filter((u) => u.ENTITY_ID === KINDS[kind].ufEntity)
    .filter((u) => pred(u as unknown as Record<string, unknown>))
    .sort((a, b) => compileOrder(order, lookup, q, { SORT: 'ASC', ID: 'ASC' })(a as unknown as Rec, b as unknown as Rec));
  return { result: rows.map(ufOut), total: rows.length, rows: rows.length };
}

function label(v: unknown, fallback: string | null): string | null {
  if (typeof v === 'string') return v;
  if (isPlainObject(v)) return String(v.ru ?? v.en ?? Object.values(v)[0] ?? fallback ?? '');
  return fallback;
}

function userFieldAdd(kind: CrmKind, p: Params, ctx: CallContext): MethodOutput {
  const state = ctx.portal.state;
  const fields = param(p, 'fields');
  if (!isPlainObject(fields)) throw Errors.fieldsNotArray();
  const rawName = String(fields.FIELD_NAME ?? '').trim();
  const rawType = String(fields.USER_TYPE_ID ?? '').trim();
  const missing: string[] = [];
  if (!rawName) missing.push("The 'FIELD_NAME' field is not found.");
  if (!rawType) missing.push("The 'USER_TYPE_ID' field is not found.");
  if (missing.length) throw crmError(missing.join(' '));
  let name = rawName.toUpperCase();
  if (!name.startsWith('UF_CRM_')) name = name.startsWith('UF_') ? `UF_CRM_${name.slice(3)}` : `UF_CRM_${name}`;
  if (name.length > 50) throw new RestError(400, 'ERROR_CORE', 'Field name is too long (more than 50 characters).');
  if (!/^[A-Z0-9_]+$/.test(name)) throw new RestError(400, 'ERROR_CORE', 'Field name contains invalid characters. Allowed characters are: A-Z, 0-9 and _.');
  if (!UF_TYPES.has(rawType)) throw new RestError(400, 'ERROR_CORE', 'Incorrect custom type specified.');
  if (state.userFields.some((u) => u.ENTITY_ID === KINDS[kind].ufEntity && u.FIELD_NAME === name)) {
    throw new RestError(400, 'ERROR_CORE', `A field with the code ${name} already exists.`);
  }
  const yn = (v: unknown, d: 'Y' | 'N'): 'Y' | 'N' => (v === undefined ? d : String(v).toUpperCase() === 'Y' || v === true || v === 1 ? 'Y' : 'N');
  const lbl = label(fields.LABEL, null);
  let list: UserFieldRec['LIST'];
  if (rawType === 'enumeration') {
    list = [];
    const seen = new Set<string>();
    for (const item of phpValues(fields.LIST ?? [])) {
      if (!isPlainObject(item) || item.VALUE === undefined || item.VALUE === '') continue;
      const xml = item.XML_ID !== undefined ? String(item.XML_ID) : randomHex(16);
      if (seen.has(xml)) throw new RestError(400, 'ERROR_CORE', `List item with value XML_ID=${xml} already exists.`);
      seen.add(xml);
      list.push({ ID: nextId(state, 'ufEnum', 1001), SORT: toInt(item.SORT ?? 0) || 0, VALUE: String(item.VALUE), DEF: yn(item.DEF, 'N'), XML_ID: xml });
    }
  }
  const sort = toInt(fields.SORT ?? 100);
  const rec: UserFieldRec = {
    ID: nextId(state, 'userField', 5001),
    ENTITY_ID: KINDS[kind].ufEntity,
    FIELD_NAME: name,
    USER_TYPE_ID: rawType,
    XML_ID: fields.XML_ID !== undefined ? String(fields.XML_ID) : null,
    SORT: sort > 0 ? sort : 100,
    MULTIPLE: rawType === 'boolean' ? 'N' : yn(fields.MULTIPLE, 'N'),
    MANDATORY: yn(fields.MANDATORY, 'N'),
    SHOW_FILTER: yn(fields.SHOW_FILTER, 'N') === 'Y' ? 'E' : 'N',
    SHOW_IN_LIST: yn(fields.SHOW_IN_LIST, 'N'),
    EDIT_IN_LIST: yn(fields.EDIT_IN_LIST, 'Y'),
    IS_SEARCHABLE: yn(fields.IS_SEARCHABLE, 'N'),
    SETTINGS: isPlainObject(fields.SETTINGS) ? fields.SETTINGS : {},
    EDIT_FORM_LABEL: label(fields.EDIT_FORM_LABEL, lbl),
    LIST_COLUMN_LABEL: label(fields.LIST_COLUMN_LABEL, lbl),
    LIST_FILTER_LABEL: label(fields.LIST_FILTER_LABEL, lbl),
    ERROR_MESSAGE: label(fields.ERROR_MESSAGE, lbl),
    HELP_MESSAGE: label(fields.HELP_MESSAGE, lbl),
    ...(list ? { LIST: list } : {}),
  };
  state.userFields.push(rec);
  // Existing records get the empty value of the new field.
  for (const r of records(state, kind)) if (r[name] === undefined) r[name] = rec.MULTIPLE === 'Y' ? [] : null;
  return { result: rec.ID };
}

// --- table -------------------------------------------------------------------------------------------

function entityMethods(kind: CrmKind): MethodTable {
  const k = kind;
  const add = (p: Params, ctx: CallContext): MethodOutput => {
    checkParamsParam(p);
    const fields = param(p, 'fields');
    const id =
      k === 'deal' ? addDeal(ctx.portal, fields, ctx.origin)
      : k === 'lead' ? addLead(ctx.portal, fields, ctx.origin)
      : addClient(ctx.portal, k, fields, ctx.origin);
    return { result: id };
  };
  const update = (p: Params, ctx: CallContext): MethodOutput => {
    const rec = need(ctx, k, idParam(p));
    checkParamsParam(p);
    const fields = param(p, 'fields');
    if (k === 'deal') updateDeal(ctx.portal, rec, fields, ctx.origin);
    else if (k === 'lead') updateLead(ctx.portal, rec, fields, ctx.origin);
    else updateClient(ctx.portal, k, rec, fields, ctx.origin);
    return { result: true };
  };
  const del = (p: Params, ctx: CallContext): MethodOutput => {
    const rec = need(ctx, k, idParam(p));
    if (k === 'deal') deleteDeal(ctx.portal, rec, ctx.origin);
    else if (k === 'lead') deleteLead(ctx.portal, rec, ctx.origin);
    else deleteClient(ctx.portal, k, rec, ctx.origin);
    return { result: true };
  };
  return {
    [`crm.${k}.get`]: { scope: 'crm', run: (p, ctx) => getRecord(ctx, k, p) },
    [`crm.${k}.list`]: { scope: 'crm', run: (p, ctx) => listRecords(ctx, k, p) },
    [`crm.${k}.add`]: { scope: 'crm', write: true, run: add },
    [`crm.${k}.update`]: { scope: 'crm', write: true, run: update },
    [`crm.${k}.delete`]: { scope: 'crm', write: true, run: del },
    [`crm.${k}.fields`]: { scope: 'crm', run: (_p, ctx) => ({ result: describeFields(ctx.portal.state, k) }) },
    [`crm.${k}.userfield.list`]: { scope: 'crm', run: (p, ctx) => userFieldList(k, p, ctx) },
    [`crm.${k}.userfield.add`]: { scope: 'crm', write: true, run: (p, ctx) => userFieldAdd(k, p, ctx) },
  };
}

export const crmMethods: MethodTable = {
  ...entityMethods('deal'),
  ...entityMethods('lead'),
  ...entityMethods('company'),
  ...entityMethods('contact'),
  'crm.deal.productrows.get': { scope: 'crm', run: productRowsGet },
  'crm.deal.productrows.set': { scope: 'crm', write: true, run: productRowsSet },
  'crm.deal.contact.items.get': { scope: 'crm', run: contactItemsGet },
  'crm.deal.contact.items.set': { scope: 'crm', write: true, run: contactItemsSet },
};
