/**
 * Sales chains (цепочки продаж): a purchase of one step (foundation) predicts the next (walls)
 * after a typical gap. The client's furthest bought step counts; steps bought together or
 * earlier are skipped.
 */
import { addDuration, durationToIso, formatDuration } from './durations';
import type { ChainStep, Purchase, PurchaseLine, SalesChain } from './types';

/** Whether a bought line belongs to a chain step (by product, or by section or a parent section). */
export function lineMatchesStep(line: PurchaseLine, step: Pick<ChainStep, 'products' | 'sections'>): boolean {
  if (step.products.includes(line.productId)) return true;
  const sections = [line.sectionId, ...(line.parentSectionIds ?? [])];
  return sections.some((s) => s !== undefined && step.sections.includes(s));
}

export interface ChainOffer {
  chain: string;
  /** 0-based index of the offered step. */
  stepIndex: number;
  step: string;
  dueAt: Date;
  /** Stable key: the same offer for the same anchor purchase is made once. */
  key: string;
  /** "Стены (шаг 2 цепочки «Дом»)" */
  label: string;
  explanation: string;
}

/**
 * The next step to offer: the one after the furthest step the client has bought, due the
 * step's gap after the latest purchase of that furthest step. Undefined when the client has
 * bought no step or the chain is complete.
 */
export function nextChainOffer(chain: SalesChain, purchases: readonly Purchase[], zone: string): ChainOffer | undefined {
  let furthest = -1;
  let anchor: Purchase | undefined;
  for (const purchase of purchases) {
    chain.steps.forEach((step, index) => {
      if (!purchase.items.some((line) => lineMatchesStep(line, step))) return;
      if (index > furthest || (index === furthest && anchor && purchase.at > anchor.at)) {
        furthest = index;
        anchor = purchase;
      }
    });
  }
  if (furthest < 0 || !anchor) return undefined;
  const nextIndex = furthest + 1;
  const next = chain.steps[nextIndex];
  if (!next) return undefined;
  const gap = next.after!;
  const dueAt = addDuration(anchor.at, gap, zone);
  const bought = chain.steps[furthest]!.name;
  return {
    chain: chain.name,
    stepIndex: nextIndex,
    step: next.name,
    dueAt,
    key: `chain:${chain.name}:${nextIndex}:${anchor.dealId ?? anchor.at.toISOString()}`,
    label: `${next.name} (шаг ${nextIndex + 1} цепочки «${chain.name}»)`,
    explanation: `bought "${bought}" (step ${furthest + 1}) on ${anchor.at.toISOString()}; "${next.name}" typically ${formatDuration(gap)} (${durationToIso(gap)}) later`,
  };
}
