/**
 * tasks.task.add / list / get (tasks/tasks-task-add.md, tasks-task-list.md): input fields in
 * UPPER_CASE (TITLE, RESPONSIBLE_ID, DEADLINE, UF_CRM_TASK: ["D_12"]), output in camelCase inside
 * `{task: …}` / `{tasks: […]}`; list filters by the upper-case names, newest first by default.
 */
import { lookupOf } from '../crm/fields';
import { Errors, RestError } from '../errors';
import { compileFilter, compileOrder, paginate, type FieldDef } from '../query';
import { nextId, type Rec } from '../store';
import { formatDateTime, isPlainObject, param, parseDateInput, phpValues, toInt, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

/** Filter/order name → stored camelCase key. */
const FIELDS: Array<[string, string, FieldDef['type']]> = [
  ['ID', 'id', 'integer'],
  ['PARENT_ID', 'parentId', 'integer'],
  ['TITLE', 'title', 'string'],
  ['DESCRIPTION', 'description', 'string'],
  ['PRIORITY', 'priority', 'integer'],
  ['STATUS', 'status', 'integer'],
  ['REAL_STATUS', 'status', 'integer'],
  ['RESPONSIBLE_ID', 'responsibleId', 'user'],
  ['CREATED_BY', 'createdBy', 'user'],
  ['CREATED_DATE', 'createdDate', 'datetime'],
  ['CHANGED_DATE', 'changedDate', 'datetime'],
  ['CLOSED_DATE', 'closedDate', 'datetime'],
  ['DEADLINE', 'deadline', 'datetime'],
  ['START_DATE_PLAN', 'startDatePlan', 'datetime'],
  ['END_DATE_PLAN', 'endDatePlan', 'datetime'],
  ['GROUP_ID', 'groupId', 'integer'],
  ['UF_CRM_TASK', 'ufCrmTask', 'string'],
];
const DEFS: FieldDef[] = FIELDS.map(([name, , type]) => ({ name, type, title: name }));
const KEY = new Map(FIELDS.map(([n, k]) => [n, k]));

const valueOf = (rec: Record<string, unknown>, def: FieldDef) => rec[KEY.get(def.name) ?? def.name];

function userBrief(ctx: CallContext, id: number): Record<string, unknown> {
  const u = ctx.portal.state.users.find((x) => x.ID === id);
  return { id: String(id), name: u ? `${u.NAME} ${u.LAST_NAME}` : '', link: `/company/personal/user/${id}/`, icon: '/bitrix/images/tasks/default_avatar.png', workPosition: u?.WORK_POSITION ?? '' };
}

function taskOut(ctx: CallContext, t: Rec, names?: string[]): Record<string, unknown> {
  const tz = ctx.portal.tz;
  const date = (v: unknown) => (v === null || v === undefined ? null : formatDateTime(Number(v), tz));
  const all: Record<string, unknown> = {
    id: String(t.id),
    parentId: t.parentId === null ? null : String(t.parentId),
    title: t.title,
    description: t.description,
    priority: String(t.priority),
    status: String(t.status),
    groupId: String(t.groupId),
    createdBy: String(t.createdBy),
    createdDate: date(t.createdDate),
    responsibleId: String(t.responsibleId),
    changedBy: String(t.changedBy),
    changedDate: date(t.changedDate),
    closedDate: date(t.closedDate),
    deadline: date(t.deadline),
    startDatePlan: date(t.startDatePlan),
    endDatePlan: date(t.endDatePlan),
    ufCrmTask: (t.ufCrmTask as string[]) ?? [],
    auditors: [],
    accomplices: [],
    creator: userBrief(ctx, Number(t.createdBy)),
    responsible: userBrief(ctx, Number(t.responsibleId)),
  };
  if (!names) return all;
  const keys = new Set(['id', ...names.map((n) => KEY.get(n) ?? '').filter(Boolean)]);
  return Object.fromEntries(Object.entries(all).filter(([k]) => keys.has(k)));
}

function coreError(text: string): RestError {
  return new RestError(400, 'ERROR_CORE', `${text}<br>`);
}

function taskAdd(p: Params, ctx: CallContext): MethodOutput {
  const f = param(p, 'fields');
  if (!isPlainObject(f) || Object.keys(f).length === 0) throw Errors.missingParam('fields');
  const title = String(f.TITLE ?? '').trim();
  if (!title) throw coreError('Task title is not specified');
  if (f.RESPONSIBLE_ID === undefined || f.RESPONSIBLE_ID === '') throw coreError('Responsible person is not specified');
  const responsible = toInt(f.RESPONSIBLE_ID);
  if (!ctx.portal.state.users.some((u) => u.ID === responsible)) throw coreError('User specified in the "Responsible" field not found');
  const tz = ctx.portal.tz;
  const date = (v: unknown) => (v === undefined || v === '' || v === null ? null : parseDateInput(v, tz));
  const deadline = date(f.DEADLINE);
  if (f.DEADLINE !== undefined && f.DEADLINE !== '' && deadline === null) throw coreError('Invalid deadline');
  const start = date(f.START_DATE_PLAN);
  const end = date(f.END_DATE_PLAN);
  if (start !== null && end !== null && end < start) throw coreError('The end date in scheduling is earlier than the start date');
  const now = ctx.portal.now();
  const state = ctx.portal.state;
  const task: Rec = {
    id: nextId(state, 'task'),
    parentId: f.PARENT_ID !== undefined ? toInt(f.PARENT_ID) : null,
    title,
    description: f.DESCRIPTION !== undefined ? String(f.DESCRIPTION) : '',
    priority: f.PRIORITY !== undefined ? toInt(f.PRIORITY) : 1,
    status: 2,
    groupId: f.GROUP_ID !== undefined ? toInt(f.GROUP_ID) : 0,
    createdBy: f.CREATED_BY !== undefined ? toInt(f.CREATED_BY) : ctx.userId,
    createdDate: now,
    responsibleId: responsible,
    changedBy: ctx.userId,
    changedDate: now,
    closedDate: null,
    deadline,
    startDatePlan: start,
    endDatePlan: end,
    ufCrmTask: phpValues(f.UF_CRM_TASK).map(String),
  };
  state.tasks.push(task);
  return { result: { task: taskOut(ctx, task) } };
}

function taskList(p: Params, ctx: CallContext): MethodOutput {
  const filter = param(p, 'filter');
  const order = param(p, 'order');
  if (filter !== undefined && filter !== '' && !isPlainObject(filter) && !Array.isArray(filter)) throw Errors.filterNotArray();
  const lookup = lookupOf(DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz, getValue: valueOf };
  if (isPlainObject(order)) {
    for (const k of Object.keys(order)) if (!lookup(k.toUpperCase())) throw new RestError(400, '0', 'Invalid sorting key (internal error)');
  }
  const upperOrder = isPlainObject(order) ? Object.fromEntries(Object.entries(order).map(([k, v]) => [k.toUpperCase(), v])) : undefined;
  const rows = ctx.portal.state.tasks.filter(compileFilter(filter, lookup, q)).sort(compileOrder(upperOrder, lookup, q, { ID: 'DESC' }));
  const page = paginate(rows, p.start ?? p.START);
  const select = phpValues(param(p, 'select')).map((s) => String(s).toUpperCase());
  return {
    result: { tasks: page.rows.map((t) => taskOut(ctx, t, select.length && !select.includes('*') ? select : undefined)) },
    total: page.total,
    next: page.next,
    rows: page.rows.length,
  };
}

function taskGet(p: Params, ctx: CallContext): MethodOutput {
  const id = toInt(p.taskId ?? p.TASKID ?? p.id);
  const t = ctx.portal.state.tasks.find((x) => x.id === id);
  if (!t) throw new RestError(400, 'ERROR_CORE', 'Task not found or not accessible<br>');
  return { result: { task: taskOut(ctx, t) } };
}

export const taskMethods: MethodTable = {
  'tasks.task.add': { scope: 'task', write: true, run: taskAdd },
  'tasks.task.list': { scope: 'task', run: taskList },
  'tasks.task.get': { scope: 'task', run: taskGet },
};
