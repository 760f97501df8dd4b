/**
 * Workflow-side helpers shared by every scenario: activity option presets that match the
 * Bitrix24 client's error taxonomy, an updatable wait, and search-attribute upserts.
 */
import { condition, upsertSearchAttributes, type ActivityOptions } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';

/** Error types the activities throw for final Bitrix24 errors (auth, access, validation). */
export const FINAL_ERROR_TYPES = ['Bitrix24FinalError', 'RulesError'];

/**
 * Bitrix24 calls: retried for as long as the portal is down or over its limits (there is no
 * maximum number of attempts; the back-off caps at 10 minutes), never for final errors.
 */
export const crmCall: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    nonRetryableErrorTypes: FINAL_ERROR_TYPES,
  },
};

/** Long pages through the CRM (reconciliation, dormant scan): heartbeat every page. */
export const crmScan: ActivityOptions = {
  ...crmCall,
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
};

export type WaitOutcome = 'due' | 'interrupted';

/**
 * Sleeps until `dueAt()` unless `interrupted()` becomes true first. Whenever `version()`
 * changes (a manager moved the date), the due time is read again, so the timer moves at once.
 */
export async function waitUntil(
  dueAt: () => number,
  interrupted: () => boolean,
  version: () => number,
): Promise<WaitOutcome> {
  for (;;) {
    const ms = dueAt() - Date.now();
    if (ms <= 0) return 'due';
    const seen = version();
    const woke = await condition(() => interrupted() || version() !== seen, ms);
    if (interrupted()) return 'interrupted';
    if (!woke) return 'due';
  }
}

export function setSearchAttributes(pairs: SearchAttributeUpdatePair[]): void {
  upsertSearchAttributes(pairs);
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
