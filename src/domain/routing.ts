/**
 * Routing: which scenarios a CRM element concerns, and why — decided here and only here.
 * The inbox dispatch (a changed deal or lead), the backfill (history) and the reconciler (a
 * listed change) all ask this module; the Bitrix24 event → element map lives here too.
 * Pure: the element's facts and the rules in, the routes out; starting or signalling the
 * workflows is the caller's (src/temporal/starter.ts).
 */
import { parseOriginKey, type CrmEntity, type WorkflowKey } from '../shared/names';
import { findLostRule, type LostRuleDecision } from './lost-rules';
import type { CrmFields, Rules } from './types';

/** The deal events the service handles (outgoing webhook or event.bind). */
export const DEAL_EVENTS = ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMDEALDELETE', 'ONCRMDEALMOVETOCATEGORY'] as const;
/** The lead events the service handles. */
export const LEAD_EVENTS = ['ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMLEADDELETE'] as const;

/**
 * Events only an application can subscribe to (event.bind), never an outgoing webhook: "You can
 * subscribe to the event onCrmDealMoveToCategory only through the application and the method
 * event.bind" (b24restdocs api-reference/crm/deals/events/index.md). A move to another pipeline
 * fires only that event, not ONCRMDEALUPDATE, so a service fed by an outgoing webhook learns of
 * the move from the reconciliation alone (src/config/env.ts keeps it on).
 */
export const APPLICATION_ONLY_EVENTS = ['ONCRMDEALMOVETOCATEGORY'] as const;

type HandledEvent = (typeof DEAL_EVENTS)[number] | (typeof LEAD_EVENTS)[number];

/** The events to ask an outgoing webhook for: the handled ones it can receive. */
export const OUTGOING_WEBHOOK_EVENTS: readonly HandledEvent[] = [...DEAL_EVENTS, ...LEAD_EVENTS].filter(
  (e) => !(APPLICATION_ONLY_EVENTS as readonly string[]).includes(e),
);

/** The element a Bitrix24 event name is about (`ONCRMLEADUPDATE` → lead); undefined for others. */
export function entityOfEvent(event: string): CrmEntity | undefined {
  const name = event.toUpperCase();
  if (name.startsWith('ONCRMLEAD')) return 'lead';
  if (name.startsWith('ONCRMDEAL')) return 'deal';
  return undefined;
}

/** What routing needs of a deal. */
export interface DealFacts {
  id: number;
  categoryId: number;
  stageId: string;
  stageSemantic: string | null;
  /** Created by this service (ORIGINATOR_ID). */
  ours: boolean;
  originId: string | null;
  userFields?: CrmFields;
}

/** What routing needs of a lead. */
export interface LeadFacts {
  id: number;
  statusId: string;
  statusSemantic: string | null;
  userFields?: CrmFields;
}

/** One scenario the element concerns, and what to do with its workflow. */
export type Route =
  /** A reactivation deal this service made changed: its lost-deal workflow checks the outcome. */
  | { scenario: 'reactivationDeal'; workflowId: string; why: string }
  /** A lost element whose rule says reactivate: start its workflow (or tell the running one). */
  | { scenario: 'lost'; action: 'start'; why: string }
  /** A lost element the rules do not reactivate. */
  | { scenario: 'lost'; action: 'none'; why: string }
  /** The element is no longer lost (re-opened, edited, deleted): a running reactivation re-plans. */
  | { scenario: 'lost'; action: 'signal'; why: string }
  /** A won deal in a pipeline whose purchases count. */
  | { scenario: 'purchase'; client: boolean; expiry: boolean }
  /** A deleted deal: its expiry reminders, if they run, stop. */
  | { scenario: 'expiry'; action: 'signal'; why: string };

/** The lost-deal workflow that made this deal, when the deal is ours and says so in ORIGIN_ID. */
export function reactivationOrigin(deal: Pick<DealFacts, 'ours' | 'originId'>): { workflowId: string; workflow?: WorkflowKey } | undefined {
  return deal.ours ? parseOriginKey(deal.originId) : undefined;
}

