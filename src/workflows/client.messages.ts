/** The client purchase-cycle workflow's contract: input, status and messages. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ClientRef, ClientTouch, PurchaseFact } from '../activities/contracts';
import type { CancelRequest, PostponeRequest } from './common.messages';

export interface ClientCycleRecord {
  cycle: number;
  touch: string;
  at: string;
  result: 'deal' | 'nudge' | 'purchased' | 'skipped';
  dealId?: number;
}

export interface ClientInput {
  client: ClientRef;
  /** The purchase the current cycles count from. */
  purchase: PurchaseFact;
  /** 1-based number of the cycle without a purchase that this run waits for. */
  cycle: number;
  offersMade: string[];
  history: ClientCycleRecord[];
  managerDueAt?: string;
}

/** `failed`: a final error stopped the cycle (the reason is in `why` and the memo `failure`). */
export type ClientPhase = 'planning' | 'waiting' | 'acting' | 'done' | 'cancelled' | 'forgotten' | 'skipped' | 'failed';

export interface ClientStatus {
  client: ClientRef;
  cycle: number;
  phase: ClientPhase;
  why: string;
  lastPurchase: { dealId: number; at: string; products: string[] };
  nextTouch?: ClientTouch;
  touches: ClientTouch[];
  maxCycles: number | null;
  history: ClientCycleRecord[];
}

export interface ClientResult {
  outcome: 'cancelled' | 'forgotten' | 'skipped';
  why: string;
  history: ClientCycleRecord[];
}

export const clientStatusQuery = defineQuery<ClientStatus>('status');
/** A new purchase of this client: the cycle restarts from it (signal-with-start). */
export const purchaseSignal = defineSignal<[PurchaseFact]>('purchase');
export const clientCancelSignal = defineSignal<[CancelRequest]>('cancel');
export const setNextDateUpdate = defineUpdate<{ dueAt: string }, [{ dueAt: string; by?: string }]>('setNextDate');
export const clientPostponeUpdate = defineUpdate<{ dueAt: string }, [PostponeRequest]>('postpone');

/** The workflow type, as its starters (src/temporal/starter.ts) name and call it. */
export const CLIENT_WORKFLOW = 'clientReactivation';
export type ClientWorkflow = (input: ClientInput) => Promise<ClientResult>;
