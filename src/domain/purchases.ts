/**
 * Client reactivation after purchases (реактивация клиентов): when a client is expected to buy
 * again. Each bought product has a period — its own, else its catalog section's, else its
 * pipeline's, else the global default — or, when learning is on and the client's own history is
 * long enough, the median gap between the client's purchases of that product, kept within
 * bounds. The earliest due product decides.
 */
import { addDuration, formatDuration, type Deadline, type Duration } from './durations';
import { clampedMedian, describeMedian } from './median';
import type { Calendar, ClientRules, LearningRule, Purchase, PurchaseLine, PurchasePeriods, ResponsibleStrategy, Rules } from './types';

export type PeriodBasis = 'product' | 'section' | 'pipeline' | 'default' | 'learned';

export interface PeriodChoice {
  period: Duration;
  basis: PeriodBasis;
  explanation: string;
}

/** The configured period of a pipeline, else the global default. */
export function pipelinePeriod(categoryId: number | undefined, periods: PurchasePeriods): PeriodChoice {
  const pipeline = categoryId === undefined ? undefined : periods.pipelines.find((p) => p.categoryId === categoryId);
  if (pipeline) return { period: pipeline.period, basis: 'pipeline', explanation: `pipeline ${categoryId}: ${formatDuration(pipeline.period)}` };
  return { period: periods.default, basis: 'default', explanation: `default ${formatDuration(periods.default)}` };
}

/** The configured period of one bought product: product beats section beats pipeline beats default. */
export function periodForLine(line: PurchaseLine, categoryId: number | undefined, periods: PurchasePeriods): PeriodChoice {
  const label = line.name ? `${line.name} (${line.productId})` : `product ${line.productId}`;
  const product = periods.products.find((p) => p.ids.includes(line.productId));
  if (product) return { period: product.period, basis: 'product', explanation: `${label}: ${formatDuration(product.period)}` };
  const sections = [line.sectionId, ...(line.parentSectionIds ?? [])].filter((s): s is number => s !== undefined);
  for (const sectionId of sections) {
    const section = periods.sections.find((s) => s.ids.includes(sectionId));
    if (section) {
      const name = section.name ? `${section.name} (${sectionId})` : `section ${sectionId}`;
      return { period: section.period, basis: 'section', explanation: `${label} in ${name}: ${formatDuration(section.period)}` };
    }
  }
  const fallback = pipelinePeriod(categoryId, periods);
  return { ...fallback, explanation: `${label}: ${fallback.explanation}` };
}

export interface LearnedPeriod {
  period: Duration;
  medianMs: number;
  /** How many purchases it was learned from. */
  purchases: number;
  clamped?: 'min' | 'max';
  explanation: string;
}

/**
 * The median gap between the last `lastPurchases` purchase dates, within [min, max]; undefined
 * when learning is off or there are fewer than `minPurchases` purchases.
 */
export function learnedPeriod(dates: readonly Date[], learning: LearningRule, zone: string): LearnedPeriod | undefined {
  if (!learning.enabled) return undefined;
  const times = [...new Set(dates.map((d) => d.getTime()))].sort((a, b) => a - b).slice(-learning.lastPurchases);
  if (times.length < Math.max(2, learning.minPurchases)) return undefined;
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const learned = clampedMedian(gaps, learning, new Date(times[times.length - 1]!), zone);
  return { ...learned, purchases: times.length, explanation: `median gap of ${times.length} purchases ${describeMedian(learned)}` };
}

export interface ItemDue extends PeriodChoice {
  item: PurchaseLine;
  dueAt: Date;
}

export interface DuePurchase extends PeriodChoice {
  dueAt: Date;
  /** The product whose due date decides; absent for a purchase without product rows. */
  decidingItem?: PurchaseLine;
  items: ItemDue[];
}

/**
 * When the client should buy again after `purchase`: the earliest due of its products.
 * `history` holds the client's earlier purchases (for learning).
 */
