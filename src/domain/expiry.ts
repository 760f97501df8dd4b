/**
 * Repeat-sale reminders by expiry date (seed 004): a licence, a policy, a subscription or
 * consumables run out on a date — entered by the manager in a deal field, or computed: purchase
 * date + term, or a consumption forecast (100 kg bought at 50 kg a month runs out in 2 months).
 * Reminders fire before or after that date, each with its action.
 */
import { DateTime } from 'luxon';
import { parseCrmDate } from './dates';
import { lineMatchesStep } from './chains';
import { addDuration, durationToIso, formatDuration, subtractDuration, type Deadline } from './durations';
import type { Calendar, ExpiryRule, ExpiryRules, Purchase, PurchaseLine, ReminderRule, ResponsibleStrategy, Rules } from './types';

export type ExpiryBasis = 'field' | 'term' | 'consumption';

export type ExpiryResult =
  | { ok: true; at: Date; basis: ExpiryBasis; decidingItem?: PurchaseLine; explanation: string }
  | { ok: false; why: string };

/** The lines of a sale a rule is about; every line when the rule names no products or sections. */
export function matchingLines(rule: Pick<ExpiryRule, 'products' | 'sections'>, sale: Purchase): PurchaseLine[] {
  if (rule.products.length === 0 && rule.sections.length === 0) return [...sale.items];
  return sale.items.filter((line) => lineMatchesStep(line, rule));
}

/** The expiry rules that apply to a won deal (its pipeline is watched and a rule matches). */
export function expiryRulesFor(expiry: ExpiryRules, sale: Purchase): ExpiryRule[] {
  if (!expiry.enabled) return [];
  if (sale.categoryId !== undefined && !expiry.wonIn.includes(sale.categoryId)) return [];
  return expiry.rules.filter((rule) => {
    const anyLine = rule.products.length === 0 && rule.sections.length === 0;
    return anyLine || matchingLines(rule, sale).length > 0;
  });
}

/**
 * When something bought on `from` runs out: quantity ÷ rate per month, whole months on the
 * calendar and the fraction as that share of the following month.
 */
export function consumptionEnd(from: Date, quantity: number, ratePerMonth: number, zone: string): Date {
  const months = quantity / ratePerMonth;
  const whole = Math.floor(months);
  const start = DateTime.fromJSDate(from, { zone });
  const wholeEnd = start.plus({ months: whole });
  const fraction = months - whole;
  if (fraction === 0) return wholeEnd.toJSDate();
  const nextMonthMs = start.plus({ months: whole + 1 }).toMillis() - wholeEnd.toMillis();
  return new Date(wholeEnd.toMillis() + Math.round(fraction * nextMonthMs));
}

/** The expiry date of a sale under a rule; the earliest of its matching lines decides. */
export function expiryDate(rule: ExpiryRule, sale: Purchase, zone: string): ExpiryResult {
  const spec = rule.expiresAt;
  const manual = spec.field === undefined ? undefined : parseCrmDate(sale.fields?.[spec.field], zone);
  if (manual) return { ok: true, at: manual, basis: 'field', explanation: `${rule.name}: ${spec.field} = ${manual.toISOString()}` };
  switch (spec.kind) {
    case 'field':
      return { ok: false, why: `${rule.name}: ${spec.field} is empty or not a date` };
    case 'term': {
      const at = addDuration(sale.at, spec.term, zone);
      return { ok: true, at, basis: 'term', explanation: `${rule.name}: purchase ${sale.at.toISOString()} + ${formatDuration(spec.term)}` };
    }
    case 'consumption': {
      const forecasts = matchingLines(rule, sale).flatMap((line) => {
        const rate = consumptionRate(spec, line, sale);
        if (!rate || line.quantity === undefined || line.quantity <= 0) return [];
        const at = consumptionEnd(sale.at, line.quantity, rate.value, zone);
        const unit = spec.unit ? ` ${spec.unit}` : '';
        const months = Math.round((line.quantity / rate.value) * 100) / 100;
        const label = line.name ?? `product ${line.productId}`;
        return [{ at, line, explanation: `${rule.name}: ${label} ${line.quantity}${unit} ÷ ${rate.value}${unit}/month (${rate.from}) = ${months} months` }];
      });
      if (forecasts.length === 0) return { ok: false, why: `${rule.name}: no line with a quantity and a consumption rate` };
      const earliest = forecasts.reduce((a, b) => (b.at < a.at ? b : a));
      return { ok: true, at: earliest.at, basis: 'consumption', decidingItem: earliest.line, explanation: earliest.explanation };
    }
  }
}

