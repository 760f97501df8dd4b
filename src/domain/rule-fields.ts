/**
 * The CRM fields the rules read from a deal or a lead: the loss reason field, the manager's date
 * and list fields of a return period, the reactivation marks, the expiry date and rate fields.
 * A list read selects them by name: `select: ['*', 'UF_*']` may leave multiple-value custom
 * fields out (crm-deal-list.md: "'UF_*' — all custom fields (excluding multiple fields)"), and a
 * rule that reads such a field would see it empty. Pure; no I/O.
 */
import type { ExpiresAtRule, ReturnPeriodRule, Rules } from './rule-types';

export interface RuleFields {
  /** Deal fields, in their portal names (UF_CRM_...), each once, in rule order. */
  deal: string[];
  /** Lead fields. */
  lead: string[];
}

function periodFields(period: ReturnPeriodRule | undefined): string[] {
  if (!period || period.kind !== 'manager') return [];
  return [period.dateField, period.listField].filter((f): f is string => f !== undefined);
}

function expiryFields(at: ExpiresAtRule): string[] {
  switch (at.kind) {
    case 'field':
      return [at.field];
    case 'term':
      return at.field !== undefined ? [at.field] : [];
    case 'consumption':
      return [at.rateField, at.field].filter((f): f is string => f !== undefined);
  }
}

/** Every deal and lead field the rules read, for list reads to select by name. */
export function ruleFields(rules: Rules): RuleFields {
  const lost = rules.lostDeals;
  const { sourceField, reasonField, attemptField, dateField } = lost.marks;
  const deal: string[] = [...periodFields(lost.returnPeriod)];
  for (const pipeline of lost.pipelines) {
    if (pipeline.reasonField !== undefined) deal.push(pipeline.reasonField);
    deal.push(...periodFields(pipeline.returnPeriod), ...periodFields(pipeline.otherReasons?.returnPeriod));
    for (const reason of pipeline.reasons) deal.push(...periodFields(reason.returnPeriod));
  }
  deal.push(sourceField, reasonField, attemptField, dateField);
  for (const rule of rules.expiry?.rules ?? []) deal.push(...expiryFields(rule.expiresAt));
  const leads = lost.leads;
  const lead: string[] = leads
    ? [
        ...periodFields(lost.returnPeriod),
        ...periodFields(leads.returnPeriod),
        ...periodFields(leads.otherStatuses?.returnPeriod),
        ...leads.statuses.flatMap((s) => periodFields(s.returnPeriod)),
      ]
    : [];
  return { deal: [...new Set(deal)], lead: [...new Set(lead)] };
}
