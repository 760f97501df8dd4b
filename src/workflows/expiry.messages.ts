/** The expiry-reminder workflow's contract: its input, status and messages. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ExpiryReminder } from '../activities/contracts';
import type { CancelRequest } from './common.messages';

export interface ExpiryInput {
  dealId: number;
  /** Reminder keys already performed (kept when re-planned). */
  done?: string[];
}

export interface ExpiryStatus {
  dealId: number;
  /** `failed`: a final error stopped the reminders (the reason is in `why` and the memo `failure`). */
  phase: 'planning' | 'waiting' | 'done' | 'skipped' | 'cancelled' | 'failed';
  why: string;
  expiresAt?: string;
  reminders: (ExpiryReminder & { done: boolean })[];
}

export const expiryStatusQuery = defineQuery<ExpiryStatus>('status');
export const expiryChangedSignal = defineSignal('crmChanged');
export const expiryCancelSignal = defineSignal<[CancelRequest]>('cancel');

/** The workflow type, as its starters (src/temporal/starter.ts) name and call it. */
export const EXPIRY_WORKFLOW = 'expiryReminders';
export type ExpiryWorkflow = (input: ExpiryInput) => Promise<ExpiryStatus>;