type ConsumptionSpec = Extract<ExpiryRule['expiresAt'], { kind: 'consumption' }>;

/** The monthly rate: the client's (deal field), else the product's (property), else the rule's. */
function consumptionRate(spec: ConsumptionSpec, line: PurchaseLine, sale: Purchase): { value: number; from: string } | undefined {
  const fromField = spec.rateField === undefined ? undefined : positiveNumber(sale.fields?.[spec.rateField]);
  if (fromField !== undefined) return { value: fromField, from: spec.rateField! };
  const fromProperty = spec.rateProperty === undefined ? undefined : positiveNumber(line.properties?.[spec.rateProperty]);
  if (fromProperty !== undefined) return { value: fromProperty, from: spec.rateProperty! };
  if (spec.ratePerMonth !== undefined) return { value: spec.ratePerMonth, from: 'rule' };
  return undefined;
}

/** A number from a field or a product property ("50", 50, {value: "50"}, [{value: "50"}]). */
function positiveNumber(raw: unknown): number | undefined {
  let value = Array.isArray(raw) ? raw[0] : raw;
  if (value && typeof value === 'object' && 'value' in value) value = (value as { value: unknown }).value;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.replace(',', '.').trim()) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export interface ScheduledReminder {
  /** Stable per offset: "before:P1W", "after:P3D". */
  key: string;
  at: Date;
  /** "1 week before" / "3 days after" */
  offset: string;
  /** "за 1 неделю" / "через 3 дня после" — for templates. */
  offsetRu: string;
  action: ReminderRule['action'];
  bizprocTemplateId?: number;
}

/** The reminders still ahead of `now` (past ones dropped), earliest first. */
export function reminderSchedule(expiresAt: Date, reminders: readonly ReminderRule[], now: Date, zone: string): ScheduledReminder[] {
  return reminders
    .map((r): ScheduledReminder => {
      const before = r.before !== undefined;
      const offset = (before ? r.before : r.after)!;
      return {
        key: `${before ? 'before' : 'after'}:${durationToIso(offset)}`,
        at: before ? subtractDuration(expiresAt, offset, zone) : addDuration(expiresAt, offset, zone),
        offset: `${formatDuration(offset)} ${before ? 'before' : 'after'}`,
        offsetRu: before ? `за ${formatDuration(offset, 'ruAccusative')}` : `через ${formatDuration(offset, 'ruAccusative')} после`,
        action: r.action,
        ...(r.bizprocTemplateId !== undefined ? { bizprocTemplateId: r.bizprocTemplateId } : {}),
      };
    })
    .filter((r) => r.at.getTime() >= now.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** Expiry rules with what they inherit from `defaults` filled in. */
export type EffectiveExpiryRules = Omit<ExpiryRules, 'responsible' | 'todoDeadline'> & {
  responsible: ResponsibleStrategy;
  todoDeadline: Deadline;
  calendar: Calendar;
};

/** The expiry-reminder rules in effect, or undefined when the scenario is absent or off. */
export function effectiveExpiryRules(rules: Rules): EffectiveExpiryRules | undefined {
  const expiry = rules.expiry;
  if (!expiry || !expiry.enabled) return undefined;
  return {
    ...expiry,
    responsible: expiry.responsible ?? rules.defaults.responsible,
    todoDeadline: expiry.todoDeadline ?? rules.defaults.todoDeadline,
    calendar: rules.defaults.calendar,
  };
}
