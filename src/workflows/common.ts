/**
 * Workflow-side helpers shared by every scenario: activity option presets that match the
 * Bitrix24 client's error taxonomy, an updatable wait, search-attribute upserts, and how a run
 * fails for good (failRun).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  patched,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { RetryState, type SearchAttributeUpdatePair } from '@temporalio/common';
import { FAILURE_MEMO, FINAL_FAILURE_TYPES, isFinalFailureType, RECOVERY_HINT, type RunFailure } from '../shared/failures';

/** Error types the activities throw for final conditions (src/shared/failures.ts): never retried. */
export const FINAL_ERROR_TYPES: string[] = [...FINAL_FAILURE_TYPES];

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

/** The final cause of a run's error: an activity that failed for good, or a final failure of the run itself. */
export function finalCauseOf(error: unknown): { type: string; message: string; activity?: string } | undefined {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    const final = error.retryState === RetryState.NON_RETRYABLE_FAILURE || (cause instanceof ApplicationFailure && (cause.nonRetryable || isFinalFailureType(cause.type)));
    if (!final) return undefined;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'ApplicationFailure') : (cause?.name ?? 'ActivityFailure');
    return { type, message: cause?.message ?? error.message, activity: error.activityType };
  }
  if (error instanceof ApplicationFailure && isFinalFailureType(error.type)) return { type: error.type, message: error.message };
  return undefined;
}

/**
 * Runs that failed before the failure was recorded replay without the records (patched).
 * Deprecate only once no such run can be queried any more.
 */
export const RECORD_FAILURE_PATCH = 'record-final-failure';

/**
 * What a run throws when it meets `error`. A final cause (see finalCauseOf) fails the run at once
 * with a readable reason — `what` names the run's element, then the step and what it said — and
 * records it first where people look: `record` (the run's Phase "failed" and details), the memo
 * (`failure`, read by `npm run runs -- --failed`), and an error log line. Anything else (a
 * cancellation, continue-as-new, a bug) is returned unchanged.
 */
export function failRun(error: unknown, what: string, record: (reason: string) => void): unknown {
  const cause = finalCauseOf(error);
  if (!cause) return error;
  const reason = `${what}: ${cause.activity ? `step ${cause.activity} ` : ''}failed for good — ${cause.message}; ${RECOVERY_HINT}`;
  if (patched(RECORD_FAILURE_PATCH)) {
    record(reason);
    const failure: RunFailure = { type: cause.type, reason, ...(cause.activity ? { activity: cause.activity } : {}), at: new Date().toISOString() };
    upsertMemo({ [FAILURE_MEMO]: failure });
    log.error('workflow run failed for good', { workflowId: workflowInfo().workflowId, type: cause.type, reason });
  }
  return ApplicationFailure.create({ type: cause.type, message: reason, nonRetryable: true, cause: error instanceof Error ? error : undefined });
}
