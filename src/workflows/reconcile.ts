/**
 * Reconciliation (run by a Temporal Schedule): Bitrix24 does not retry a failed event delivery,
 * so every few minutes this lists the deals and leads changed since the last watermark and
 * hands each to its element inbox (the same workflow ids as the webhook path, so a late
 * webhook and the reconciler never make two). The watermark is this run's result, which the
 * schedule passes to the next run, so it survives restarts of the worker and the server.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReconcileActivities } from '../activities/reconcile';
import type { ReconcileReport } from '../activities/contracts';
import { crmScan, failRun } from './common';

export interface ReconcileInput {
  /** First run only: how far back to look, e.g. "1 hour" worth of milliseconds. */
  initialLookbackMs?: number;
}

const { reconcileChanges } = proxyActivities<ReconcileActivities>(crmScan);

export async function reconcile(input: ReconcileInput = {}): Promise<ReconcileReport> {
  const previous = workflowInfo().lastResult as ReconcileReport | undefined;
  const since = previous?.watermark ?? new Date(Date.now() - (input.initialLookbackMs ?? 60 * 60 * 1000)).toISOString();
  try {
    return await reconcileChanges({ since });
  } catch (error) {
    // The Schedule runs the next pass from the same watermark (this run has no result).
    throw failRun(error, `reconciliation since ${since}`, () => undefined);
  }
}
