/**
 * Users and departments (user.get, department.get): who is responsible, who heads them; and the
 * webhook's own permissions (scope).
 */
import { z } from 'zod';
import type { Bitrix24Client } from '../client';
import { flag, id, idList, int, parseWith, refId, row, str, text } from '../parse';
import { parseList, type CrmFilter } from './common';

export interface User {
  id: number;
  active: boolean;
  name: string | null;
  lastName: string | null;
  email: string | null;
  departmentIds: number[];
  userType: string | null;
  workPosition: string | null;
}

export interface Department {
  id: number;
  name: string;
  parentId: number | null;
  headId: number | null;
  sort: number;
}

export interface UserContext {
  user: User;
  /** The user's first department (with its head), null when none. */
  department: Department | null;
}

const userSchema = row({ ID: id, ACTIVE: flag, NAME: text, LAST_NAME: text, EMAIL: text, UF_DEPARTMENT: idList, USER_TYPE: text, WORK_POSITION: text }).transform((r): User => ({
  id: r.ID, active: r.ACTIVE, name: r.NAME, lastName: r.LAST_NAME, email: r.EMAIL, departmentIds: r.UF_DEPARTMENT,
  userType: r.USER_TYPE, workPosition: r.WORK_POSITION,
}));

const departmentSchema = row({ ID: id, NAME: str, PARENT: refId, UF_HEAD: refId, SORT: int(0) }).transform((r): Department => ({ id: r.ID, name: r.NAME, parentId: r.PARENT, headId: r.UF_HEAD, sort: r.SORT }));

/** The rows of a user.get answer (also a batch command's result). */
export const parseUsers = (rows: unknown): User[] => parseList(userSchema, rows, 'user.get');

export interface UsersApi {
  /** user.get by ids — 1 request per 50 ids (users that do not exist are simply absent). */
  getUser(ids: number | number[]): Promise<User[]>;
  /** user.get with a filter (e.g. { ACTIVE: true, UF_DEPARTMENT: 3 }) — 1 request per 50 users. */
  listUsers(filter?: CrmFilter): Promise<User[]>;
  /** ONE batch request: user.get + department.get of the user's first department. */
  getUserContext(userId: number): Promise<UserContext | null>;
  /** department.get — 1 request per 50 departments. */
  getDepartments(filter?: { ID?: number; PARENT?: number; UF_HEAD?: number; NAME?: string }): Promise<Department[]>;
  /**
   * scope — 1 request: the webhook's scopes (api-reference/common/system/scope.md: "called
   * without parameters, it will return all permissions available for this application").
   */
  webhookScopes(): Promise<string[]>;
}

export function createUsersApi(client: Bitrix24Client): UsersApi {
  return {
    getUser: async (ids) => {
      const list = [...new Set(Array.isArray(ids) ? ids : [ids])];
      if (list.length === 0) return [];
      const out: User[] = [];
      for (let i = 0; i < list.length; i += 50) {
        const part = list.slice(i, i + 50);
        const rows = await client.listAll<unknown>('user.get', { FILTER: { '@ID': part } });
        out.push(...parseUsers(rows));
      }
      return out;
    },

    listUsers: async (filter = {}) => parseUsers(await client.listAll('user.get', { FILTER: filter })),

    getUserContext: async (userId) => {
      const b = await client.batch(
        {
          user: { method: 'user.get', params: { FILTER: { ID: userId } } },
          department: { method: 'department.get', params: { ID: '$result[user][0][UF_DEPARTMENT][0]' } },
        },
        { halt: false },
      );
      if (b.errors.user) throw b.errors.user;
      const user = parseUsers(b.results.user ?? []).find((u) => u.id === userId);
      if (!user) return null;
      const firstDept = user.departmentIds[0];
      const departments = b.errors.department ? [] : parseList(departmentSchema, b.results.department ?? [], 'department.get');
      // Only trust the department when it is the user's own (an unresolved reference would list all).
      return { user, department: departments.find((d) => d.id === firstDept) ?? null };
    },

    getDepartments: async (filter = {}) => parseList(departmentSchema, await client.listAll('department.get', { ...filter }), 'department.get'),

    webhookScopes: async () => parseWith(z.array(z.string()), await client.call('scope'), 'scope'),
  };
}
