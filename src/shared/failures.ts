/**
 * Final failures: conditions no retry can fix. Activities throw them as non-retryable
 * ApplicationFailures (src/activities/shared.ts `finalFailure`, and the Bitrix24 error taxonomy in
 * `asActivity`); the workflows' activity options never retry these types (src/workflows/common.ts);
 * a workflow that meets one fails at once and records why (memo FAILURE_MEMO, Phase "failed"),
 * and `npm run runs -- --failed` / `GET /api/runs?status=failed` list it (src/temporal/runs.ts).
 * Pure: workflows import it too.
 */

export const FINAL_FAILURE_TYPES = [
  /** The portal refused for good: auth, scope, access, validation, an element that is not there. */
  'Bitrix24FinalError',
  /** The rules file cannot be read or applied. */
  'RulesError',
  /** The portal lacks what the rules name: a pipeline, a stage, a status. Fix the portal or the rules. */
  'PortalMismatch',
  /**
   * The service cannot go on with this element: it disappeared, its rule cannot be applied to it,
   * a move the portal accepted did not happen.
   */
  'CannotProceed',
] as const;

export type FinalFailureType = (typeof FINAL_FAILURE_TYPES)[number];

export function isFinalFailureType(type: string | undefined | null): type is FinalFailureType {
  return (FINAL_FAILURE_TYPES as readonly string[]).includes(type ?? '');
}

/** The memo key under which a failed run records why it failed. */
export const FAILURE_MEMO = 'failure';

/** What a failed run records in its memo (and its error log line). */
export interface RunFailure {
  /** A FinalFailureType (or the failure's own type for other failures). */
  type: string;
  /** Readable: the element, the step, what the portal or the service said, and what to fix. */
  reason: string;
  /** The activity that failed, when an activity did. */
  activity?: string;
  /** ISO 8601, workflow time. */
  at: string;
}

/** What to do after fixing the cause (the README's "When a reactivation fails"). */
export const RECOVERY_HINT = 'after fixing the cause, restart it: npm run runs -- --restart-failed';
