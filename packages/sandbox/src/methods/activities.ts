/**
 * Timeline: crm.activity.todo.add (timeline/activities/todo/crm-activity-todo-add.md → {id}),
 * crm.activity.list / get (activity-base/*.md), crm.timeline.comment.add and .list
 * (comments/*.md; only the lower-case `fields` key is accepted; list needs ENTITY_ID and
 * ENTITY_TYPE in its filter, pages of 50, order by ID, CREATED or AUTHOR_ID only).
 */
import { findRecord } from '../crm/entities';
import { KIND_BY_OWNER_TYPE, KINDS, lookupOf, recordOut, type CrmKind } from '../crm/fields';
import { Errors, RestError } from '../errors';
import { assertArrayParam, compileFilter, compileOrder, paginate, resolveSelect, type FieldDef } from '../query';
import { nextId, type Rec } from '../store';
import { formatDateTime, isPlainObject, param, parseDateInput, phpValues, toInt, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

const ACTIVITY_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'OWNER_ID', type: 'integer', title: 'OWNER_ID' },
  { name: 'OWNER_TYPE_ID', type: 'integer', title: 'OWNER_TYPE_ID' },
  { name: 'TYPE_ID', type: 'integer', title: 'TYPE_ID' },
  { name: 'PROVIDER_ID', type: 'string', title: 'PROVIDER_ID' },
  { name: 'PROVIDER_TYPE_ID', type: 'string', title: 'PROVIDER_TYPE_ID' },
  { name: 'PROVIDER_GROUP_ID', type: 'string', title: 'PROVIDER_GROUP_ID' },
  { name: 'ASSOCIATED_ENTITY_ID', type: 'integer', title: 'ASSOCIATED_ENTITY_ID' },
  { name: 'SUBJECT', type: 'string', title: 'SUBJECT' },
  { name: 'CREATED', type: 'datetime', title: 'CREATED' },
  { name: 'LAST_UPDATED', type: 'datetime', title: 'LAST_UPDATED' },
  { name: 'START_TIME', type: 'datetime', title: 'START_TIME' },
  { name: 'END_TIME', type: 'datetime', title: 'END_TIME' },
  { name: 'DEADLINE', type: 'datetime', title: 'DEADLINE' },
  { name: 'COMPLETED', type: 'char', title: 'COMPLETED' },
  { name: 'STATUS', type: 'integer', title: 'STATUS' },
  { name: 'RESPONSIBLE_ID', type: 'user', title: 'RESPONSIBLE_ID' },
  { name: 'PRIORITY', type: 'integer', title: 'PRIORITY' },
  { name: 'NOTIFY_TYPE', type: 'integer', title: 'NOTIFY_TYPE' },
  { name: 'NOTIFY_VALUE', type: 'integer', title: 'NOTIFY_VALUE' },
  { name: 'DESCRIPTION', type: 'string', title: 'DESCRIPTION' },
  { name: 'DESCRIPTION_TYPE', type: 'integer', title: 'DESCRIPTION_TYPE' },
  { name: 'DIRECTION', type: 'integer', title: 'DIRECTION' },
  { name: 'LOCATION', type: 'string', title: 'LOCATION' },
  { name: 'ORIGINATOR_ID', type: 'string', title: 'ORIGINATOR_ID' },
  { name: 'ORIGIN_ID', type: 'string', title: 'ORIGIN_ID' },
  { name: 'AUTHOR_ID', type: 'user', title: 'AUTHOR_ID' },
  { name: 'EDITOR_ID', type: 'user', title: 'EDITOR_ID' },
];

function activityOut(a: Rec, tz: number, names?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of ACTIVITY_DEFS) {
    if (names && !names.includes(d.name)) continue;
    const v = a[d.name];
    out[d.name] = v === null || v === undefined ? null : d.type === 'datetime' ? formatDateTime(Number(v), tz) : String(v);
  }
  if (!names || names.includes('SETTINGS')) out.SETTINGS = [];
  return out;
}

function owner(ctx: CallContext, ownerTypeId: number, ownerId: number): CrmKind | null {
  const kind = KIND_BY_OWNER_TYPE[ownerTypeId];
  if (!kind) return null;
  return findRecord(ctx.portal.state, kind, ownerId) ? kind : null;
}

