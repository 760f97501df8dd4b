/**
 * Pipelines and directories: crm.category.list/get/add (universal/category/*.md, entityTypeId 2)
 * and crm.status.list/add (status/crm-status-list.md, crm-status-add.md): DEAL_STAGE for
 * pipeline 0, DEAL_STAGE_<id> for the others, STATUS for lead statuses, SEMANTICS "S"/"F"/null
 * and EXTRA.SEMANTICS process/success/failure/apology.
 */
import { stageEntityId } from '../crm/entities';
import { crmError, Errors, RestError } from '../errors';
import { assertArrayParam, compileFilter, compileOrder, type FieldDef } from '../query';
import { defaultStages } from '../seed';
import { nextId, type CategoryRec, type StatusRec } from '../store';
import { isPlainObject, param, toInt, type Params } from '../util';
import { lookupOf } from '../crm/fields';
import type { CallContext, MethodOutput, MethodTable } from './types';

const ENTITY_TYPE_NAMES: Record<number, string> = { 1: 'Lead', 3: 'Contact', 4: 'Company', 7: 'Quote', 31: 'SmartInvoice' };

function entityTypeId(p: Params): number {
  const raw = p.entityTypeId ?? p.ENTITY_TYPE_ID ?? p.entityTypeID;
  if (raw === undefined || raw === '') throw Errors.missingParam('entityTypeId');
  const id = toInt(raw);
  if (id === 2) return 2;
  if (ENTITY_TYPE_NAMES[id]) throw new RestError(400, 'ENTITY_TYPE_NOT_SUPPORTED', `Entity type \`${ENTITY_TYPE_NAMES[id]}\` is not supported`);
  throw new RestError(400, 'NOT_FOUND', 'Smart process not found');
}

function categoryOut(c: CategoryRec): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    sort: c.sort,
    entityTypeId: 2,
    isDefault: c.isDefault ? 'Y' : 'N',
    ...(c.isDefault ? {} : { originId: c.originId, originatorId: c.originatorId }),
  };
}

function categoryList(p: Params, ctx: CallContext): MethodOutput {
  entityTypeId(p);
  const list = [...ctx.portal.state.categories].sort((a, b) => a.sort - b.sort || a.id - b.id);
  return { result: { categories: list.map(categoryOut) }, total: list.length, rows: list.length };
}

function categoryGet(p: Params, ctx: CallContext): MethodOutput {
  entityTypeId(p);
  const id = toInt(p.id ?? p.ID);
  const c = ctx.portal.state.categories.find((x) => x.id === id);
  if (!c) throw new RestError(400, 'NOT_FOUND', 'Element not found');
  return { result: { category: categoryOut(c) } };
}

function categoryAdd(p: Params, ctx: CallContext): MethodOutput {
  entityTypeId(p);
  const fields = p.fields ?? p.FIELDS;
  if (!isPlainObject(fields)) throw Errors.missingParam('fields');
  const name = String(fields.name ?? fields.NAME ?? '').trim();
  if (!name) throw new RestError(400, '0', "Field 'NAME' is required");
  let sort = toInt(fields.sort ?? fields.SORT ?? 500);
  if (Number.isNaN(sort) || sort < 0) sort = 0;
  const state = ctx.portal.state;
  const id = nextId(state, 'category', 1);
  const c: CategoryRec = { id, name: name.slice(0, 255), sort, isDefault: false, originId: '', originatorId: '' };
  state.categories.push(c);
  defaultStages(state, id);
  return { result: { category: categoryOut(c) } };
}

// --- statuses ---------------------------------------------------------------------------------------

const STATUS_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'ENTITY_ID', type: 'string', title: 'ENTITY_ID' },
  { name: 'STATUS_ID', type: 'string', title: 'STATUS_ID' },
  { name: 'NAME', type: 'string', title: 'NAME' },
  { name: 'NAME_INIT', type: 'string', title: 'NAME_INIT' },
  { name: 'SORT', type: 'integer', title: 'SORT' },
  { name: 'SYSTEM', type: 'char', title: 'SYSTEM' },
  { name: 'CATEGORY_ID', type: 'integer', title: 'CATEGORY_ID' },
  { name: 'COLOR', type: 'string', title: 'COLOR' },
  { name: 'SEMANTICS', type: 'string', title: 'SEMANTICS' },
];

const hasExtra = (entity: string) => entity === 'STATUS' || entity === 'QUOTE_STATUS' || entity.startsWith('DEAL_STAGE');

function statusView(s: StatusRec): Record<string, unknown> {
  return { ...s, SYSTEM: s.SYSTEM ? 'Y' : 'N' };
}

