/**
 * The product's Temporal Schedules (visible under Schedules in the Web UI): reconciliation of
 * changed deals and leads, and the dormant-client scan. Created or updated idempotently at
 * start-up by the process that runs the worker.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { TASK_QUEUE } from './shared/names';

export const RECONCILE_SCHEDULE_ID = 'reconcile-crm-changes';
export const DORMANT_SCHEDULE_ID = 'scan-dormant-clients';

export interface ScheduleSettings {
  reconcileEvery: Duration;
  /** Off when undefined. */
  dormantScanEvery?: Duration;
  taskQueue?: string;
}

async function upsert(client: Client, scheduleId: string, every: Duration, workflowType: string, args: unknown[], taskQueue: string, note: string) {
  const spec = { intervals: [{ every }] };
  const action = { type: 'startWorkflow' as const, workflowType, args, taskQueue, workflowId: scheduleId };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
    return 'updated' as const;
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
  await client.schedule.create({
    scheduleId,
    spec,
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    state: { note },
  });
  return 'created' as const;
}

export async function ensureSchedules(client: Client, settings: ScheduleSettings): Promise<Record<string, string>> {
  const taskQueue = settings.taskQueue ?? TASK_QUEUE;
  const result: Record<string, string> = {};
  result[RECONCILE_SCHEDULE_ID] = await upsert(
    client,
    RECONCILE_SCHEDULE_ID,
    settings.reconcileEvery,
    'reconcile',
    [{}],
    taskQueue,
    'Lists deals and leads changed since the last run and hands them to their inbox workflows (lost webhooks).',
  );
  if (settings.dormantScanEvery) {
    result[DORMANT_SCHEDULE_ID] = await upsert(
      client,
      DORMANT_SCHEDULE_ID,
      settings.dormantScanEvery,
      'dormantScan',
      [{ dryRun: false }],
      taskQueue,
      'Finds clients whose last purchase is older than their period and who have no running workflow.',
    );
  } else {
    await client.schedule
      .getHandle(DORMANT_SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
  }
  return result;
}
