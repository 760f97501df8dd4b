/**
 * Rule lookup for a lost deal or a junk lead: which reason it is, whether it is reactivated, and
 * the effective rule — the reason's own settings over its pipeline's, over `lostDeals`, over
 * `defaults`.
 */
import type { Deadline, Duration } from './durations';
import { newStageOf } from './stages';
import type {
  Calendar,
  CrmFields,
  DateBounds,
  DealForgotten,
  DealTarget,
  LeadForgotten,
  LeadTarget,
  LostNotifications,
  LostNotificationsOverride,
  LostTemplates,
  Marks,
  OpenDealRule,
  ResponsibleStrategy,
  ReturnPeriodRule,
  Rules,
} from './types';

export type LostLookup =
  | { entity: 'deal'; categoryId: number; stageId: string; fields?: CrmFields }
  | { entity: 'lead'; statusId: string; fields?: CrmFields };

export interface LossReason {
  /** The stage id, status id or field value that identifies the reason. */
  key: string;
  name: string;
  /** Where the reason was read from; `other` = the pipeline's otherReasons rule. */
  from: 'stage' | 'status' | 'field' | 'other';
}

interface EffectiveLostRuleBase {
  reason: LossReason;
  returnPeriod: ReturnPeriodRule;
  managerDates: DateBounds;
  /** null = unlimited. */
  maxReactivations: number | null;
  responsible: ResponsibleStrategy;
  notifications: LostNotifications;
  templates: LostTemplates;
  todoDeadline: Deadline;
  calendar: Calendar;
  /** Per manager per day; null = no cap. */
  dailyCap: number | null;
  marks: Marks;
  followUpEvery: Duration;
  headOfSales: number | null;
}

export interface EffectiveDealRule extends EffectiveLostRuleBase {
  entity: 'deal';
  categoryId: number;
  target: DealTarget;
  forgotten: DealForgotten | null;
  /** The client has an open deal created after the loss: copy anyway, a to-do on it, or skip. */
  openDeal: OpenDealRule;
}

export interface EffectiveLeadRule extends EffectiveLostRuleBase {
  entity: 'lead';
  target: LeadTarget;
  forgotten: LeadForgotten | null;
}

export type EffectiveLostRule = EffectiveDealRule | EffectiveLeadRule;

export type LostRuleDecision = { decision: 'reactivate'; rule: EffectiveLostRule; why: string } | { decision: 'skip'; why: string };

/** The settings a reason, a pipeline (or leads block) and lostDeals may each give. */
interface LostLayer {
  returnPeriod?: ReturnPeriodRule;
  maxReactivations?: number | null;
  responsible?: ResponsibleStrategy;
  notifications?: LostNotificationsOverride;
  templates?: Partial<LostTemplates>;
  dailyCap?: number | null;
}

interface ReasonLike extends LostLayer {
  name: string;
  reactivate: boolean;
}

/**
 * Finds the rule for a loss: the configured reason (failure stage, lead status, or the value of
 * the pipeline's reason field), or the pipeline's `otherReasons`; "skip" with why otherwise.
 */
export function findLostRule(rules: Rules, lookup: LostLookup): LostRuleDecision {
  const lost = rules.lostDeals;
  if (!lost.enabled) return { decision: 'skip', why: 'lost-deal reactivation is disabled' };
  return lookup.entity === 'deal' ? findDealRule(rules, lookup) : findLeadRule(rules, lookup);
}

function findDealRule(rules: Rules, lookup: Extract<LostLookup, { entity: 'deal' }>): LostRuleDecision {
  const lost = rules.lostDeals;
  const pipeline = lost.pipelines.find((p) => p.categoryId === lookup.categoryId);
  if (!pipeline) return { decision: 'skip', why: `pipeline ${lookup.categoryId} is not configured for reactivation` };

  let key: string;
  let from: LossReason['from'];
  let reason: (ReasonLike & { target?: DealTarget; openDeal?: OpenDealRule }) | undefined;
  if (pipeline.reasonField !== undefined) {
    const value = fieldText(lookup.fields?.[pipeline.reasonField]);
    if (value === undefined && !pipeline.otherReasons) {
      return { decision: 'skip', why: `the loss reason field ${pipeline.reasonField} is empty` };
    }
    key = value ?? '';
    from = 'field';
    reason = value === undefined ? undefined : pipeline.reasons.find((r) => r.value === value);
  } else {
    key = lookup.stageId;
    from = 'stage';
    reason = pipeline.reasons.find((r) => r.stageId === lookup.stageId);
  }
  if (!reason) {
    if (!pipeline.otherReasons) {
      const what = from === 'field' ? `value "${key}" of ${pipeline.reasonField}` : `stage ${key}`;
      return { decision: 'skip', why: `${what} is not a configured loss reason in pipeline ${pipeline.categoryId}` };
    }
    reason = pipeline.otherReasons;
    from = 'other';
  }
  if (!reason.reactivate) return { decision: 'skip', why: `«${reason.name}» is never reactivated` };

  const layers: LostLayer[] = [reason, pipeline, lost];
  const rule: EffectiveDealRule = {
    entity: 'deal',
    categoryId: pipeline.categoryId,
    ...mergeLayers(rules, layers),
    reason: { key, name: reason.name, from },
    target: reason.target ?? pipeline.target ?? lost.target ?? { action: 'copy', categoryId: pipeline.categoryId, stageId: newStageOf(pipeline.categoryId) },
    forgotten: pipeline.forgotten ?? lost.forgotten ?? null,
    openDeal: reason.openDeal ?? pipeline.openDeal ?? lost.openDeal,
  };
  return { decision: 'reactivate', rule, why: `«${reason.name}» in pipeline ${pipeline.categoryId} is reactivated` };
}