function todoAdd(p: Params, ctx: CallContext): MethodOutput {
  for (const name of ['ownerTypeId', 'ownerId', 'deadline']) if (p[name] === undefined || p[name] === '') throw Errors.missingParam(name);
  const ownerTypeId = toInt(p.ownerTypeId);
  const ownerId = toInt(p.ownerId);
  const deadline = parseDateInput(p.deadline, ctx.portal.tz);
  if (deadline === null) throw new RestError(400, 'WRONG_DATETIME_FORMAT', 'Wrong datetime format');
  if (!owner(ctx, ownerTypeId, ownerId)) throw new RestError(400, 'NOT_FOUND', 'Not found.');
  const responsible = p.responsibleId !== undefined ? toInt(p.responsibleId) : ctx.userId;
  if (!ctx.portal.state.users.some((u) => u.ID === responsible)) throw new RestError(400, 'NOT_FOUND', 'Responsible user not found.');
  const now = ctx.portal.now();
  const state = ctx.portal.state;
  const id = nextId(state, 'activity');
  state.activities.push({
    ID: id,
    OWNER_ID: ownerId,
    OWNER_TYPE_ID: ownerTypeId,
    TYPE_ID: 6,
    PROVIDER_ID: 'CRM_TODO',
    PROVIDER_TYPE_ID: 'TODO',
    PROVIDER_GROUP_ID: null,
    ASSOCIATED_ENTITY_ID: 0,
    SUBJECT: p.title !== undefined ? String(p.title) : '',
    CREATED: now,
    LAST_UPDATED: now,
    START_TIME: deadline,
    END_TIME: deadline,
    DEADLINE: deadline,
    COMPLETED: 'N',
    STATUS: 1,
    RESPONSIBLE_ID: responsible,
    PRIORITY: 2,
    NOTIFY_TYPE: 0,
    NOTIFY_VALUE: 0,
    DESCRIPTION: p.description !== undefined ? String(p.description) : '',
    DESCRIPTION_TYPE: 1,
    DIRECTION: 0,
    LOCATION: '',
    ORIGINATOR_ID: null,
    ORIGIN_ID: null,
    AUTHOR_ID: ctx.userId,
    EDITOR_ID: ctx.userId,
    PARENT_ACTIVITY_ID: p.parentActivityId !== undefined ? toInt(p.parentActivityId) : null,
    PING_OFFSETS: phpValues(p.pingOffsets).map(toInt),
    COLOR_ID: p.colorId !== undefined ? String(p.colorId) : null,
  });
  const kind = KIND_BY_OWNER_TYPE[ownerTypeId];
  const rec = findRecord(state, kind, ownerId);
  if (rec) {
    rec.LAST_ACTIVITY_TIME = now;
    rec.LAST_ACTIVITY_BY = ctx.userId;
  }
  return { result: { id } };
}

