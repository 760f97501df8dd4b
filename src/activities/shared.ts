/**
 * What every activity group shares: dependencies, the idempotency key scheme, the mapping of
 * the Bitrix24 error taxonomy onto Temporal retries, people lookups and notifications.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { isBitrix24Error, type Bitrix24Client, type CrmApi, type Deal } from '../bitrix24';
import type { Rules } from '../config/rules';
import { chooseResponsible, headOf, readsDepartments, whoToNotify, type Assignment } from '../domain';
import type { Department, NotifyWhom, ResponsibleStrategy, User } from '../domain/types';
import type { Logger } from '../shared/log';
import { notificationTag, SERVICE_ID } from '../shared/names';

export interface ActivityDeps {
  b24: Bitrix24Client;
  crm: CrmApi;
  /** The rules in force (read at each planning step, so a reload applies to running workflows). */
  rules: () => Rules;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  /** Portal origin for links in messages, e.g. https://example.bitrix24.ru */
  portalUrl: string;
  now?: () => Date;
  random?: () => number;
}

/** ORIGINATOR_ID of every element the service creates (with ORIGIN_ID = idempotency key). */
export const ORIGINATOR = SERVICE_ID;

export function isOurs(deal: Pick<Deal, 'originatorId'>): boolean {
  return deal.originatorId === ORIGINATOR;
}

/**
 * Runs an activity body under the client's error taxonomy: final Bitrix24 errors (auth, access,
 * validation) become non-retryable failures; limits carry their retry delay; the rest is retried.
 */
export async function asActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (isBitrix24Error(error)) {
      if (error.kind === 'final') {
        throw ApplicationFailure.create({ type: 'Bitrix24FinalError', message: error.message, nonRetryable: true });
      }
      throw ApplicationFailure.create({
        type: 'Bitrix24RetryableError',
        message: error.message,
        nextRetryDelay: error.retryAfterMs,
      });
    }
    throw error;
  }
}

/** Wraps every function of an activity group with asActivity. */
export function withTaxonomy<T extends Record<string, (...args: never[]) => Promise<unknown>>>(group: T): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(group)) {
    wrapped[name] = (...args: never[]) => asActivity(() => fn(...args));
  }
  return wrapped as T;
}

/** The client's name as managers know it: the company title, or the contact's name. */
export async function clientNameOf(deps: ActivityDeps, client: { kind: 'company' | 'contact'; id: number }): Promise<string> {
  if (client.kind === 'company') return (await deps.crm.getCompany(client.id))?.title || `company ${client.id}`;
  const contact = await deps.crm.getContact(client.id);
  return (contact && [contact.name, contact.lastName].filter(Boolean).join(' ')) || `contact ${client.id}`;
}

export function dealLink(portalUrl: string, entity: 'deal' | 'lead' | 'company' | 'contact', id: number): string {
  return `${portalUrl}/crm/${entity}/details/${id}/`;
}

export interface People {
  users: User[];
  departments: Department[];
}

/**
 * Users and (when asked) the departments an assignment or a head lookup needs. The departments
 * are read only when the decision needs them, so a webhook without the `department` scope works
 * for rules that never look at the company structure (src/setup/scope-needs.ts says which do).
 */
export async function loadPeople(deps: ActivityDeps, userIds: number[], opts: { departments: boolean }): Promise<People> {
  const ids = [...new Set(userIds.filter((id) => id > 0))];
  const [users, departments] = await Promise.all([
    ids.length ? deps.crm.getUser(ids) : Promise.resolve([]),
    opts.departments ? deps.crm.getDepartments() : Promise.resolve([]),
  ]);
  return {
    users: users.map((u) => ({ id: u.id, active: u.active, departments: u.departmentIds })),
    departments: departments.map((d) => ({ id: d.id, headUserId: d.headId ?? undefined, parentId: d.parentId ?? undefined })),
  };
}

/** Users a strategy may pick from, so loadPeople fetches them in one request. */
export function candidateIds(strategy: ResponsibleStrategy, originalUserId: number | undefined): number[] {
  const ids: number[] = originalUserId ? [originalUserId] : [];
  const s = strategy as { userId?: number; users?: number[]; fallback?: ResponsibleStrategy };
  if (s.userId) ids.push(s.userId);
  if (s.users) ids.push(...s.users);
  if (s.fallback) ids.push(...candidateIds(s.fallback, undefined));
  return ids;
}

/**
 * Decides the responsible: the previous reactivation's responsible is the round-robin cursor
 * (read from the CRM, so it survives restarts and is shared by every worker).
 */
export async function assign(
  deps: ActivityDeps,
  strategy: ResponsibleStrategy,
  originalUserId: number | undefined,
): Promise<Assignment & { people: People }> {
  const needsCursor = (strategy as { pick?: string }).pick === 'roundRobin';
  const [previous] = needsCursor
    ? await deps.crm.listDeals({ ORIGINATOR_ID: ORIGINATOR }, ['ID', 'ASSIGNED_BY_ID'], { ID: 'DESC' }, { max: 1 })
    : [];
  let people = await loadPeople(deps, candidateIds(strategy, originalUserId), { departments: readsDepartments(strategy) });
  const departmentPool = (strategy as { departmentId?: number }).departmentId;
  if (departmentPool !== undefined || strategy.strategy === 'departmentHead') {
    const members = await deps.crm.listUsers({ ACTIVE: true });
    people = { ...people, users: mergeUsers(people.users, members.map((u) => ({ id: u.id, active: u.active, departments: u.departmentIds }))) };
  }
  const decision = chooseResponsible(strategy, {
    originalUserId,
    users: people.users,
    departments: people.departments,
    roundRobinCursor: previous?.assignedById ?? undefined,
    random: deps.random ?? Math.random,
  });
  return { ...decision, people };
}

function mergeUsers(a: User[], b: User[]): User[] {
  const byId = new Map<number, User>();
  for (const u of [...a, ...b]) byId.set(u.id, u);
  return [...byId.values()];
}

/**
 * Sends one message to the manager and/or the head (once each), as a system notification.
 * `noticeKey` names the notice; each recipient's TAG is built from it (names.ts notificationTag),
 * so the recipients do not remove each other's notification and a retry replaces its own.
 */
export async function notifyPeople(
  deps: ActivityDeps,
  whom: NotifyWhom,
  managerId: number | undefined,
  headOfSales: number | null,
  message: string,
  noticeKey: string,
): Promise<number[]> {
  if (!whom.manager && !whom.head) return [];
  const people = whom.head && headOfSales === null ? await loadPeople(deps, managerId ? [managerId] : [], { departments: true }) : { users: [], departments: [] };
  const headId = headOf(managerId, { ...people, headOfSales });
  const recipients = whoToNotify(whom, { managerId, headId });
  for (const userId of recipients) await deps.crm.notifyUser({ userId, message, kind: 'system', tag: notificationTag(noticeKey, userId) });
  return recipients;
}
