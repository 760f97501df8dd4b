/**
 * What `npm run rules:check` prints about a valid rules file: the one-line summary and the
 * warnings (valid but probably not meant).
 */
import type { RulesIssue } from './load';
import type { Rules } from './types';

/** "7 lost-deal reasons (6 reactivated) in 2 pipelines, 1 lead status, ..." */
export function summarizeRules(rules: Rules): string {
  const lost = rules.lostDeals;
  const reasons = lost.pipelines.flatMap((p) => p.reasons);
  const parts = [
    `${count(reasons.length, 'lost-deal reason')} (${reasons.filter((r) => r.reactivate).length} reactivated) in ${count(lost.pipelines.length, 'pipeline')}${lost.enabled ? '' : ' (disabled)'}`,
    count(lost.leads?.statuses.length ?? 0, 'lead status', 'lead statuses'),
  ];
  const clients = rules.clients;
  if (clients) {
    const periods = clients.periods.products.length + clients.periods.sections.length + clients.periods.pipelines.length + 1;
    const steps = clients.chains.reduce((n, c) => n + c.steps.length, 0);
    parts.push(`${count(periods, 'purchase period')}${clients.enabled ? '' : ' (disabled)'}`);
    parts.push(`${count(clients.chains.length, 'sales chain')} (${count(steps, 'step')})`);
  } else {
    parts.push('no client reactivation');
  }
  const expiry = rules.expiry;
  if (expiry) {
    const reminders = expiry.rules.reduce((n, r) => n + r.reminders.length, 0);
    parts.push(`${count(expiry.rules.length, 'expiry rule')} (${count(reminders, 'reminder')})${expiry.enabled ? '' : ' (disabled)'}`);
  } else {
    parts.push('no expiry reminders');
  }
  parts.push(`calendar ${rules.defaults.calendar.timeZone}`);
  return parts.join(', ');
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Things that are valid but probably not meant. */
export function rulesWarnings(rules: Rules): RulesIssue[] {
  const warnings: RulesIssue[] = [];
  const lost = rules.lostDeals;
  const configured = new Set(lost.pipelines.map((p) => p.categoryId));
  const targets: { path: string; categoryId: number }[] = [];
  if (lost.target) targets.push({ path: 'lostDeals.target', categoryId: lost.target.categoryId });
  lost.pipelines.forEach((p, i) => {
    if (p.target) targets.push({ path: `lostDeals.pipelines[${i}].target`, categoryId: p.target.categoryId });
    p.reasons.forEach((r, j) => {
      if (r.target) targets.push({ path: `lostDeals.pipelines[${i}].reasons[${j}].target`, categoryId: r.target.categoryId });
    });
  });
  for (const t of targets) {
    if (!configured.has(t.categoryId)) {
      warnings.push({
        path: t.path,
        message: `pipeline ${t.categoryId} has no entry in lostDeals.pipelines: a reactivation deal lost again there will not be reactivated`,
      });
    }
  }
  // A learned period learns from marked reactivation deals: a move or a lead makes none.
  const learnedWithout = (path: string, what: string) =>
    warnings.push({ path, message: `"learned" learns from reactivation deals, and ${what} makes none: "otherwise" always applies` });
  lost.pipelines.forEach((p, i) => {
    [...p.reasons, ...(p.otherReasons ? [p.otherReasons] : [])].forEach((r, j) => {
      const period = r.returnPeriod ?? p.returnPeriod ?? lost.returnPeriod;
      const target = ('target' in r ? r.target : undefined) ?? p.target ?? lost.target;
      const where = j < p.reasons.length ? `reasons[${j}]` : 'otherReasons';
      if (r.reactivate && period?.kind === 'learned' && target?.action === 'move') learnedWithout(`lostDeals.pipelines[${i}].${where}`, 'a move target');
    });
  });
  const leads = lost.leads;
  if (leads) {
    [...leads.statuses, ...(leads.otherStatuses ? [leads.otherStatuses] : [])].forEach((r, j) => {
      const period = r.returnPeriod ?? leads.returnPeriod ?? lost.returnPeriod;
      if (r.reactivate && period?.kind === 'learned') learnedWithout(j < leads.statuses.length ? `lostDeals.leads.statuses[${j}]` : 'lostDeals.leads.otherStatuses', 'a lead');
    });
  }
  if (lost.enabled && lost.pipelines.length > 0 && !lost.forgotten && lost.pipelines.every((p) => !p.forgotten)) {
    warnings.push({ path: 'lostDeals.forgotten', message: 'no «Забытый клиент» stage: at the limit the head is only notified' });
  }
  return warnings;
}
