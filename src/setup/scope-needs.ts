/**
 * The webhook scopes the rules need (pure: the rules in, the scopes out), each with what needs
 * it, so a missing one can be named before anything sleeps (start-up, `npm run setup -- --check`).
 *
 * Which rule settings lead to which REST methods (and the scope on each method's page,
 * b24restdocs; api-reference/scopes/permissions.md):
 *  - always `crm`: deals, leads, clients, to-dos (crm.activity.todo.add), timeline comments;
 *  - `user` (user.get; `user_brief`/`user_basic` do too): every responsible strategy checks that
 *    the chosen user is active; a "head" notice without `defaults.headOfSales` reads the manager;
 *  - `department` (department.get): a `departmentHead` strategy (or fallback), and a "head" notice
 *    without `defaults.headOfSales` (the head is found in the company structure);
 *  - `im` (im.notify.system.add): every notice the rules send to a manager or a head — lost-deal
 *    notices, the client cycle's open-deal and forgotten notices, expiry reminders `action: notify`;
 *  - `bizproc` (bizproc.workflow.start): expiry reminders `action: bizproc`;
 *  - `task` (tasks.task.add): no rule creates tasks (to-dos are CRM activities), so never.
 * Lost-deal rules are read as the domain applies them (src/domain/lost-rules.ts): the effective
 * rule of every reactivated reason, after inheritance.
 */
import type { ServiceScope } from '../bitrix24/scopes';
import type { Rules } from '../config/rules';
import { findLostRule, readsDepartments, type LostLookup } from '../domain';
import type { NotifyWhom, ResponsibleStrategy } from '../domain/types';

export interface ScopeNeed {
  scope: ServiceScope;
  /** What in the rules needs it ("notifications", "expiry action bizproc"), without repeats. */
  usedBy: string[];
}

/** The order scopes are named in. */
const ORDER: readonly ServiceScope[] = ['crm', 'user', 'department', 'im', 'task', 'bizproc'];

export function scopeNeeds(rules: Rules): ScopeNeed[] {
  const found = new Map<ServiceScope, Set<string>>();
  const need = (scope: ServiceScope, usedBy: string) => found.set(scope, (found.get(scope) ?? new Set()).add(usedBy));
  const headOfSales = rules.defaults.headOfSales;
  const responsible = (strategy: ResponsibleStrategy) => {
    need('user', 'responsible');
    if (readsDepartments(strategy)) need('department', 'responsible departmentHead');
  };
  const notify = (whom: NotifyWhom | undefined) => {
    if (!whom || (!whom.manager && !whom.head)) return;
    need('im', 'notifications');
    if (whom.head && headOfSales === undefined) {
      need('user', 'head notices without defaults.headOfSales');
      need('department', 'head notices without defaults.headOfSales');
    }
  };

  need('crm', 'CRM');
  for (const rule of reactivatedLostRules(rules)) {
    responsible(rule.responsible);
    const n = rule.notifications;
    for (const whom of [n.atLoss, n.atReturn, n.onForgotten]) notify(whom);
    if (n.beforeReturn.before.length > 0) notify(n.beforeReturn);
  }
  const clients = rules.clients;
  if (clients?.enabled) {
    responsible(clients.responsible ?? rules.defaults.responsible);
    if (clients.openDeal.notify) notify(clients.notifications.atDue);
    notify(clients.notifications.onForgotten);
  }
  const expiry = rules.expiry;
  if (expiry?.enabled) {
    for (const reminder of expiry.rules.flatMap((r) => r.reminders)) {
      if (reminder.action === 'notify') need('im', 'expiry action notify');
      if (reminder.action === 'bizproc') need('bizproc', 'expiry action bizproc');
    }
  }
  return ORDER.filter((scope) => found.has(scope)).map((scope) => ({ scope, usedBy: [...found.get(scope)!] }));
}

/** The effective rule of every reactivated loss reason (deal reasons, other reasons, lead statuses). */
function reactivatedLostRules(rules: Rules) {
  const lost = rules.lostDeals;
  const lookups: LostLookup[] = [];
  // A key no configured reason has: the lookup then falls to otherReasons / otherStatuses.
  const OTHER = '\u0000other';
  for (const p of lost.pipelines) {
    if (p.reasonField !== undefined) {
      for (const r of p.reasons) if (r.value !== undefined) lookups.push({ entity: 'deal', categoryId: p.categoryId, stageId: OTHER, fields: { [p.reasonField]: r.value } });
      if (p.otherReasons) lookups.push({ entity: 'deal', categoryId: p.categoryId, stageId: OTHER, fields: {} });
    } else {
      for (const r of p.reasons) if (r.stageId !== undefined) lookups.push({ entity: 'deal', categoryId: p.categoryId, stageId: r.stageId });
      if (p.otherReasons) lookups.push({ entity: 'deal', categoryId: p.categoryId, stageId: OTHER });
    }
  }
  for (const s of lost.leads?.statuses ?? []) lookups.push({ entity: 'lead', statusId: s.statusId });
  if (lost.leads?.otherStatuses) lookups.push({ entity: 'lead', statusId: OTHER });
  return lookups.flatMap((lookup) => {
    const found = findLostRule(rules, lookup);
    return found.decision === 'reactivate' ? [found.rule] : [];
  });
}

/** `im, bizproc (needed by: notifications, expiry action bizproc)`. */
export function describeScopes(needs: readonly ScopeNeed[]): string {
  const usedBy = [...new Set(needs.flatMap((n) => n.usedBy))];
  return `${needs.map((n) => n.scope).join(', ')} (needed by: ${usedBy.join(', ')})`;
}
