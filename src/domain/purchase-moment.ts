/**
 * When a won deal was bought: the moment it entered its won stage. Periods, learning, the
 * backfill's `--since` and "bought since?" all count from it.
 *
 * Not CLOSEDATE first: whether closing a deal rewrites CLOSEDATE is a portal setting, and with it
 * off CLOSEDATE keeps the planned date — by default the creation day plus 7 days
 * (crm-deal-add.md), often still ahead when the deal is won. In order:
 *  1. the stage history (crm.stagehistory.list): the latest move into a success stage as a
 *     final-stage transition (TYPE_ID 3) that the deal has not left since; else the move into
 *     its current stage when that is its latest move (created already won, TYPE_ID 1, or moved
 *     there with a pipeline change, TYPE_ID 5);
 *  2. MOVED_TIME ("date of the last stage change", crm-deal-get.md) while the deal is still in a
 *     success stage — that last change is the move into it;
 *  3. CLOSEDATE, a last resort for old history (no stage history, no MOVED_TIME), never later
 *     than the deal's last change: a deal is not won after it was last modified.
 * A deal created already won with a CLOSEDATE whose day ended before its creation is a purchase
 * recorded after the fact (an import): CLOSEDATE is then the only record of when it happened.
 * Whatever the basis, never a moment after `now`.
 */
type StageSemantic = 'P' | 'S' | 'F';

/** One entry of a deal's stage history, as crm.stagehistory.list gives it. */
export interface StageMove {
  id?: number;
  /** TYPE_ID: 1 created, 2 to an intermediate stage, 3 to a final stage, 5 pipeline changed. */
  typeId: number;
  stageId: string;
  semantic: StageSemantic | null;
  /** When the deal entered the stage. */
  createdTime: string | null;
}

/** What the rule reads of the deal itself. */
export interface WonDealFacts {
  stageId: string;
  stageSemantic: StageSemantic | null;
  movedAt: string | null;
  closeDate: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
}

export type PurchaseMomentBasis = 'stageHistory' | 'movedTime' | 'closeDate' | 'lastChange' | 'now';

export interface PurchaseMoment {
  at: Date;
  basis: PurchaseMomentBasis;
  /** The basis named a later moment: bounded by the deal's last change, or by now. */
  clamped?: 'lastChange' | 'now';
  /** For logs and status pages (English). */
  explanation: string;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : Number.NaN);
const iso = (t: number): string => new Date(t).toISOString();

interface Pick {
  at: number;
  basis: PurchaseMomentBasis;
  explanation: string;
}

function lastIndex<T>(list: readonly T[], test: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i]!)) return i;
  return -1;
}

/** The history entry of the move into the won stage, if the history shows one. */
function wonMove(deal: WonDealFacts, history: readonly StageMove[]): StageMove | undefined {
  const moves = history.filter((m) => Number.isFinite(ms(m.createdTime))).sort((a, b) => ms(a.createdTime) - ms(b.createdTime) || (a.id ?? 0) - (b.id ?? 0));
  const won = deal.stageSemantic === 'S';
  const success = (m: StageMove) => m.semantic === 'S' || (m.semantic === null && won && m.stageId === deal.stageId);
  const final = lastIndex(moves, (m) => m.typeId === 3 && success(m));
  // Still won since that move (a pipeline change between success stages keeps it won).
  if (final >= 0 && (!won || moves.slice(final + 1).every(success))) return moves[final];
  if (!won) return moves[lastIndex(moves, success)];
  const last = moves[moves.length - 1];
  return last && last.stageId === deal.stageId ? last : undefined;
}

/** Created already won with a close date whose whole day ended before the creation: an import. */
function recordedAfterTheFact(deal: WonDealFacts, createdInStage: boolean): boolean {
  return createdInStage && ms(deal.closeDate) + DAY_MS <= ms(deal.createdAt);
}

const afterTheFact = (deal: WonDealFacts): Pick => ({
  at: ms(deal.closeDate),
  basis: 'closeDate',
  explanation: `CLOSEDATE ${deal.closeDate}: created already won on ${deal.createdAt} with an earlier close date, a purchase recorded after the fact`,
});

function choose(deal: WonDealFacts, history: readonly StageMove[] | null): Pick | undefined {
  const move = history ? wonMove(deal, history) : undefined;
  if (move) {
    if (recordedAfterTheFact(deal, move.typeId === 1)) return afterTheFact(deal);
    const how = move.typeId === 1 ? 'created in' : move.typeId === 5 ? 'moved with its pipeline into' : 'moved into';
    return { at: ms(move.createdTime), basis: 'stageHistory', explanation: `${how} ${move.stageId} at ${move.createdTime} (stage history)` };
  }
  const moved = ms(deal.movedAt);
  if (deal.stageSemantic === 'S' && Number.isFinite(moved)) {
    if (recordedAfterTheFact(deal, Math.abs(moved - ms(deal.createdAt)) < MINUTE_MS)) return afterTheFact(deal);
    const why = history === null ? 'stage history unreadable' : history.length > 0 ? 'stage history does not show the move into it' : 'no stage history';
    return { at: moved, basis: 'movedTime', explanation: `in ${deal.stageId} since ${deal.movedAt} (MOVED_TIME; ${why})` };
  }
  const close = ms(deal.closeDate);
  if (Number.isFinite(close)) return { at: close, basis: 'closeDate', explanation: `CLOSEDATE ${deal.closeDate} (no stage history, no MOVED_TIME in its won stage)` };
  const changed = ms(deal.modifiedAt);
  if (Number.isFinite(changed)) return { at: changed, basis: 'lastChange', explanation: `last change ${deal.modifiedAt} (no stage history, MOVED_TIME or CLOSEDATE)` };
  return undefined;
}

/**
 * The purchase moment of a won deal from its stage history (`null`: the portal would not give
 * it; `[]`: none recorded), its own fields, and `now`.
 */
export function purchaseMoment(deal: WonDealFacts, history: readonly StageMove[] | null, now: Date): PurchaseMoment {
  const pick = choose(deal, history);
  if (!pick) return { at: now, basis: 'now', explanation: 'nothing on the deal says when it was won: now' };
  let at = pick.at;
  let clamped: PurchaseMoment['clamped'];
  const changed = ms(deal.modifiedAt);
  if (pick.basis === 'closeDate' && Number.isFinite(changed) && at > changed) {
    at = changed;
    clamped = 'lastChange';
  }
  if (at > now.getTime()) {
    at = now.getTime();
    clamped = 'now';
  }
  const bound = clamped === 'now' ? `; after now, so now (${iso(at)})` : clamped === 'lastChange' ? `; after its last change, so that (${iso(at)})` : '';
  return { at: new Date(at), basis: pick.basis, ...(clamped ? { clamped } : {}), explanation: pick.explanation + bound };
}