export function duePurchase(
  purchase: Purchase,
  rules: Pick<ClientRules, 'periods' | 'learning'>,
  history: readonly Purchase[],
  zone: string,
): DuePurchase {
  if (purchase.items.length === 0) {
    const choice = pipelinePeriod(purchase.categoryId, rules.periods);
    return { ...choice, dueAt: addDuration(purchase.at, choice.period, zone), items: [], explanation: `no product rows; ${choice.explanation}` };
  }
  const items = purchase.items.map((item): ItemDue => {
    const choice = learnedChoice(item, purchase, history, rules.learning, zone) ?? periodForLine(item, purchase.categoryId, rules.periods);
    return { ...choice, item, dueAt: addDuration(purchase.at, choice.period, zone) };
  });
  const earliest = items.reduce((a, b) => (b.dueAt < a.dueAt ? b : a));
  return {
    dueAt: earliest.dueAt,
    period: earliest.period,
    basis: earliest.basis,
    decidingItem: earliest.item,
    items,
    explanation: items.length > 1 ? `earliest of ${items.length} products: ${earliest.explanation}` : earliest.explanation,
  };
}

function learnedChoice(item: PurchaseLine, purchase: Purchase, history: readonly Purchase[], learning: LearningRule | undefined, zone: string): PeriodChoice | undefined {
  if (!learning) return undefined;
  const dates = [...history, purchase].filter((p) => p.items.some((i) => i.productId === item.productId)).map((p) => p.at);
  const learned = learnedPeriod(dates, learning, zone);
  if (!learned) return undefined;
  const label = item.name ? `${item.name} (${item.productId})` : `product ${item.productId}`;
  return { period: learned.period, basis: 'learned', explanation: `${label}: learned, ${learned.explanation}` };
}

export type ClientKey = { kind: 'company' | 'contact'; id: number };

/** Whose purchase cycle a deal counts for (0 or no id = none). */
export function clientOfDeal(deal: { companyId?: number; contactId?: number }, clientOf: ClientRules['clientOf']): ClientKey | undefined {
  const company = deal.companyId ? { kind: 'company' as const, id: deal.companyId } : undefined;
  const contact = deal.contactId ? { kind: 'contact' as const, id: deal.contactId } : undefined;
  if (clientOf === 'company') return company;
  if (clientOf === 'contact') return contact;
  return company ?? contact;
}

export type DueInspection = { state: 'purchased' } | { state: 'openDeal' } | { state: 'none' };

export type ClientCycleStep =
  | { step: 'restart'; why: string }
  | { step: 'nudgeOpenDeal'; why: string }
  | { step: 'newDeal'; why: string }
  | { step: 'forgotten'; why: string };

/**
 * What to do when a client's purchase is due. `cycle` counts due moments without a purchase,
 * 1-based: with maxCycles 3 the client gets three touches, and at the fourth is forgotten.
 */
export function clientCycleStep(inspection: DueInspection, cycle: number, maxCycles: number | null): ClientCycleStep {
  if (inspection.state === 'purchased') return { step: 'restart', why: 'the client bought since; the cycle restarts from that purchase' };
  if (maxCycles !== null && cycle > maxCycles) return { step: 'forgotten', why: `${maxCycles} cycle(s) without a purchase` };
  if (inspection.state === 'openDeal') return { step: 'nudgeOpenDeal', why: `cycle ${cycle}: the client has an open deal` };
  return { step: 'newDeal', why: `cycle ${cycle}: no purchase and no open deal` };
}

/** Client rules with what they inherit from `defaults` filled in. */
export type EffectiveClientRules = Omit<ClientRules, 'responsible' | 'dailyCap' | 'todoDeadline'> & {
  responsible: ResponsibleStrategy;
  dailyCap: number | null;
  todoDeadline: Deadline;
  calendar: Calendar;
  headOfSales: number | null;
};

/** The client-reactivation rules in effect, or undefined when the scenario is absent or off. */
export function effectiveClientRules(rules: Rules): EffectiveClientRules | undefined {
  const clients = rules.clients;
  if (!clients || !clients.enabled) return undefined;
  const defaults = rules.defaults;
  return {
    ...clients,
    responsible: clients.responsible ?? defaults.responsible,
    dailyCap: clients.dailyCap === undefined ? defaults.dailyCap : clients.dailyCap,
    todoDeadline: clients.todoDeadline ?? defaults.todoDeadline,
    calendar: defaults.calendar,
    headOfSales: defaults.headOfSales ?? null,
  };
}
