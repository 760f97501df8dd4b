/**
 * Plain-data contracts between workflows and activities. Workflows import these types only.
 * Every value crosses the Temporal boundary as JSON: ISO strings for instants, numbers for ids.
 */
import type { PurchaseMomentBasis } from '../domain/purchase-moment';
import type { CrmEntity } from '../shared/names';

export interface LostPlanRequest {
  entity: CrmEntity;
  /** The original element (workflow key). */
  id: number;
  /** The element whose current loss is planned from (original or last reactivation deal). */
  lostElementId: number;
  attempt: number;
  /** A date the manager chose (API or signal); validated and moved into working hours. */
  managerReturnAt?: string;
}

export interface ReasonRef {
  stageId: string;
  name: string;
}

export type LostPlan =
  | { decision: 'skip'; why: string }
  | {
      decision: 'reactivate';
      why: string;
      reason: ReasonRef;
      /** The wake-up instant, already moved into the business calendar. */
      returnAt: string;
      basis: 'static' | 'computed' | 'manager' | 'default';
      maxAttempts: number | null;
      /** Manager dates are accepted within [now + minAheadMs, now + maxAheadMs]. */
      managerDateBounds: { minAheadMs: number; maxAheadMs: number };
      /** Instants to remind manager/head before the return ("N days before"). */
      remindAt: string[];
      /** How often a followed reactivation deal is re-read when no event arrives. */
      followUpCheckMs: number;
      responsibleId: number;
      title: string;
      clientKey?: string;
      /** `STAGE_ID@MOVED_TIME` of the planned loss (see docs/decisions.md D2). */
      lossKey: string;
    };

export type LostNotice = 'loss' | 'beforeReturn' | 'return' | 'forgotten' | 'cancelled';

export interface LostNoticeRequest {
  notice: LostNotice;
  entity: CrmEntity;
  id: number;
  attempt: number;
  reason?: ReasonRef;
  returnAt?: string;
  responsibleId?: number;
  reactivationId?: number;
  note?: string;
}

export interface PrepareRequest {
  entity: CrmEntity;
  id: number;
  lostElementId: number;
  attempt: number;
  workflowId: string;
}

export type PrepareResult =
  | { proceed: false; why: string }
  | {
      proceed: true;
      responsibleId: number;
      responsibleWhy: string;
      /** Set when the responsible's daily cap is full: create no earlier than this instant. */
      notBefore?: string;
    };

export interface CreateReactivationRequest {
  entity: CrmEntity;
  id: number;
  lostElementId: number;
  attempt: number;
  workflowId: string;
  reason: ReasonRef;
  responsibleId: number;
}

export interface CreateReactivationResult {
  /** The reactivation deal (deals) or the lead itself (leads). */
  elementId: number;
  /** False when an earlier try had already created it (idempotent retry). */
  created: boolean;
  todoId?: number;
}

export type ElementOutcome =
  | { state: 'open' }
  | { state: 'won' }
  | { state: 'lost'; stageId: string; lostAt: string }
  | { state: 'deleted' };

export interface ForgetRequest {
  entity: CrmEntity;
  id: number;
  elementId: number;
  attempt: number;
}

export type CrmEventSource = 'webhook' | 'reconcile' | 'offline' | 'backfill' | 'api';

export interface CrmEventNotice {
  /** ONCRMDEALUPDATE, ONCRMDEALADD, ONCRMDEALDELETE, ONCRMLEADUPDATE, ... or RECONCILE. */
  event: string;
  /** When Bitrix24 raised it (the event's `ts`), ISO 8601. */
  at: string;
  source: CrmEventSource;
}

export interface DispatchAction {
  /** What was done: started, signalled, or nothing (with why). */
  kind: 'started' | 'signalled' | 'none';
  workflowId?: string;
  why: string;
}

export interface DispatchReport {
  entity: 'deal' | 'lead';
  id: number;
  events: number;
  actions: DispatchAction[];
}

// ---- client reactivation after purchases ----

export interface ClientRef {
  kind: 'company' | 'contact';
  id: number;
}

export interface PurchaseItem {
  productId: number;
  sectionId?: number;
  name: string;
  quantity: number;
  price: number;
}

/** What was bought and when: the won deal a cycle counts from. */
export interface PurchaseFact {
  dealId: number;
  categoryId: number;
  /** When the deal entered its won stage (src/domain/purchase-moment.ts). */
  at: string;
  /** What `at` was read from (runs planned before it existed lack it). */
  atBasis?: PurchaseMomentBasis;
  amount: number;
  items: PurchaseItem[];
}

export interface ClientTouch {
  /** Stable key: also the idempotency key of whatever the touch creates. */
  key: string;
  kind: 'repurchase' | 'chain';
  at: string;
  /** Words for ops in the Web UI (English, like the workflow's details). */
  label: string;
  /** Template variables for texts Bitrix24 users read: period in words, chain and step names. */
  words?: { period?: string; chain?: string; step?: string };
}

export type ClientPlan =
  | { decision: 'skip'; why: string }
  | {
      decision: 'follow';
      why: string;
      touches: ClientTouch[];
      maxCycles: number | null;
      responsibleId: number;
      products: string[];
      dateBounds: { minAheadMs: number; maxAheadMs: number };
    };

export interface ClientPlanRequest {
  client: ClientRef;
  purchase: PurchaseFact;
  cycle: number;
  /** Chain offers already made for this purchase (their keys). */
  offersMade: string[];
  /** A date a manager chose for the next repurchase touch. */
  managerDueAt?: string;
}

export type ClientInspection =
  | { state: 'purchased'; purchase: PurchaseFact }
  | { state: 'openDeal'; dealId: number; responsibleId: number }
  | { state: 'none' }
  | { state: 'gone' };

export interface ClientTouchRequest {
  client: ClientRef;
  workflowId: string;
  touch: ClientTouch;
  purchase: PurchaseFact;
  cycle: number;
  /** For an open deal: nudge it instead of creating a new one. */
  openDealId?: number;
}

export interface ClientTouchResult {
  dealId: number;
  created: boolean;
  kind: 'deal' | 'nudge';
}

// ---- expiry reminders ----

export type ReminderAction = 'notify' | 'todo' | 'deal' | 'bizproc';

export interface ExpiryReminder {
  key: string;
  at: string;
  offset: string;
  action: ReminderAction;
  bizprocTemplateId?: number;
}

export type ExpiryPlan =
  | { decision: 'skip'; why: string }
  | { decision: 'remind'; why: string; expiresAt: string; basis: string; reminders: ExpiryReminder[]; responsibleId: number };

export interface ReminderRequest {
  dealId: number;
  workflowId: string;
  reminder: ExpiryReminder;
  expiresAt: string;
}

// ---- reconciliation ----

export interface ReconcileReport {
  /** Changes up to this instant were seen; the next run starts here (minus an overlap). */
  watermark: string;
  since: string;
  scanned: { deals: number; leads: number; offlineEvents: number };
  handedOff: number;
  /** Element ids handed to their inbox, first 100. */
  sample: string[];
  restCalls: number;
}
