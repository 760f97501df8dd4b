/**
 * The product's Temporal Schedules (visible under Schedules in the Web UI): reconciliation of
 * changed deals and leads, and the dormant-client scan. Created or updated idempotently at
 * start-up by the process that runs the worker.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { TASK_QUEUE } from '../shared/names';

export const RECONCILE_SCHEDULE_ID = 'reconcile-crm-changes';
export const DORMANT_SCHEDULE_ID = 'scan-dormant-clients';

export interface ScheduleSettings {
  /** Milliseconds; null = off. */
  reconcileEvery: number | null;
  dormantScanEvery: number | null;
  taskQueue?: string;
}

async function upsert(client: Client, scheduleId: string, every: number, workflowType: string, args: unknown[], taskQueue: string, note: string) {
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
  const ensure = async (scheduleId: string, every: number | null, workflowType: string, args: unknown[], note: string) => {
    result[scheduleId] = every ? await upsert(client, scheduleId, every, workflowType, args, taskQueue, note) : await remove(client, scheduleId);
  };
  await ensure(RECONCILE_SCHEDULE_ID, settings.reconcileEvery, 'reconcile', [{}], 'Lists deals and leads changed since the last run and hands them to their inbox workflows (lost webhooks).');
  await ensure(DORMANT_SCHEDULE_ID, settings.dormantScanEvery, 'dormantScan', [{ dryRun: false }], 'Finds clients whose last purchase is older than their period and who have no running workflow.');
  return result;
}

async function remove(client: Client, scheduleId: string): Promise<'off'> {
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch((error) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
  return 'off';
}
