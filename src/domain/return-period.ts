/**
 * Return period (срок возврата) of a lost deal: static per reason, computed from the deal
 * (amount brackets, product section, source), learned from the waits (loss → reactivation) of the
 * reason's past reactivations that were won, or chosen by the manager (a date field, or a list
 * field whose items mean periods) with a default. A date a manager sends later (API/signal)
 * wins over all of them when it is within the bounds.
 */
import { parseCrmDate } from './dates';
import { addDuration, formatDuration, type Duration } from './durations';
import { clampedMedian, describeMedian } from './median';
import type { CrmFields, DateBounds, ReturnPeriodRule } from './types';

export type ReturnBasis = 'static' | 'computed' | 'manager' | 'default';

/** What the return period may depend on, read from the lost deal by an activity. */
export interface LostDealFacts {
  /** When the deal was lost (the period counts from here); `now` when unknown. */
  lostAt?: Date;
  amount?: number;
  /** Catalog sections of the deal's products (and their parents). */
  sectionIds?: readonly number[];
  sourceId?: string;
  fields?: CrmFields;
  /** Waits (ms, loss → reactivation deal) of the reason's past reactivations that were won, for a `learned` rule. */
  pastConversionsMs?: readonly number[];
  /** A date a manager chose later (API or signal), ISO 8601. */
  managerReturnAt?: string;
}

export interface ReturnDecision {
  /** When to bring it back: the due moment, or `now` if that has already passed. */
  wakeAt: Date;
  /** lostAt + period (or the manager's date), before the catch-up to `now`. */
  dueAt: Date;
  basis: ReturnBasis;
  /** The period used; absent when the manager chose a date. */
  period?: Duration;
  explanation: string;
}

export type ManagerDateCheck =
  | { ok: true; at: Date }
  | { ok: false; problem: 'invalid' | 'past' | 'tooSoon' | 'tooFar'; message: string };

/**
 * Checks a manager's date (see parseCrmDate) against the bounds: not invalid, not past, not too
 * soon, not too far.
 */
export function validateManagerDate(value: unknown, now: Date, bounds: DateBounds, zone: string): ManagerDateCheck {
  const at = parseCrmDate(value, zone);
  if (!at) return { ok: false, problem: 'invalid', message: `"${String(value)}" is not a date` };
  if (at.getTime() <= now.getTime()) return { ok: false, problem: 'past', message: `${at.toISOString()} is in the past` };
  const earliest = addDuration(now, bounds.minAhead, zone);
  if (at < earliest) {
    return { ok: false, problem: 'tooSoon', message: `${at.toISOString()} is sooner than ${formatDuration(bounds.minAhead)} ahead` };
  }
  const latest = addDuration(now, bounds.maxAhead, zone);
  if (at > latest) {
    return { ok: false, problem: 'tooFar', message: `${at.toISOString()} is further than ${formatDuration(bounds.maxAhead)} ahead` };
  }
  return { ok: true, at };
}

/** The bounds as milliseconds from `now` (for validators that only compare numbers). */
export function managerDateBoundsMs(bounds: DateBounds, now: Date, zone: string): { minAheadMs: number; maxAheadMs: number } {
  return {
    minAheadMs: addDuration(now, bounds.minAhead, zone).getTime() - now.getTime(),
    maxAheadMs: addDuration(now, bounds.maxAhead, zone).getTime() - now.getTime(),
  };
}

interface PeriodChoice {
  basis: ReturnBasis;
  period: Duration;
  explanation: string;
}

