/**
 * What every activity group shares: dependencies, the idempotency key scheme, the mapping of
 * the Bitrix24 error taxonomy onto Temporal retries, people lookups and notifications.
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { isBitrix24Error, type Bitrix24Client, type Bitrix24Error, type CrmApi, type Deal } from '../bitrix24';
import type { Rules } from '../config/rules';
import { chooseResponsible, headOf, readsDepartments, whoToNotify, type Assignment } from '../domain';
import type { Department, NotifyWhom, ResponsibleStrategy, User } from '../domain/types';
import type { Logger } from '../shared/log';
import { isFinalFailureType, type FinalFailureType } from '../shared/failures';
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
 * A final failure: the activity fails for good (never retried) with a readable reason — the
 * element, what went wrong and what to fix. `type` is one of FINAL_FAILURE_TYPES
 * (src/shared/failures.ts), e.g. `finalFailure('CannotProceed', 'deal 5 did not move to stage
 * C1:NEW of pipeline 1: ...')`. The workflow that called the activity fails at once and records
 * the reason (Phase "failed", memo `failure`), where `npm run runs -- --failed` shows it.
 */
export function finalFailure(type: FinalFailureType, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, ...(details ? { details: [details] } : {}) });
}

/** Whether `error` is a final failure (made by finalFailure or by the taxonomy below). */
export function isFinalFailure(error: unknown): error is ApplicationFailure {
  return error instanceof ApplicationFailure && (error.nonRetryable || isFinalFailureType(error.type));
}

/** What to fix after a final Bitrix24 error, in a few words. */
export function bitrix24Hint(error: Bitrix24Error): string {
  if (error.kind === 'not_found') return 'the element it names is not on the portal (deleted, or an id in the rules that does not exist): fix the portal or the rules';
  if (AUTH_CODES.has(error.code)) return 'check B24_WEBHOOK_URL: the inbound webhook must exist and its user must be active';
  if (error.code === 'insufficient_scope') return "add the missing permission (scope) to the inbound webhook";
  if (ACCESS_CODES.has(error.code) || /access\s+denied|permission/i.test(error.description)) return "give the webhook's user the CRM rights this step needs";
  if (error.code === 'ERROR_METHOD_NOT_FOUND' || error.code === 'METHOD_NOT_FOUND') return 'the portal does not offer this method (plan or module)';
  return 'the portal refused the request: fix the data or the rules its message names';
}

const AUTH_CODES = new Set(['INVALID_CREDENTIALS', 'NO_AUTH_FOUND', 'expired_token', 'invalid_token', 'AUTHORIZE_ERROR', 'WRONG_AUTH_TYPE', 'PORTAL_DELETED']);
const ACCESS_CODES = new Set(['ACCESS_DENIED', 'user_access_error', 'allowed_only_intranet_user']);

/**
 * Runs an activity body under the client's error taxonomy: final Bitrix24 errors (auth, access,
 * validation) and "not found" (a write or a reference to an element that is not there; reads
 * that may miss answer null in src/bitrix24/crm) become non-retryable failures with a hint; limits
 * carry their retry delay; the rest is retried. A final failure is logged at error level.
 */
export async function asActivity<T>(body: () => Promise<T>, log?: Logger): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (isBitrix24Error(error)) {
      if (error.kind !== 'retryable') {
        throw logFinal(log, finalFailure('Bitrix24FinalError', `${error.message} (${bitrix24Hint(error)})`, { code: error.code, method: error.method, httpStatus: error.httpStatus }));
      }
      throw ApplicationFailure.create({
        type: 'Bitrix24RetryableError',
        message: error.message,
        nextRetryDelay: error.retryAfterMs,
      });
    }
    if (isFinalFailure(error)) throw logFinal(log, error);
    // A final condition thrown as an Error of that name (e.g. the rules' RulesError).
    if (error instanceof Error && isFinalFailureType(error.name)) throw logFinal(log, finalFailure(error.name, error.message));
    throw error;
  }
}

/** The error log line of a final failure: which activity of which workflow, and why. */
function logFinal(log: Logger | undefined, failure: ApplicationFailure): ApplicationFailure {
  let where: Record<string, unknown> = {};
  try {
    const info = activityInfo();
    where = { activity: info.activityType, workflowId: info.workflowExecution?.workflowId, attempt: info.attempt };
  } catch {
    // Called outside an activity (a test calling the body directly).
  }
  log?.error('activity failed for good (not retried)', { ...where, type: failure.type, reason: failure.message });
  return failure;
}

/** Wraps every function of an activity group with asActivity; final failures are logged to `log`. */
export function withTaxonomy<T extends Record<string, (...args: never[]) => Promise<unknown>>>(group: T, log?: Logger): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(group)) {
    wrapped[name] = (...args: never[]) => asActivity(() => fn(...args), log);
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