/** The scenarios a changed deal concerns; empty when none. */
export function routeDeal(deal: DealFacts, rules: Rules): Route[] {
  const routes: Route[] = [];
  const origin = reactivationOrigin(deal);
  if (origin?.workflow?.scenario === 'lost') {
    routes.push({ scenario: 'reactivationDeal', workflowId: origin.workflowId, why: `its reactivation deal ${deal.id} changed` });
  }
  if (!origin) {
    if (deal.stageSemantic === 'F') routes.push(lostRoute(lostRuleOfDeal(deal, rules)));
    else routes.push({ scenario: 'lost', action: 'signal', why: 'a lost deal changed (re-opened or edited)' });
  }
  if (deal.stageSemantic === 'S') {
    const client = wonCounts(rules).clients.includes(deal.categoryId);
    const expiry = wonCounts(rules).expiry.includes(deal.categoryId);
    if (client || expiry) routes.push({ scenario: 'purchase', client, expiry });
  }
  return routes;
}

/** A deleted deal: whatever runs for it re-reads and stops. */
export function routeDeletedDeal(): Route[] {
  return [
    { scenario: 'lost', action: 'signal', why: 'the deal was deleted' },
    { scenario: 'expiry', action: 'signal', why: 'the deal was deleted' },
  ];
}

/** The scenarios a changed lead concerns (junk leads only). */
export function routeLead(lead: LeadFacts, rules: Rules): Route[] {
  if (lead.statusSemantic === 'F') return [lostRoute(lostRuleOfLead(lead, rules))];
  return [{ scenario: 'lost', action: 'signal', why: 'a junk lead changed' }];
}

/** A deleted lead. */
export function routeDeletedLead(): Route[] {
  return [{ scenario: 'lost', action: 'signal', why: 'the lead was deleted' }];
}

export function lostRuleOfDeal(deal: Pick<DealFacts, 'categoryId' | 'stageId' | 'userFields'>, rules: Rules): LostRuleDecision {
  return findLostRule(rules, { entity: 'deal', categoryId: deal.categoryId, stageId: deal.stageId, fields: deal.userFields });
}

export function lostRuleOfLead(lead: Pick<LeadFacts, 'statusId' | 'userFields'>, rules: Rules): LostRuleDecision {
  return findLostRule(rules, { entity: 'lead', statusId: lead.statusId, fields: lead.userFields });
}

function lostRoute(found: LostRuleDecision): Route {
  return found.decision === 'reactivate' ? { scenario: 'lost', action: 'start', why: found.why } : { scenario: 'lost', action: 'none', why: found.why };
}

/** The pipelines whose won deals count as purchases, per scenario (enabled ones only). */
export function wonCounts(rules: Rules): { clients: number[]; expiry: number[]; any: number[] } {
  const clients = rules.clients?.enabled ? rules.clients.wonIn : [];
  const expiry = rules.expiry?.enabled ? rules.expiry.wonIn : [];
  return { clients, expiry, any: [...new Set([...clients, ...expiry])].sort((a, b) => a - b) };
}

/** The history a backfill reads: lost deals of the configured pipelines, won deals, junk leads. */
export function historyStreams(rules: Rules): { lostDealPipelines: number[]; wonDealPipelines: number[]; junkLeads: boolean } {
  const lost = rules.lostDeals;
  return {
    lostDealPipelines: lost.enabled ? lost.pipelines.map((p) => p.categoryId) : [],
    wonDealPipelines: wonCounts(rules).any,
    junkLeads: lost.enabled && !!lost.leads?.enabled,
  };
}

/**
 * The reconciler's cheap pre-filter on a listed row (ID and semantics only): lost and won deals,
 * deals this service made, junk leads may concern a scenario; the inbox then reads and routes.
 */
export function mayConcern(entity: CrmEntity, row: { semantic?: string | null; ours?: boolean }): boolean {
  if (entity === 'lead') return row.semantic === 'F';
  return row.semantic === 'F' || row.semantic === 'S' || row.ours === true;
}
