/**
 * The next touches of one client's purchase cycle: the repurchase due (cycle n is due n periods
 * after the purchase; a valid manager date wins) and the next step of every sales chain not yet
 * offered, each moved into working hours and never before now. No I/O.
 */
import { nextWorkingSlot } from './calendar';
import { nextChainOffer } from './chains';
import { addDuration, formatDuration } from './durations';
import { duePurchase } from './purchases';
import { validateManagerDate } from './return-period';
import type { Calendar, ClientRules, Purchase } from './types';

export interface PlannedTouch {
  /** Stable key: also the idempotency key of whatever the touch creates. */
  key: string;
  kind: 'repurchase' | 'chain';
  at: string;
  /** Words for ops (English). */
  label: string;
  /** Template variables for texts Bitrix24 users read. */
  words: { period?: string; chain?: string; step?: string };
}

export interface ClientCycleRequest {
  cycle: number;
  /** Keys of the touches already made for this purchase. */
  offersMade: readonly string[];
  managerDueAt?: string;
}

export function planClientTouches(
  clients: ClientRules,
  calendar: Calendar,
  purchase: Purchase,
  /** The client's earlier purchases (may include this one). */
  history: readonly Purchase[],
  req: ClientCycleRequest,
  at: Date,
): { why: string; touches: PlannedTouch[] } {
  const zone = calendar.timeZone;
  const due = duePurchase(purchase, clients, history.filter((p) => p.dealId !== purchase.dealId), zone);
  // Cycle n is due n periods after the purchase.
  let dueAt = due.dueAt;
  for (let i = 1; i < req.cycle; i++) dueAt = addDuration(dueAt, due.period, zone);
  let why = `${due.explanation}; cycle ${req.cycle}`;
  if (req.managerDueAt) {
    const check = validateManagerDate(req.managerDueAt, at, clients.dueDates, zone);
    if (check.ok) {
      dueAt = check.at;
      why = `manager set ${check.at.toISOString()}`;
    } else why += ` (manager date rejected: ${check.message})`;
  }
  const touches: PlannedTouch[] = [
    {
      key: `cycle-${req.cycle}`,
      kind: 'repurchase',
      at: nextWorkingSlot(dueAt < at ? at : dueAt, calendar).toISOString(),
      label: `repurchase due (cycle ${req.cycle}): ${due.decidingItem?.name ?? 'the last purchase'} every ${formatDuration(due.period)}`,
      words: { period: formatDuration(due.period, 'ruAccusative') },
    },
  ];
  for (const chain of clients.chains) {
    const offer = nextChainOffer(chain, [...history, purchase], zone);
    if (offer && !req.offersMade.includes(offer.key)) {
      touches.push({ key: offer.key, kind: 'chain', at: nextWorkingSlot(offer.dueAt < at ? at : offer.dueAt, calendar).toISOString(), label: offer.label, words: { chain: offer.chain, step: offer.step } });
      why += `; chain: ${offer.explanation}`;
    }
  }
  return { why, touches };
}