function findLeadRule(rules: Rules, lookup: Extract<LostLookup, { entity: 'lead' }>): LostRuleDecision {
  const lost = rules.lostDeals;
  const leads = lost.leads;
  if (!leads || !leads.enabled) return { decision: 'skip', why: 'lead reactivation is not configured' };
  let reason: (ReasonLike & { target?: LeadTarget }) | undefined = leads.statuses.find((s) => s.statusId === lookup.statusId);
  let from: LossReason['from'] = 'status';
  if (!reason) {
    if (!leads.otherStatuses) return { decision: 'skip', why: `lead status ${lookup.statusId} is not a configured loss reason` };
    reason = leads.otherStatuses;
    from = 'other';
  }
  if (!reason.reactivate) return { decision: 'skip', why: `«${reason.name}» is never reactivated` };
  const rule: EffectiveLeadRule = {
    entity: 'lead',
    ...mergeLayers(rules, [reason, leads, lost]),
    reason: { key: lookup.statusId, name: reason.name, from },
    target: reason.target ?? leads.target,
    forgotten: leads.forgotten ?? null,
  };
  return { decision: 'reactivate', rule, why: `lead status «${reason.name}» is reactivated` };
}

/** Merges the layers (narrowest first) over lostDeals and defaults. */
function mergeLayers(rules: Rules, layers: readonly LostLayer[]): Omit<EffectiveLostRuleBase, 'reason'> {
  const lost = rules.lostDeals;
  const defaults = rules.defaults;
  const first = <K extends keyof LostLayer>(key: K): LostLayer[K] => layers.find((l) => l[key] !== undefined)?.[key];
  const returnPeriod = first('returnPeriod');
  // The loader guarantees a period for every reactivated reason; a hand-built object may not.
  if (returnPeriod === undefined) throw new Error('no return period for this reason, its pipeline or lostDeals');
  const maxReactivations = first('maxReactivations');
  const dailyCap = first('dailyCap');
  return {
    returnPeriod,
    managerDates: lost.managerDates,
    maxReactivations: maxReactivations === undefined ? lost.maxReactivations : maxReactivations,
    responsible: first('responsible') ?? defaults.responsible,
    notifications: mergeNotifications(lost.notifications, layers.map((l) => l.notifications).reverse()),
    templates: Object.assign({}, lost.templates, ...layers.map((l) => defined(l.templates)).reverse()) as LostTemplates,
    todoDeadline: lost.todoDeadline ?? defaults.todoDeadline,
    calendar: defaults.calendar,
    dailyCap: dailyCap === undefined ? defaults.dailyCap : dailyCap,
    marks: lost.marks,
    followUpEvery: lost.followUpEvery,
    headOfSales: defaults.headOfSales ?? null,
  };
}

/** Applies partial overrides (widest first) over the full notification settings. */
function mergeNotifications(base: LostNotifications, overrides: readonly (LostNotificationsOverride | undefined)[]): LostNotifications {
  const merged: LostNotifications = {
    atLoss: { ...base.atLoss },
    beforeReturn: { ...base.beforeReturn },
    atReturn: { ...base.atReturn },
    onForgotten: { ...base.onForgotten },
    onClientBack: { ...base.onClientBack },
  };
  for (const o of overrides) {
    if (!o) continue;
    Object.assign(merged.atLoss, defined(o.atLoss));
    Object.assign(merged.beforeReturn, defined(o.beforeReturn));
    Object.assign(merged.atReturn, defined(o.atReturn));
    Object.assign(merged.onForgotten, defined(o.onForgotten));
    Object.assign(merged.onClientBack, defined(o.onClientBack));
  }
  return merged;
}

function defined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function fieldText(value: unknown): string | undefined {
  const item = Array.isArray(value) ? value[0] : value;
  if (typeof item === 'number') return String(item);
  if (typeof item === 'string' && item.trim() !== '') return item.trim();
  return undefined;
}