function activityList(p: Params, ctx: CallContext): MethodOutput {
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  assertArrayParam(filter, 'filter');
  assertArrayParam(order, 'order');
  const lookup = lookupOf(ACTIVITY_DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const rows = ctx.portal.state.activities.filter(compileFilter(filter, lookup, q)).sort(compileOrder(order, lookup, q, { START_TIME: 'ASC' }));
  const page = paginate(rows, p.start ?? p.START);
  const names = resolveSelect(param(p, 'select'), ACTIVITY_DEFS, ['*']);
  return { result: page.rows.map((a) => activityOut(a, ctx.portal.tz, names)), total: page.total, next: page.next, rows: page.rows.length };
}

function activityGet(p: Params, ctx: CallContext): MethodOutput {
  const id = toInt(param(p, 'id'));
  if (!(id > 0)) throw Errors.idInvalid();
  const a = ctx.portal.state.activities.find((x) => x.ID === id);
  if (!a) throw Errors.notFound();
  return { result: activityOut(a, ctx.portal.tz) };
}

const TYPE_BY_NAME: Record<string, CrmKind> = { lead: 'lead', deal: 'deal', contact: 'contact', company: 'company' };

function commentAdd(p: Params, ctx: CallContext): MethodOutput {
  const fields = p.fields;
  if (!isPlainObject(fields)) throw Errors.missingParam('fields');
  const missing = ['ENTITY_ID', 'ENTITY_TYPE', 'COMMENT'].filter((k) => fields[k] === undefined);
  if (missing.length) throw new RestError(400, '100', `Required fields are not provided: ${missing.join(', ')}`);
  const kind = TYPE_BY_NAME[String(fields.ENTITY_TYPE).toLowerCase()];
  const entityId = toInt(fields.ENTITY_ID);
  if (!kind || !findRecord(ctx.portal.state, kind, entityId)) throw new RestError(400, 'NOT_FOUND', 'Not found.');
  const text = String(fields.COMMENT).trim();
  if (!text) throw new RestError(400, 'INVALID_ARG_VALUE', 'Empty comment');
  const id = nextId(ctx.portal.state, 'comment');
  ctx.portal.state.comments.push({ ID: id, ENTITY_ID: entityId, ENTITY_TYPE: KINDS[kind].typeName, COMMENT: text, AUTHOR_ID: ctx.userId, CREATED: ctx.portal.now() });
  return { result: id };
}

const COMMENT_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'ENTITY_ID', type: 'integer', title: 'ENTITY_ID' },
  { name: 'ENTITY_TYPE', type: 'string', title: 'ENTITY_TYPE' },
  { name: 'CREATED', type: 'datetime', title: 'CREATED' },
  { name: 'COMMENT', type: 'string', title: 'COMMENT' },
  { name: 'AUTHOR_ID', type: 'user', title: 'AUTHOR_ID' },
];
const COMMENT_ORDER = new Set(['ID', 'CREATED', 'AUTHOR_ID']);

function commentList(p: Params, ctx: CallContext): MethodOutput {
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  assertArrayParam(filter, 'filter');
  assertArrayParam(order, 'order');
  // The two mandatory filter fields name the one element whose comments are listed; an element
  // the caller cannot see (or that does not exist) is "Access denied." with an empty code.
  const f = isPlainObject(filter) ? filter : {};
  for (const name of ['ENTITY_ID', 'ENTITY_TYPE']) if (f[name] === undefined || f[name] === '') throw Errors.argumentNull(name);
  const kind = TYPE_BY_NAME[String(f.ENTITY_TYPE).toLowerCase()];
  const entityId = toInt(f.ENTITY_ID);
  if (!kind || !findRecord(ctx.portal.state, kind, entityId)) throw new RestError(400, '', 'Access denied.');
  const sort = isPlainObject(order) ? order : {};
  const unsupported = Object.keys(sort).find((k) => !COMMENT_ORDER.has(k.toUpperCase()));
  if (unsupported) throw Errors.argument(`Unsupported order field: ${unsupported}`);
  const lookup = lookupOf(COMMENT_DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const { ENTITY_ID: _id, ENTITY_TYPE: _type, ...rest } = f;
  const typeName = KINDS[kind].typeName;
  const rows = ctx.portal.state.comments
    .filter((c) => c.ENTITY_ID === entityId && c.ENTITY_TYPE === typeName)
    .filter(compileFilter(rest, lookup, q))
    .sort(compileOrder(sort, lookup, q, { ID: 'ASC' }));
  const page = paginate(rows, p.start ?? p.START);
  const asked = phpValues(param(p, 'select')).map(String);
  const names = resolveSelect(asked, COMMENT_DEFS, ['*']);
  const files = asked.length === 0 || asked.includes('*') || asked.includes('FILES');
  const out = (c: Rec) => ({ ...recordOut(COMMENT_DEFS, c, ctx.portal.tz, names), ...(files ? { FILES: {} } : {}) });
  return { result: page.rows.map(out), total: page.total, next: page.next, rows: page.rows.length };
}

export const activityMethods: MethodTable = {
  'crm.activity.todo.add': { scope: 'crm', write: true, run: todoAdd },
  'crm.activity.list': { scope: 'crm', run: activityList },
  'crm.activity.get': { scope: 'crm', run: activityGet },
  'crm.timeline.comment.add': { scope: 'crm', write: true, run: commentAdd },
  'crm.timeline.comment.list': { scope: 'crm', run: commentList },
};
