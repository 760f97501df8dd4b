/**
 * "The client came back": a deal of the client CREATED or WON after a moment — the loss, for the
 * lost-deal scenario; the purchase the cycle counts from, for the client cycle. A deal that was
 * already open before that moment is a parallel deal (common in B2B), not a return.
 *
 * What a lost deal's reactivation does about it: a client who came back (won a deal, or opened
 * one that is already closed) is not reactivated; a client with a newer open deal is handled by
 * the rule's `openDeal` (copy anyway / a to-do on that deal / skip). Plain facts in, plain
 * decisions out; no I/O.
 */
import type { OpenDealRule } from './rule-types';

type Semantic = 'P' | 'S' | 'F' | null;

/** One deal of the client, as far as a return is concerned. */
export interface ClientDealFact {
  id: number;
  title?: string | undefined;
  /** Made by the service (a reactivation, a purchase-cycle touch, a renewal). */
  ours: boolean;
  stageSemantic: Semantic;
  createdAt: string | null;
  /** When it was won (wonMoment); null when it is not won. */
  wonAt: string | null;
  assignedById?: number | null | undefined;
}

/**
 * When a won deal entered its won stage: MOVED_TIME while it is in that stage (a won stage is
 * final, so the deal is still there), else CLOSEDATE. The one place the scenario reads it;
 * the purchase-moment rule (stage history) may replace it.
 */
export function wonMoment(deal: { stageSemantic: Semantic; movedAt: string | null; closeDate: string | null }): string | null {
  if (deal.stageSemantic !== 'S') return null;
  return deal.movedAt ?? deal.closeDate;
}

export type ClientReturn =
  /** A deal won after the moment, or created after it and already lost: the client was back. */
  | { state: 'cameBack'; deal: ClientDealFact; how: 'won' | 'created'; why: string }
  /** A deal of someone else than the service, created after the moment and still open. */
  | { state: 'newerOpenDeal'; deal: ClientDealFact; why: string }
  | { state: 'none'; why: string };

const at = (iso: string | null): number => (iso ? Date.parse(iso) : NaN);
const isOpen = (d: ClientDealFact) => d.stageSemantic !== 'S' && d.stageSemantic !== 'F';
const newestFirst = (a: ClientDealFact, b: ClientDealFact) => b.id - a.id;

/**
 * What the client did since `since` (the loss): came back, has a newer open deal, or neither.
 * `exclude`: the lost deal itself and the deals of the same chain. A deal created in the same
 * second as the moment counts as after it (the portal keeps seconds). Our own open deals
 * (earlier reactivations, purchase-cycle touches) are no sign of the client; a deal we made that
 * the client WON is.
 */
export function clientReturnSince(deals: readonly ClientDealFact[], since: string, exclude: readonly number[] = []): ClientReturn {
  const from = Date.parse(since);
  const mine = deals.filter((d) => !exclude.includes(d.id));
  const won = mine.filter((d) => d.stageSemantic === 'S' && at(d.wonAt) >= from).sort((a, b) => at(b.wonAt) - at(a.wonAt));
  if (won[0]) return { state: 'cameBack', deal: won[0], how: 'won', why: `the client bought since the loss (deal ${won[0].id} won)` };
  const newer = mine.filter((d) => !d.ours && at(d.createdAt) >= from).sort(newestFirst);
  const open = newer.find(isOpen);
  if (open) return { state: 'newerOpenDeal', deal: open, why: `the client already has an active deal ${open.id}, opened after the loss` };
  const lostSince = newer.find((d) => d.stageSemantic === 'F');
  if (lostSince) return { state: 'cameBack', deal: lostSince, how: 'created', why: `the client came back after the loss (deal ${lostSince.id}, lost since)` };
  const older = mine.filter((d) => !d.ours && isOpen(d)).length;
  return { state: 'none', why: older > 0 ? `no deal created or won since the loss; ${older} older open deal(s) do not count` : 'no deal created or won since the loss' };
}

export type ReturnStep =
  | { step: 'reactivate'; why: string }
  /** A to-do for the manager on the client's newer open deal, instead of a reactivation. */
  | { step: 'todo'; deal: ClientDealFact; why: string }
  /** No reactivation; the lost deal's timeline says why (and the manager hears, when configured). */
  | { step: 'skip'; trace: 'cameBack' | 'openDeal'; deal: ClientDealFact; how: 'won' | 'created' | 'open'; why: string };

/** What a lost deal's reactivation does about what the client did since the loss. */
export function returnStep(found: ClientReturn, openDeal: OpenDealRule): ReturnStep {
  switch (found.state) {
    case 'none':
      return { step: 'reactivate', why: found.why };
    case 'cameBack':
      return { step: 'skip', trace: 'cameBack', deal: found.deal, how: found.how, why: found.why };
    case 'newerOpenDeal':
      if (openDeal === 'copy') return { step: 'reactivate', why: `${found.why}; openDeal: copy` };
      if (openDeal === 'todo') return { step: 'todo', deal: found.deal, why: `${found.why}; openDeal: todo on deal ${found.deal.id}` };
      return { step: 'skip', trace: 'openDeal', deal: found.deal, how: 'open', why: `${found.why}; openDeal: skip` };
  }
}

/**
 * The client cycle's "open deal" at the due time: an open deal created since the purchase the
 * cycle counts from (someone else's first, else ours — the cycle's own touch deal), newest first.
 * An open deal older than that purchase runs in parallel and does not count.
 */
export function openDealSince<T extends { id: number; ours: boolean; createdAt: string | null }>(open: readonly T[], since: string): T | undefined {
  const from = Date.parse(since);
  const newer = open.filter((d) => at(d.createdAt) >= from).sort((a, b) => b.id - a.id);
  return newer.find((d) => !d.ours) ?? newer[0];
}
