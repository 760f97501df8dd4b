/**
 * user.get / user.current (user/user-get.md): ACTIVE is a boolean, UF_DEPARTMENT an array of
 * numbers, filters in FILTER (or as top-level keys), `sort` + `order`, pages of 50.
 * department.get (departments/department-get.md): filter keys at the top level, UF_HEAD.
 */
import { lookupOf } from '../crm/fields';
import { compileFilter, compileOrder, paginate, resolveSelect, type FieldDef } from '../query';
import type { DepartmentRec, UserRec } from '../store';
import { formatDateTime, isPlainObject, param, phpTruthy, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

const USER_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'ACTIVE', type: 'boolean', title: 'ACTIVE' },
  { name: 'NAME', type: 'string', title: 'NAME' },
  { name: 'LAST_NAME', type: 'string', title: 'LAST_NAME' },
  { name: 'SECOND_NAME', type: 'string', title: 'SECOND_NAME' },
  { name: 'EMAIL', type: 'string', title: 'EMAIL' },
  { name: 'LAST_LOGIN', type: 'datetime', title: 'LAST_LOGIN' },
  { name: 'DATE_REGISTER', type: 'datetime', title: 'DATE_REGISTER' },
  { name: 'TIME_ZONE', type: 'string', title: 'TIME_ZONE' },
  { name: 'IS_ONLINE', type: 'char', title: 'IS_ONLINE' },
  { name: 'PERSONAL_GENDER', type: 'string', title: 'PERSONAL_GENDER' },
  { name: 'PERSONAL_BIRTHDAY', type: 'date', title: 'PERSONAL_BIRTHDAY' },
  { name: 'WORK_PHONE', type: 'string', title: 'WORK_PHONE' },
  { name: 'WORK_POSITION', type: 'string', title: 'WORK_POSITION' },
  { name: 'UF_EMPLOYMENT_DATE', type: 'date', title: 'UF_EMPLOYMENT_DATE', dynamic: true },
  { name: 'UF_DEPARTMENT', type: 'integer', title: 'UF_DEPARTMENT', dynamic: true },
  { name: 'USER_TYPE', type: 'string', title: 'USER_TYPE' },
];

/** Keys of user.get that are not filters. */
const CONTROL = new Set(['sort', 'order', 'filter', 'admin_mode', 'select', 'image_resize', 'start', 'auth', 'auth_connector']);

function userView(u: UserRec): Record<string, unknown> {
  return { ...u, ACTIVE: u.ACTIVE ? 1 : 0, USER_TYPE: 'employee', IS_ONLINE: 'N' };
}

function userOut(u: UserRec, tz: number, names: string[]): Record<string, unknown> {
  const all: Record<string, unknown> = {
    ID: String(u.ID),
    ACTIVE: u.ACTIVE,
    NAME: u.NAME,
    LAST_NAME: u.LAST_NAME,
    SECOND_NAME: u.SECOND_NAME,
    EMAIL: u.EMAIL,
    LAST_LOGIN: formatDateTime(u.DATE_REGISTER, tz),
    DATE_REGISTER: formatDateTime(u.DATE_REGISTER, tz),
    TIME_ZONE: '',
    IS_ONLINE: 'N',
    PERSONAL_GENDER: u.PERSONAL_GENDER,
    PERSONAL_BIRTHDAY: '',
    WORK_PHONE: '',
    WORK_POSITION: u.WORK_POSITION,
    UF_EMPLOYMENT_DATE: '',
    UF_DEPARTMENT: u.UF_DEPARTMENT,
    USER_TYPE: 'employee',
  };
  return Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k)));
}

function userGet(p: Params, ctx: CallContext): MethodOutput {
  const filter: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!CONTROL.has(k.toLowerCase())) filter[k] = v;
  const inner = p.FILTER ?? p.filter;
  if (isPlainObject(inner)) Object.assign(filter, inner);
  // ACTIVE: "true" keeps only active users; anything falsy only the fired ones.
  let active: boolean | undefined;
  for (const key of Object.keys(filter)) {
    if (key.replace(/^=/, '') === 'ACTIVE') {
      const v = filter[key];
      active = typeof v === 'string' ? ['true', 'y', '1'].includes(v.toLowerCase()) : phpTruthy(v);
      delete filter[key];
    }
  }
  const lookup = lookupOf(USER_DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const pred = compileFilter(filter, lookup, q);
  const sortField = typeof p.sort === 'string' ? p.sort.toUpperCase() : typeof p.SORT === 'string' ? p.SORT.toUpperCase() : 'ID';
  const dir = String(p.order ?? p.ORDER ?? 'ASC').toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
  const sorter = compileOrder({ [sortField]: dir }, lookup, q);
  const rows = ctx.portal.state.users
    .filter((u) => active === undefined || u.ACTIVE === active)
    .filter((u) => pred(userView(u)))
    .sort((a, b) => sorter(userView(a), userView(b)));
  const page = paginate(rows, p.start ?? p.START);
  const names = resolveSelect(param(p, 'select'), USER_DEFS, ['*', 'UF_*']);
  return { result: page.rows.map((u) => userOut(u, ctx.portal.tz, names)), total: page.total, next: page.next, rows: page.rows.length };
}

function userCurrent(_p: Params, ctx: CallContext): MethodOutput {
  const u = ctx.portal.state.users.find((x) => x.ID === ctx.userId);
  return { result: u ? userOut(u, ctx.portal.tz, USER_DEFS.map((d) => d.name)) : null };
}

const DEPT_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'NAME', type: 'string', title: 'NAME' },
  { name: 'SORT', type: 'integer', title: 'SORT' },
  { name: 'PARENT', type: 'integer', title: 'PARENT' },
  { name: 'UF_HEAD', type: 'integer', title: 'UF_HEAD' },
];

function deptOut(d: DepartmentRec): Record<string, unknown> {
  return {
    ID: String(d.ID),
    NAME: d.NAME,
    SORT: d.SORT,
    ...(d.PARENT !== null ? { PARENT: String(d.PARENT) } : {}),
    ...(d.UF_HEAD !== null ? { UF_HEAD: String(d.UF_HEAD) } : {}),
  };
}

function departmentGet(p: Params, ctx: CallContext): MethodOutput {
  const filter: Record<string, unknown> = {};
  for (const key of ['ID', 'NAME', 'SORT', 'PARENT', 'UF_HEAD']) {
    if (p[key] !== undefined) filter[key] = p[key];
    else if (p[key.toLowerCase()] !== undefined) filter[key] = p[key.toLowerCase()];
  }
  const lookup = lookupOf(DEPT_DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const pred = compileFilter(filter, lookup, q);
  const sortField = typeof p.sort === 'string' ? p.sort.toUpperCase() : 'ID';
  const dir = String(p.order ?? 'ASC').toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
  const sorter = compileOrder({ [sortField]: dir }, lookup, q);
  const rows = ctx.portal.state.departments.filter((d) => pred(d as unknown as Record<string, unknown>)).sort((a, b) => sorter(a as never, b as never));
  const page = paginate(rows, p.START ?? p.start);
  return { result: page.rows.map(deptOut), total: page.total, next: page.next, rows: page.rows.length };
}

export const userMethods: MethodTable = {
  'user.get': { scope: 'user', run: userGet },
  'user.current': { scope: 'basic', run: userCurrent },
  'department.get': { scope: 'department', run: departmentGet },
};

