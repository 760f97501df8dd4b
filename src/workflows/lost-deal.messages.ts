/**
 * The lost-deal reactivation workflow's contract: its input, result, status and messages.
 * Kept apart from the workflow body so that the API, the CLI and tests import it without
 * pulling workflow code in.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CrmEntity } from '../shared/names';
import type { CancelRequest, PostponeRequest } from './common.messages';

export type LostTrigger = 'webhook' | 'reconcile' | 'backfill' | 'api';

export interface AttemptRecord {
  attempt: number;
  /** The reactivation deal (or the lead itself) created / reopened in this attempt. */
  elementId: number;
  createdAt: string;
  outcome: 'won' | 'lost' | 'deleted' | 'open';
  /** The failure stage the reactivation ended in (the next attempt's reason). */
  lostStageId?: string;
}

export interface LostDealInput {
  entity: CrmEntity;
  /** The original lost deal or lead; the workflow id is built from it. */
  id: number;
  /** 1-based number of the reactivation this run prepares. */
  attempt: number;
  /** The element whose loss this run plans from: the original, or the last reactivation deal. */
  lostElementId: number;
  trigger: LostTrigger;
  /** A return date a manager chose before the run started (API), ISO 8601. */
  managerReturnAt?: string;
  history: AttemptRecord[];
  /** The failed run this one restarts (src/temporal/starter.ts restartFailed): its loss was announced already. */
  restartOf?: string;
}

export type LostPhase =
  | 'planning'
  | 'waiting'
  | 'creating'
  | 'following'
  | 'done'
  | 'skipped'
  | 'cancelled'
  | 'forgotten'
  /** A final error stopped the run (the reason is in `why` and the memo `failure`). */
  | 'failed';

export interface LostDealStatus {
  entity: CrmEntity;
  id: number;
  attempt: number;
  phase: LostPhase;
  /** Human-readable reason of the phase (why waiting until X, why skipped, ...). */
  why: string;
  reason?: { stageId: string; name: string };
  returnAt?: string;
  returnBasis?: string;
  responsibleId?: number;
  reactivationId?: number;
  maxAttempts: number | null;
  history: AttemptRecord[];
}

export interface LostDealResult {
  outcome: 'won' | 'skipped' | 'cancelled' | 'forgotten' | 'deleted';
  why: string;
  attempts: AttemptRecord[];
}

export interface SetReturnDateRequest {
  /** ISO 8601 date-time; must lie in the future within the rule's bounds. */
  returnAt: string;
  by?: string;
}

export type { CancelRequest, PostponeRequest } from './common.messages';

export const lostDealStatusQuery = defineQuery<LostDealStatus>('status');
/** Validated update: answers with the new return date or rejects with the reason. */
export const setReturnDateUpdate = defineUpdate<{ returnAt: string }, [SetReturnDateRequest]>('setReturnDate');
export const postponeUpdate = defineUpdate<{ returnAt: string }, [PostponeRequest]>('postpone');
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
/** The CRM element changed (webhook or reconciliation): re-read it and re-plan. */
export const crmChangedSignal = defineSignal<[{ source: LostTrigger }]>('crmChanged');
/** The reactivation deal of the current attempt changed: check its outcome. */
export const reactivationChangedSignal = defineSignal<[{ dealId: number }]>('reactivationChanged');

/** The workflow type, as its starters (src/temporal/starter.ts) name and call it. */
export const LOST_DEAL_WORKFLOW = 'lostDealReactivation';
export type LostDealWorkflow = (input: LostDealInput) => Promise<LostDealResult>;
