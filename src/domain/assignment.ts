/**
 * Who gets the reactivation (ответственный): the original manager (with a fallback when fired or
 * inactive), a fixed user, a department head, or a pool (listed users or a department) picked
 * round-robin or at random. Activities read users and departments; this only decides.
 */
import type { Department, FallbackStrategy, ResponsibleStrategy, User } from './types';

export interface AssignmentContext {
  /** The manager of the lost deal / the client. */
  originalUserId?: number;
  users: readonly User[];
  departments: readonly Department[];
  /** The user a round-robin pool gave the previous item to. */
  roundRobinCursor?: number;
  /** Uniform in [0, 1); passed in so the decision is reproducible. */
  random: () => number;
}

export type Assignment =
  | {
      decided: true;
      userId: number;
      why: string;
      /** For round-robin pools: store it and pass it back next time. */
      roundRobinCursor?: number;
    }
  | { decided: false; why: string };

/**
 * Whether deciding under `strategy` needs the company structure (department.get): a department
 * head, as the strategy or as its fallback. Every strategy reads users (user.get): whether the
 * original manager, the fixed user or the pool's members are active.
 */
export function readsDepartments(strategy: ResponsibleStrategy | FallbackStrategy): boolean {
  if (strategy.strategy === 'departmentHead') return true;
  const fallback = 'fallback' in strategy ? strategy.fallback : undefined;
  return fallback !== undefined && readsDepartments(fallback);
}

/** Decides the responsible user under a strategy. */
export function chooseResponsible(strategy: ResponsibleStrategy, ctx: AssignmentContext): Assignment {
  switch (strategy.strategy) {
    case 'original': {
      const id = ctx.originalUserId;
      if (id !== undefined && isActive(id, ctx)) return { decided: true, userId: id, why: `original manager ${id}` };
      const problem = id === undefined ? 'no original manager' : `original manager ${id} is ${userOf(id, ctx) ? 'inactive' : 'not found'}`;
      return withFallback(problem, strategy.fallback, ctx);
    }
    case 'user': {
      if (isActive(strategy.userId, ctx)) return { decided: true, userId: strategy.userId, why: `fixed user ${strategy.userId}` };
      const problem = `fixed user ${strategy.userId} is ${userOf(strategy.userId, ctx) ? 'inactive' : 'not found'}`;
      return withFallback(problem, strategy.fallback, ctx);
    }
    default:
      return chooseFallback(strategy, ctx);
  }
}

function withFallback(problem: string, fallback: FallbackStrategy | undefined, ctx: AssignmentContext): Assignment {
  if (!fallback) return { decided: false, why: `${problem}; no fallback` };
  const chosen = chooseFallback(fallback, ctx);
  return chosen.decided ? { ...chosen, why: `${problem}; fallback: ${chosen.why}` } : { decided: false, why: `${problem}; fallback failed: ${chosen.why}` };
}

function chooseFallback(strategy: FallbackStrategy, ctx: AssignmentContext): Assignment {
  switch (strategy.strategy) {
    case 'user':
      return isActive(strategy.userId, ctx)
        ? { decided: true, userId: strategy.userId, why: `fixed user ${strategy.userId}` }
        : { decided: false, why: `fixed user ${strategy.userId} is not active` };
    case 'departmentHead': {
      const departmentId = strategy.departmentId ?? mainDepartment(ctx.originalUserId, ctx);
      if (departmentId === undefined) return { decided: false, why: 'no department to take the head of' };
      const head = activeHead(departmentId, ctx);
      return head
        ? { decided: true, userId: head.userId, why: `head of department ${head.departmentId}: user ${head.userId}` }
        : { decided: false, why: `no active head in department ${departmentId} or above` };
    }
    case 'pool':
      return pickFromPool(strategy, ctx);
  }
}

function pickFromPool(pool: Extract<FallbackStrategy, { strategy: 'pool' }>, ctx: AssignmentContext): Assignment {
  const source = pool.users !== undefined ? `pool ${pool.users.join(',')}` : `department ${pool.departmentId}`;
  const members =
    pool.users !== undefined
      ? pool.users.filter((id) => isActive(id, ctx))
      : ctx.users
          .filter((u) => u.active && u.departments.includes(pool.departmentId!))
          .map((u) => u.id)
          .sort((a, b) => a - b);
  if (members.length === 0) return { decided: false, why: `${source} has no active user` };
  if (pool.pick === 'random') {
    const index = Math.min(Math.floor(Math.max(ctx.random(), 0) * members.length), members.length - 1);
    return { decided: true, userId: members[index]!, why: `random in ${source}` };
  }
  const previous = ctx.roundRobinCursor === undefined ? -1 : members.indexOf(ctx.roundRobinCursor);
  const userId = members[(previous + 1) % members.length]!;
  return { decided: true, userId, why: `round-robin in ${source}`, roundRobinCursor: userId };
}

function userOf(id: number, ctx: AssignmentContext): User | undefined {
  return ctx.users.find((u) => u.id === id);
}

function isActive(id: number, ctx: AssignmentContext): boolean {
  return userOf(id, ctx)?.active === true;
}

function mainDepartment(userId: number | undefined, ctx: AssignmentContext): number | undefined {
  return userId === undefined ? undefined : userOf(userId, ctx)?.departments[0];
}

/** The nearest active head from the department up its parents. */
function activeHead(departmentId: number, ctx: AssignmentContext): { userId: number; departmentId: number } | undefined {
  const visited = new Set<number>();
  let department = ctx.departments.find((d) => d.id === departmentId);
  while (department && !visited.has(department.id)) {
    visited.add(department.id);
    if (department.headUserId !== undefined && isActive(department.headUserId, ctx)) {
      return { userId: department.headUserId, departmentId: department.id };
    }
    const parentId = department.parentId;
    department = parentId === undefined ? undefined : ctx.departments.find((d) => d.id === parentId);
  }
  return undefined;
}

/**
 * The head who gets "head" notices about a manager: the configured head of sales, else the
 * nearest active head above the manager (not the manager themself).
 */
export function headOf(userId: number | undefined, ctx: Pick<AssignmentContext, 'users' | 'departments'> & { headOfSales?: number | null }): number | undefined {
  if (ctx.headOfSales !== undefined && ctx.headOfSales !== null) return ctx.headOfSales;
  const departmentId = mainDepartment(userId, { ...ctx, random: () => 0 });
  if (departmentId === undefined) return undefined;
  const visited = new Set<number>();
  let department = ctx.departments.find((d) => d.id === departmentId);
  while (department && !visited.has(department.id)) {
    visited.add(department.id);
    const head = department.headUserId;
    if (head !== undefined && head !== userId && ctx.users.some((u) => u.id === head && u.active)) return head;
    const parentId = department.parentId;
    department = parentId === undefined ? undefined : ctx.departments.find((d) => d.id === parentId);
  }
  return undefined;
}