function statusOut(s: StatusRec): Record<string, unknown> {
  return {
    ID: String(s.ID),
    ENTITY_ID: s.ENTITY_ID,
    STATUS_ID: s.STATUS_ID,
    NAME: s.NAME,
    NAME_INIT: s.NAME_INIT,
    SORT: String(s.SORT),
    SYSTEM: s.SYSTEM ? 'Y' : 'N',
    CATEGORY_ID: s.CATEGORY_ID === null ? null : String(s.CATEGORY_ID),
    COLOR: s.COLOR,
    SEMANTICS: s.SEMANTICS,
    ...(hasExtra(s.ENTITY_ID) ? { EXTRA: { SEMANTICS: s.EXTRA_SEMANTICS ?? (s.SEMANTICS === 'S' ? 'success' : s.SEMANTICS === 'F' ? 'failure' : 'process'), COLOR: s.COLOR } } : {}),
  };
}

function statusList(p: Params, ctx: CallContext): MethodOutput {
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  assertArrayParam(filter, 'filter');
  assertArrayParam(order, 'order');
  const lookup = lookupOf(STATUS_DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const pred = compileFilter(filter, lookup, q);
  const sorter = compileOrder(order, lookup, q, { ENTITY_ID: 'ASC', SORT: 'ASC' });
  const rows = ctx.portal.state.statuses.filter((s) => pred(statusView(s))).sort((a, b) => sorter(statusView(a), statusView(b)));
  return { result: rows.map(statusOut), total: rows.length, rows: rows.length };
}

const FIXED_DIRECTORIES = new Set(['STATUS', 'SOURCE', 'DEAL_TYPE', 'CONTACT_TYPE', 'COMPANY_TYPE', 'INDUSTRY', 'EMPLOYEES', 'HONORIFIC', 'DEAL_STAGE']);

function statusAdd(p: Params, ctx: CallContext): MethodOutput {
  const state = ctx.portal.state;
  const fields = param(p, 'fields');
  if (!isPlainObject(fields)) throw Errors.fieldsNotArray();
  const entity = String(fields.ENTITY_ID ?? '').trim();
  let statusId = String(fields.STATUS_ID ?? '').trim();
  const missing: string[] = [];
  if (!entity) missing.push('The field ENTITY_ID is required.');
  if (!statusId) missing.push('The field STATUS_ID is required.');
  if (missing.length) throw crmError(missing.join('<br>'));
  const stageCat = /^DEAL_STAGE_(\d+)$/.exec(entity);
  const known = FIXED_DIRECTORIES.has(entity) || (stageCat && state.categories.some((c) => c.id === Number(stageCat[1])));
  if (!known) throw crmError('Specified entity type is not supported.');
  const name = String(fields.NAME ?? '').trim();
  if (!name) throw crmError('The field Title is required.');
  const categoryId = stageCat ? Number(stageCat[1]) : entity === 'DEAL_STAGE' ? 0 : null;
  if (categoryId !== null && categoryId > 0 && !statusId.startsWith(`C${categoryId}:`)) statusId = `C${categoryId}:${statusId}`;
  const isStageDir = categoryId !== null || entity === 'STATUS';
  if (isStageDir) {
    const code = categoryId ? statusId.slice(`C${categoryId}:`.length) : statusId;
    const max = entity === 'STATUS' ? 21 : 22;
    if (!/^[A-Za-z0-9_-]+$/.test(code) || code.length > max) throw crmError('Error on creating status.');
  }
  if (state.statuses.some((s) => s.ENTITY_ID === entity && s.STATUS_ID === statusId)) {
    throw new RestError(400, 'ERROR_CORE', 'The specified status ID already exists.');
  }
  const semRaw = String(fields.SEMANTICS ?? '').toUpperCase();
  const semantics: 'S' | 'F' | null = semRaw === 'S' ? 'S' : semRaw === 'F' ? 'F' : null;
  const sort = fields.SORT !== undefined ? toInt(fields.SORT) : 10;
  if (categoryId !== null && semantics !== 'F') {
    const won = state.statuses.find((s) => s.ENTITY_ID === stageEntityId(categoryId) && s.SEMANTICS === 'S');
    if (won && sort > won.SORT) {
      throw crmError('Cannot create more stages after the final stage because the final successful stage already exists. Try using sort order values less than that of the final stage.');
    }
  }
  const rec: StatusRec = {
    ID: nextId(state, 'status'),
    ENTITY_ID: entity,
    STATUS_ID: statusId,
    NAME: name,
    NAME_INIT: '',
    SORT: Number.isNaN(sort) ? 10 : sort,
    SYSTEM: false,
    CATEGORY_ID: stageCat ? Number(stageCat[1]) : null,
    COLOR: fields.COLOR !== undefined ? String(fields.COLOR) : semantics === 'F' ? '#FF5752' : semantics === 'S' ? '#7BD500' : '#ACE9FB',
    SEMANTICS: semantics,
    EXTRA_SEMANTICS: semantics === 'S' ? 'success' : semantics === 'F' ? 'apology' : 'process',
  };
  state.statuses.push(rec);
  return { result: rec.ID };
}

export const directoryMethods: MethodTable = {
  'crm.category.list': { scope: 'crm', run: categoryList },
  'crm.category.get': { scope: 'crm', run: categoryGet },
  'crm.category.add': { scope: 'crm', write: true, run: categoryAdd },
  'crm.status.list': { scope: 'crm', run: statusList },
  'crm.status.add': { scope: 'crm', write: true, run: statusAdd },
};
