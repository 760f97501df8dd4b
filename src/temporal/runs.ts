/**
 * Failed and stuck runs of the product's workflows, read from Temporal visibility: what
 * `npm run runs` and `GET /api/runs` show, and what `--restart-failed` restarts through the one
 * starter (src/temporal/starter.ts, restartFailed).
 *
 *  - failed: the latest run of a workflow id ended FAILED, TIMED_OUT or TERMINATED (a run restarted
 *    since is not listed). The reason is the one the run recorded (memo `failure`, written by
 *    failRun in src/workflows/common.ts), else the failure of its close event.
 *  - stuck: a running run whose NextWakeUp is long past (nothing picks it up), or whose activity
 *    or workflow task is on attempt N or later (a portal that keeps answering 5xx, a bug).
 */
import { WorkflowFailedError, type Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import { FAILURE_MEMO, type RunFailure } from '../shared/failures';
import { parseWorkflowId } from '../shared/names';
import { SA } from '../shared/search-attributes';
import { CLIENT_WORKFLOW } from '../workflows/client.messages';
import { CRM_EVENTS_WORKFLOW } from '../workflows/crm-events.messages';
import { EXPIRY_WORKFLOW } from '../workflows/expiry.messages';
import { LOST_DEAL_WORKFLOW } from '../workflows/lost-deal.messages';
import { createStarter, unfinished } from './starter';
import type { DispatchAction } from '../activities/contracts';

/** Every workflow type the product runs (the Schedules' reconcile and dormantScan included). */
export const PRODUCT_WORKFLOWS = [LOST_DEAL_WORKFLOW, CLIENT_WORKFLOW, EXPIRY_WORKFLOW, CRM_EVENTS_WORKFLOW, 'reconcile', 'dormantScan'] as const;

export type RunState = 'failed' | 'timed out' | 'terminated' | 'stuck';

export interface RunRow {
  workflowId: string;
  runId: string;
  type: string;
  /** lost-deal, client, expiry, inbox, reconcile, dormant-scan. */
  scenario: string;
  /** The CRM element: "deal 123", "company 5"; "" for the Schedules' runs. */
  element: string;
  state: RunState;
  /** Failed: when it closed; stuck: since when (its wake-up, or its last attempt's start). */
  at: string;
  /** Readable: the element, the step, what was said, what to fix. */
  reason: string;
  /** The failure's type (Bitrix24FinalError, PortalMismatch, ...), when known. */
  failureType?: string;
}

export interface RunsQuery {
  status: 'failed' | 'stuck';
  /** At most this many rows. */
  limit: number;
  /** Stuck: an activity or workflow task on this attempt or later. */
  attempts: number;
  /** Stuck: a NextWakeUp this far in the past. */
  overdueMs: number;
  now?: Date;
}

/** Stuck: at most this many running runs are described (those not waiting for their date). */
export const STUCK_SCAN_LIMIT = 1000;

const typeFilter = `(${PRODUCT_WORKFLOWS.map((t) => `WorkflowType = '${t}'`).join(' OR ')})`;

const STATE_OF: Record<string, RunState> = { FAILED: 'failed', TIMED_OUT: 'timed out', TERMINATED: 'terminated' };

export function listRuns(temporal: Client, query: RunsQuery): Promise<RunRow[]> {
  return query.status === 'failed' ? listFailed(temporal, query.limit) : listStuck(temporal, query);
}

/** The scenario and element a workflow id names. */
export function runSubject(workflowId: string, type: string): { scenario: string; element: string } {
  const key = parseWorkflowId(workflowId);
  if (key?.scenario === 'lost') return { scenario: 'lost-deal', element: `${key.entity} ${key.id}` };
  if (key?.scenario === 'inbox') return { scenario: 'inbox', element: `${key.entity} ${key.id}` };
  if (key?.scenario === 'client') return { scenario: 'client', element: `${key.kind} ${key.id}` };
  if (key?.scenario === 'expiry') return { scenario: 'expiry', element: `deal ${key.id}` };
  return { scenario: type === 'dormantScan' ? 'dormant-scan' : type, element: '' };
}

async function listFailed(temporal: Client, limit: number): Promise<RunRow[]> {
  const query = `${typeFilter} AND (ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Terminated')`;
  const latestRun = new Map<string, string | undefined>();
  const rows: RunRow[] = [];
  for await (const info of temporal.workflow.list({ query })) {
    if (rows.length >= limit) break;
    // Only the latest run of a workflow id counts: one restarted since (or running again) is no longer failed.
    if (!latestRun.has(info.workflowId)) {
      const latest = await temporal.workflow.getHandle(info.workflowId).describe();
      latestRun.set(info.workflowId, unfinished(latest) ? latest.runId : undefined);
    }
    if (latestRun.get(info.workflowId) !== info.runId) continue;
    if (SCHEDULED.has(info.type) && (await passedSince(temporal, info))) continue;
    rows.push(await failedRow(temporal, info));
  }
  return rows;
}

/** Workflow types their Schedule starts under a new id each time. */
const SCHEDULED = new Set(['reconcile', 'dormantScan']);

/** Whether a later run of a Schedule's workflow type completed (the failure is history). */
async function passedSince(temporal: Client, info: WorkflowExecutionInfo): Promise<boolean> {
  const since = (info.closeTime ?? info.startTime).toISOString();
  for await (const _later of temporal.workflow.list({ query: `WorkflowType = '${info.type}' AND ExecutionStatus = 'Completed' AND CloseTime > '${since}'`, pageSize: 1 })) return true;
  return false;
}

async function failedRow(temporal: Client, info: WorkflowExecutionInfo): Promise<RunRow> {
  const recorded = info.memo?.[FAILURE_MEMO] as RunFailure | undefined;
  const closed = recorded ? undefined : await closeFailure(temporal, info);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    ...runSubject(info.workflowId, info.type),
    state: STATE_OF[info.status.name] ?? 'failed',
    at: (info.closeTime ?? info.startTime).toISOString(),
    reason: recorded?.reason ?? closed?.reason ?? info.status.name.toLowerCase(),
    ...((recorded?.type ?? closed?.type) ? { failureType: recorded?.type ?? closed?.type } : {}),
  };
}