/** The reason's period from its rule and the deal (without a later manager date). */
export function choosePeriod(rule: ReturnPeriodRule, facts: LostDealFacts, now: Date, bounds: DateBounds, zone: string): PeriodChoice | { basis: 'manager'; at: Date; explanation: string } {
  switch (rule.kind) {
    case 'static':
      return { basis: 'static', period: rule.period, explanation: `static period ${formatDuration(rule.period)}` };
    case 'byAmount': {
      if (facts.amount === undefined) {
        return { basis: 'computed', period: rule.otherwise, explanation: `no amount; otherwise ${formatDuration(rule.otherwise)}` };
      }
      const bracket = rule.brackets.find((b) => facts.amount! < b.below);
      if (bracket) {
        return { basis: 'computed', period: bracket.period, explanation: `amount ${facts.amount} < ${bracket.below} → ${formatDuration(bracket.period)}` };
      }
      const top = rule.brackets[rule.brackets.length - 1]!.below;
      return { basis: 'computed', period: rule.otherwise, explanation: `amount ${facts.amount} ≥ ${top} → ${formatDuration(rule.otherwise)}` };
    }
    case 'bySection': {
      const sections = facts.sectionIds ?? [];
      const hit = rule.cases.find((c) => c.sections.some((s) => sections.includes(s)));
      if (hit) {
        const section = hit.sections.find((s) => sections.includes(s));
        return { basis: 'computed', period: hit.period, explanation: `product section ${section} → ${formatDuration(hit.period)}` };
      }
      return { basis: 'computed', period: rule.otherwise, explanation: `no listed product section; otherwise ${formatDuration(rule.otherwise)}` };
    }
    case 'bySource': {
      const hit = facts.sourceId === undefined ? undefined : rule.cases.find((c) => c.sources.includes(facts.sourceId!));
      if (hit) return { basis: 'computed', period: hit.period, explanation: `source ${facts.sourceId} → ${formatDuration(hit.period)}` };
      return {
        basis: 'computed',
        period: rule.otherwise,
        explanation: `source ${facts.sourceId ?? '(none)'} not listed; otherwise ${formatDuration(rule.otherwise)}`,
      };
    }
    case 'learned': {
      const samples = (facts.pastConversionsMs ?? []).filter((ms) => Number.isFinite(ms) && ms > 0);
      if (samples.length < rule.minSamples) {
        return {
          basis: 'computed',
          period: rule.otherwise,
          explanation: `only ${samples.length} past conversion${samples.length === 1 ? '' : 's'} (< ${rule.minSamples}); otherwise ${formatDuration(rule.otherwise)}`,
        };
      }
      const learned = clampedMedian(samples, rule, facts.lostAt ?? now, zone);
      return { basis: 'computed', period: learned.period, explanation: `median of ${samples.length} past conversions: ${describeMedian(learned)}` };
    }
    case 'manager': {
      const notes: string[] = [];
      if (rule.dateField !== undefined) {
        const value = facts.fields?.[rule.dateField];
        if (isFilled(value)) {
          const check = validateManagerDate(value, now, bounds, zone);
          if (check.ok) return { basis: 'manager', at: check.at, explanation: `manager chose ${check.at.toISOString()} in ${rule.dateField}` };
          notes.push(`${rule.dateField} rejected: ${check.message}`);
        }
      }
      if (rule.listField !== undefined) {
        const value = firstValue(facts.fields?.[rule.listField]);
        if (value !== undefined) {
          const option = rule.options.find((o) => o.value === value);
          if (option) {
            return { basis: 'manager', period: option.period, explanation: `manager chose "${value}" in ${rule.listField} → ${formatDuration(option.period)}` };
          }
          notes.push(`${rule.listField} item "${value}" has no period`);
        }
      }
      const why = notes.length > 0 ? notes.join('; ') : 'manager chose nothing';
      return { basis: 'default', period: rule.default, explanation: `${why}; default ${formatDuration(rule.default)}` };
    }
  }
}

function isFilled(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && value !== false;
}

/** A list field value: a scalar, or the first item of a multiple list. */
function firstValue(value: unknown): string | undefined {
  const item = Array.isArray(value) ? value[0] : value;
  if (typeof item === 'string' && item.trim() !== '') return item.trim();
  if (typeof item === 'number') return String(item);
  return undefined;
}

/**
 * When a lost deal comes back: a later manager date (if valid) wins; else the reason's rule.
 * The period counts from the loss; a due moment already past means "now".
 */
export function resolveReturnPeriod(
  reason: { name: string; returnPeriod: ReturnPeriodRule; managerDates: DateBounds },
  facts: LostDealFacts,
  now: Date,
  zone: string,
): ReturnDecision {
  const from = facts.lostAt ?? now;
  let rejected = '';
  if (facts.managerReturnAt !== undefined) {
    const check = validateManagerDate(facts.managerReturnAt, now, reason.managerDates, zone);
    if (check.ok) {
      return { wakeAt: check.at, dueAt: check.at, basis: 'manager', explanation: `${reason.name}: manager set ${check.at.toISOString()}` };
    }
    rejected = ` (manager date rejected: ${check.message})`;
  }
  const choice = choosePeriod(reason.returnPeriod, facts, now, reason.managerDates, zone);
  if ('at' in choice) {
    return { wakeAt: choice.at, dueAt: choice.at, basis: 'manager', explanation: `${reason.name}: ${choice.explanation}${rejected}` };
  }
  const dueAt = addDuration(from, choice.period, zone);
  const overdue = dueAt.getTime() < now.getTime();
  return {
    wakeAt: overdue ? now : dueAt,
    dueAt,
    basis: choice.basis,
    period: choice.period,
    explanation: `${reason.name}: ${choice.explanation}${overdue ? `; due ${dueAt.toISOString()} already passed, so now` : ''}${rejected}`,
  };
}
