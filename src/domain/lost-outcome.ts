/**
 * What the lost-deal scenario decides around a reactivation: which notice a step sends, what
 * became of the reactivation (won, lost again, deleted, open), and where a forgotten client's
 * element goes. (Whether the client came back since the loss: client-return.ts.)
 * Plain shapes in, plain decisions out; no I/O.
 */
import type { LostElement } from './lost-element';
import { findLostRule } from './lost-rules';
import type { Rules } from './types';

type Semantic = 'P' | 'S' | 'F' | null;

/** A step's notice as the workflow names it. */
export type LostNoticeName = 'loss' | 'beforeReturn' | 'return' | 'forgotten' | 'cancelled';
/** The key of a notice in the rules' `notifications` and `templates`. */
export type LostNoticeSlot = 'atLoss' | 'beforeReturn' | 'atReturn' | 'onForgotten';

/** The rules' key of a notice; undefined for a notice nobody is sent (a cancellation). */
export function lostNoticeSlot(notice: LostNoticeName): LostNoticeSlot | undefined {
  switch (notice) {
    case 'loss':
      return 'atLoss';
    case 'beforeReturn':
      return 'beforeReturn';
    case 'return':
      return 'atReturn';
    case 'forgotten':
      return 'onForgotten';
    case 'cancelled':
      return undefined;
  }
}

export type LostOutcome =
  | { state: 'open' }
  | { state: 'won' }
  | { state: 'lost'; stageId: string; lostAt: string }
  | { state: 'deleted' };

/** A followed deal (stage) or lead (status), as read now; null when it is gone. */
export type FollowedRecord =
  | { stageId: string; stageSemantic: Semantic; movedAt: string | null; modifiedAt: string | null }
  | { statusId: string; statusSemantic: Semantic; movedAt: string | null; modifiedAt: string | null };

/** What became of a reactivation: won, lost again (with the loss), deleted, or still open. */
export function reactivationOutcome(record: FollowedRecord | null, now: Date): LostOutcome {
  if (!record) return { state: 'deleted' };
  const [semantic, stageId] = 'stageId' in record ? [record.stageSemantic, record.stageId] : [record.statusSemantic, record.statusId];
  if (semantic === 'S') return { state: 'won' };
  if (semantic === 'F') return { state: 'lost', stageId, lostAt: record.movedAt ?? record.modifiedAt ?? now.toISOString() };
  return { state: 'open' };
}

export type ForgottenStep =
  | { step: 'none' }
  | { step: 'setStatus'; statusId: string }
  | { step: 'setStage'; stageId: string }
  /** The forgotten stage is in another pipeline: the deal moves there (crm.item.update; crm.deal.update cannot). */
  | { step: 'movePipeline'; categoryId: number; stageId: string };

/**
 * Where the element of a client reactivated too often goes: a lead to the leads' forgotten
 * status; a deal to its rule's forgotten stage (or lostDeals' when no rule matches any more).
 * Nothing when there is no such stage or the element is already there.
 */
export function forgottenStep(rules: Rules, element: LostElement): ForgottenStep {
  if (element.entity === 'lead') {
    const forgotten = rules.lostDeals.leads?.forgotten;
    return forgotten && element.lead.statusId !== forgotten.statusId ? { step: 'setStatus', statusId: forgotten.statusId } : { step: 'none' };
  }
  const deal = element.ctx.deal;
  const found = findLostRule(rules, { entity: 'deal', categoryId: deal.categoryId, stageId: deal.stageId, fields: deal.userFields });
  const forgotten = found.decision === 'reactivate' && found.rule.entity === 'deal' ? found.rule.forgotten : rules.lostDeals.forgotten;
  if (!forgotten || deal.stageId === forgotten.stageId) return { step: 'none' };
  if (forgotten.categoryId !== deal.categoryId) return { step: 'movePipeline', categoryId: forgotten.categoryId, stageId: forgotten.stageId };
  return { step: 'setStage', stageId: forgotten.stageId };
}