/** The failure of a run's close event: its message and those of its causes. */
async function closeFailure(temporal: Client, info: WorkflowExecutionInfo): Promise<{ reason: string; type?: string } | undefined> {
  try {
    await temporal.workflow.getHandle(info.workflowId, info.runId, { followRuns: false }).result();
    return undefined;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) return { reason: String((error as Error)?.message ?? error) };
    const messages: string[] = [];
    let type: string | undefined;
    for (let e: unknown = error.cause; e instanceof Error && messages.length < 5; e = e.cause) {
      messages.push(e.message);
      type ??= (e as { type?: string }).type ?? undefined;
    }
    return { reason: messages.filter(Boolean).join(': ') || error.message, ...(type ? { type } : {}) };
  }
}

async function listStuck(temporal: Client, query: RunsQuery): Promise<RunRow[]> {
  const now = query.now ?? new Date();
  const rows = new Map<string, RunRow>();
  const overdueBefore = new Date(now.getTime() - query.overdueMs).toISOString();
  for await (const info of temporal.workflow.list({ query: `${typeFilter} AND ExecutionStatus = 'Running' AND NextWakeUp < '${overdueBefore}'` })) {
    if (rows.size >= query.limit) break;
    const wakeUp = info.typedSearchAttributes.get(SA.NextWakeUp);
    const at = wakeUp ? wakeUp.toISOString() : overdueBefore;
    rows.set(info.workflowId, {
      workflowId: info.workflowId,
      runId: info.runId,
      type: info.type,
      ...runSubject(info.workflowId, info.type),
      state: 'stuck',
      at,
      reason: `its wake-up (NextWakeUp ${at}) passed ${Math.round((now.getTime() - Date.parse(at)) / 60_000)} minutes ago and it did not move on: is a worker running on the task queue?`,
    });
  }
  // Runs doing something (not waiting for their date): an attempt count says whether they are stuck.
  let scanned = 0;
  for await (const info of temporal.workflow.list({ query: `${typeFilter} AND ExecutionStatus = 'Running'` })) {
    if (rows.size >= query.limit || scanned >= STUCK_SCAN_LIMIT) break;
    if (rows.has(info.workflowId) || info.typedSearchAttributes.get(SA.Phase) === 'waiting') continue;
    scanned++;
    const row = attemptRow(info, await temporal.workflow.getHandle(info.workflowId, info.runId).describe(), query.attempts);
    if (row) rows.set(info.workflowId, row);
  }
  return [...rows.values()];
}

/** A running run whose pending activity or workflow task is on attempt `attempts` or later. */
function attemptRow(info: WorkflowExecutionInfo, description: WorkflowExecutionDescription, attempts: number): RunRow | undefined {
  const base = { workflowId: info.workflowId, runId: info.runId, type: info.type, ...runSubject(info.workflowId, info.type), state: 'stuck' as const };
  const activity = (description.raw.pendingActivities ?? []).find((a) => (a.attempt ?? 0) >= attempts);
  if (activity) {
    const last = activity.lastFailure?.message ? `; last error: ${activity.lastFailure.message}` : '';
    const since = activity.lastStartedTime?.seconds ? new Date(Number(activity.lastStartedTime.seconds) * 1000).toISOString() : info.startTime.toISOString();
    return { ...base, at: since, reason: `step ${activity.activityType?.name ?? '?'} is on attempt ${activity.attempt}${last}` };
  }
  const task = description.raw.pendingWorkflowTask;
  if (task && (task.attempt ?? 0) >= attempts) {
    return { ...base, at: info.startTime.toISOString(), reason: `its workflow task is on attempt ${task.attempt}: a bug or a non-deterministic change; see the worker's log` };
  }
  return undefined;
}

export interface RestartReport {
  dryRun: boolean;
  /** What was (or, in a dry run, would be) restarted, and what was left and why. */
  actions: (DispatchAction & { workflowId: string; element: string; scenario: string; outcome: 'restarted' | 'would restart' | 'left' })[];
}

/**
 * Restarts every failed run `listRuns` shows (up to `limit`), each through the starter: the same
 * workflow id, the failed run's input and memo. Idempotent: a run restarted once is no longer
 * failed, so a second pass restarts nothing; what the failed run made is found by ORIGIN_ID.
 */
export async function restartFailedRuns(temporal: Client, taskQueue: string, opts: { dryRun: boolean; limit: number }): Promise<RestartReport> {
  const starter = createStarter(temporal, taskQueue);
  const failed = await listFailed(temporal, opts.limit);
  const actions: RestartReport['actions'] = [];
  for (const row of failed) {
    const subject = { workflowId: row.workflowId, element: row.element, scenario: row.scenario };
    if (SCHEDULED.has(row.type)) {
      actions.push({ ...subject, kind: 'none', outcome: 'left', why: 'its Schedule runs it again' });
      continue;
    }
    if (opts.dryRun) {
      actions.push({ ...subject, kind: 'none', outcome: 'would restart', why: row.reason });
      continue;
    }
    const action = await starter.restartFailed(row.workflowId);
    actions.push({ ...subject, ...action, workflowId: row.workflowId, outcome: action.kind === 'started' ? 'restarted' : 'left' });
  }
  return { dryRun: opts.dryRun, actions };
}
