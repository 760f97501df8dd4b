/**
 * One lost deal's reactivation: when it comes back (in working time, with reminders before),
 * what the new deal carries for analytics, and what happens after its outcome — won → done,
 * lost again → the next attempt with the new reason's period, limit → «Забытый клиент».
 */
import { formatLocal, nextWorkingSlot, type SlotOptions } from './calendar';
import { formatDuration, type Duration } from './durations';
import type { EffectiveLostRule, LostRuleDecision } from './lost-rules';
import { returnReminders } from './notifications';
import { resolveReturnPeriod, type LostDealFacts, type ReturnBasis } from './return-period';
import type { TemplateVars } from './templates';
import type { Marks } from './types';

export interface ReturnPlan {
  /** The wake-up moment, moved into working time. */
  returnAt: Date;
  /** The moment the period (or the manager) gives, before the calendar. */
  dueAt: Date;
  basis: ReturnBasis;
  period?: Duration;
  explanation: string;
  /** "N before the return" reminders still ahead; empty when nobody is to be reminded. */
  remindAt: Date[];
}

/** Plans the return of a lost deal under its effective rule. */
export function planReturn(rule: EffectiveLostRule, facts: LostDealFacts, now: Date, options: SlotOptions = {}): ReturnPlan {
  const zone = rule.calendar.timeZone;
  const decision = resolveReturnPeriod({ name: rule.reason.name, returnPeriod: rule.returnPeriod, managerDates: rule.managerDates }, facts, now, zone);
  const returnAt = nextWorkingSlot(decision.wakeAt, rule.calendar, options);
  const moved = returnAt.getTime() !== decision.wakeAt.getTime();
  const before = rule.notifications.beforeReturn;
  return {
    returnAt,
    dueAt: decision.dueAt,
    basis: decision.basis,
    period: decision.period,
    explanation: moved ? `${decision.explanation}; moved into working time ${returnAt.toISOString()}` : decision.explanation,
    remindAt: before.manager || before.head ? returnReminders(returnAt, before.before, now, zone) : [],
  };
}

export type ReactivationOutcome =
  | { state: 'open' }
  | { state: 'won' }
  | { state: 'deleted' }
  /** Lost again: `next` is the rule lookup for the new loss reason. */
  | { state: 'lost'; next: LostRuleDecision };

export type NextStep =
  | { step: 'follow'; why: string }
  | { step: 'done'; why: string }
  | { step: 'nextAttempt'; attempt: number; rule: EffectiveLostRule; why: string }
  | { step: 'forgotten'; why: string }
  | { step: 'stop'; why: string };

/** What to do after the reactivation deal of `attempt` (1-based) changed. */
export function nextStep(outcome: ReactivationOutcome, attempt: number, maxReactivations: number | null): NextStep {
  switch (outcome.state) {
    case 'open':
      return { step: 'follow', why: `attempt ${attempt} is in progress` };
    case 'won':
      return { step: 'done', why: `attempt ${attempt} won` };
    case 'deleted':
      return { step: 'done', why: `the reactivation of attempt ${attempt} was deleted` };
    case 'lost': {
      if (outcome.next.decision === 'skip') return { step: 'stop', why: `lost again: ${outcome.next.why}` };
      if (maxReactivations !== null && attempt >= maxReactivations) {
        return { step: 'forgotten', why: `lost again; limit of ${maxReactivations} reactivations reached` };
      }
      const rule = outcome.next.rule;
      return { step: 'nextAttempt', attempt: attempt + 1, rule, why: `lost again with «${rule.reason.name}»; attempt ${attempt + 1}` };
    }
  }
}

/** The analytics marks a reactivation deal carries: source deal, reason, attempt, date. */
export function reactivationMarks(
  marks: Marks,
  mark: { sourceId: number; reason: string; attempt: number; at: Date },
): Record<string, string | number> {
  return {
    [marks.sourceField]: mark.sourceId,
    [marks.reasonField]: mark.reason,
    [marks.attemptField]: mark.attempt,
    [marks.dateField]: mark.at.toISOString(),
  };
}

/** Template variables of a lost-deal message, with dates and periods as managers read them. */
export function lostMessageVars(
  facts: {
    title?: string;
    client?: string;
    reason: string;
    lostAt?: Date;
    returnAt?: Date;
    period?: Duration;
    attempt: number;
    maxAttempts: number | null;
    manager?: string;
    link?: string;
    originalLink?: string;
    reactivationTitle?: string;
    reactivationLink?: string;
  },
  zone: string,
): TemplateVars {
  return {
    title: facts.title,
    client: facts.client,
    reason: facts.reason,
    lostDate: facts.lostAt && formatLocal(facts.lostAt, zone, false),
    returnDate: facts.returnAt && formatLocal(facts.returnAt, zone),
    period: facts.period && formatDuration(facts.period, 'ru'),
    attempt: facts.attempt,
    maxAttempts: facts.maxAttempts ?? '∞',
    manager: facts.manager,
    link: facts.link,
    originalLink: facts.originalLink ?? facts.link,
    reactivationTitle: facts.reactivationTitle,
    reactivationLink: facts.reactivationLink,
  };
}
