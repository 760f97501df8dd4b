/**
 * The one place that starts and signals the product's workflows: the webhook bridge, the
 * reconciler, the inbox dispatch, the manager API, the backfill and the bench all go through
 * it, so conflict policies, memos and the "already handled" checks are written once.
 * Workflows are called by type name with their contract from `*.messages.ts`: no workflow body
 * is imported here. Ids come from src/shared/names.ts.
 *
 * Idempotency (docs/decisions.md D1–D3): the workflow ids come from business keys; a start
 * meets the running execution (USE_EXISTING); a closed lost-deal run remembers the loss it
 * handled (memo `lossKey`), a closed client cycle the purchase (memo `purchaseAt`). Only a run
 * that finished (completed, cancelled) counts as handled: a failed, timed-out or terminated one
 * is restarted from its own input by the next event, reconciliation or `npm run runs --
 * --restart-failed` (restartRun).
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import type { CrmEventNotice, DispatchAction, PurchaseFact } from '../activities/contracts';
import type { ClientKey } from '../domain';
import { FAILURE_MEMO } from '../shared/failures';
import { clientWorkflowId, crmEventsWorkflowId, expiryWorkflowId, lostWorkflowId, parseWorkflowId, type ClientKind, type CrmEntity } from '../shared/names';
import { CLIENT_WORKFLOW, purchaseSignal, type ClientWorkflow } from '../workflows/client.messages';
import { CRM_EVENTS_WORKFLOW, crmEventSignal, type CrmEventsWorkflow } from '../workflows/crm-events.messages';
import { EXPIRY_WORKFLOW, expiryChangedSignal, type ExpiryWorkflow } from '../workflows/expiry.messages';
import {
  cancelSignal,
  crmChangedSignal,
  LOST_DEAL_WORKFLOW,
  reactivationChangedSignal,
  type CancelRequest,
  type LostDealInput,
  type LostDealWorkflow,
  type LostTrigger,
} from '../workflows/lost-deal.messages';

/** What a lost-deal start needs to know of the loss. */
export interface LossToStart {
  entity: CrmEntity;
  id: number;
  /** `STAGE_ID@MOVED_TIME` of this loss (activities/loss-key.ts). */
  lossKey: string;
  trigger: LostTrigger;
  why: string;
}

export type Starter = ReturnType<typeof createStarter>;

export function createStarter(temporal: Client, taskQueue: string) {
  const wf = temporal.workflow;

  /** The execution's description, or undefined when there has never been one. */
  async function describe(workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await wf.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  const running = (d: WorkflowExecutionDescription | undefined) => d?.status.name === 'RUNNING';

  /** Signals the workflow if it runs; reports what happened (undefined: nothing runs). */
  async function signalIfRunning(workflowId: string, send: (h: WorkflowHandle) => Promise<void>, why: string): Promise<DispatchAction | undefined> {
    if (!running(await describe(workflowId))) return undefined;
    await send(wf.getHandle(workflowId));
    return { kind: 'signalled', workflowId, why };
  }

  /** A Bitrix24 event into the element's inbox (signal-with-start): durable once this returns. */
  const handOffEvent = (entity: CrmEntity, id: number, notice: CrmEventNotice, opts: { startDelayMs?: number } = {}) => handOff(temporal, taskQueue, entity, id, notice, opts);
  const restartRun = (description: WorkflowExecutionDescription, why: string) => restart(temporal, taskQueue, description, why);

  /**
   * Whether this loss needs a new run: its reactivation runs, or a run that finished handled it
   * (completed, or cancelled); undefined: start it. A run that failed, timed out or was
   * terminated handled nothing: the next event or reconciliation restarts it.
   */
  function lossState(description: WorkflowExecutionDescription | undefined, lossKey: string): 'running' | 'handled' | undefined {
    if (running(description)) return 'running';
    if (finished(description) && description?.memo?.lossKey === lossKey) return 'handled';
    return undefined;
  }

  /** The first reactivation of a loss (or its failed run again); a running one is told the element changed. */
  async function ensureLost(loss: LossToStart): Promise<DispatchAction> {
    const workflowId = lostWorkflowId(loss.entity, loss.id);
    const description = await describe(workflowId);
    if (running(description)) {
      await wf.getHandle(workflowId).signal(crmChangedSignal, { source: loss.trigger });
      return { kind: 'signalled', workflowId, why: 'the element changed while its reactivation runs' };
    }
    if (lossState(description, loss.lossKey) === 'handled') return { kind: 'none', workflowId, why: `this loss (${loss.lossKey}) was already handled` };
    if (unfinished(description) && description.memo?.lossKey === loss.lossKey) {
      return restartRun(description, `the reactivation of this loss (${loss.lossKey}) ended ${description.status.name.toLowerCase()}: restarted`);
    }
    await startLostRun(firstAttempt(loss.entity, loss.id, loss.trigger), { memo: { lossKey: loss.lossKey } });
    return { kind: 'started', workflowId, why: loss.why };
  }

  /**
   * Starts a lost-deal run. USE_EXISTING by default (a repeated start meets the running one);
   * `failIfRunning` for the manager API, which answers 409 instead.
   */
  async function startLostRun(
    input: LostDealInput,
    opts: { memo?: Record<string, unknown>; failIfRunning?: boolean; workflowId?: string; taskQueue?: string } = {},
  ): Promise<string> {
    const workflowId = opts.workflowId ?? lostWorkflowId(input.entity, input.id);
    await wf.start<LostDealWorkflow>(LOST_DEAL_WORKFLOW, {
      workflowId,
      taskQueue: opts.taskQueue ?? taskQueue,
      ...(opts.failIfRunning ? {} : { workflowIdConflictPolicy: 'USE_EXISTING' as const }),
      ...(opts.memo ? { memo: opts.memo } : {}),
      args: [input],
    });
    return workflowId;
  }

  /** Whether a client cycle that finished (not one that failed) already handled this purchase (or a newer one). */
  function purchaseHandledBy(description: WorkflowExecutionDescription | undefined, purchaseAt: string): boolean {
    const handled = Date.parse(String(description?.memo?.purchaseAt ?? ''));
    return finished(description) && Number.isFinite(handled) && Date.parse(purchaseAt) <= handled;
  }

  /** A purchase into the client's cycle (signal-with-start), unless a closed run already had it; a failed run of it again. */
  async function ensureClient(client: ClientKey, purchase: PurchaseFact, dealId: number): Promise<DispatchAction> {
    const workflowId = clientWorkflowId(client.kind, client.id);
    const description = await describe(workflowId);
    if (purchaseHandledBy(description, purchase.at)) {
      return { kind: 'none', workflowId, why: `purchase ${dealId} is not newer than the one the last run handled` };
    }
    if (unfinished(description) && description.memo?.purchaseAt === purchase.at) {
      return restartRun(description, `the cycle of purchase ${dealId} ended ${description.status.name.toLowerCase()}: restarted`);
    }
    await wf.signalWithStart<ClientWorkflow, [PurchaseFact]>(CLIENT_WORKFLOW, {
      workflowId,
      taskQueue,
      memo: { purchaseAt: purchase.at },
      args: [{ client, purchase, cycle: 1, offersMade: [], history: [] }],
      signal: purchaseSignal,
      signalArgs: [purchase],
    });
    return { kind: running(description) ? 'signalled' : 'started', workflowId, why: `purchase in deal ${dealId}` };
  }

  /** The sold deal's expiry reminders: started once; a running one re-plans. */
  async function ensureExpiry(dealId: number): Promise<DispatchAction> {
    const workflowId = expiryWorkflowId(dealId);
    const description = await describe(workflowId);
    if (running(description)) {
      await wf.getHandle(workflowId).signal(expiryChangedSignal);
      return { kind: 'signalled', workflowId, why: 'the sold deal changed: re-plan its reminders' };
    }
    if (finished(description)) return { kind: 'none', workflowId, why: 'its reminders were already made' };
    if (unfinished(description)) return restartRun(description, `its reminders ended ${description.status.name.toLowerCase()}: restarted`);
    await wf.start<ExpiryWorkflow>(EXPIRY_WORKFLOW, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING', args: [{ dealId }] });
    return { kind: 'started', workflowId, why: `sold deal ${dealId} has an expiry rule` };
  }

  return {
    describe,
    handOffEvent,
    ensureLost,
    startLostRun,
    ensureClient,
    ensureExpiry,
    /** The element is no longer what was lost (re-opened, edited, deleted): a running reactivation re-reads it. */
    lostChanged: (entity: CrmEntity, id: number, why: string, source: LostTrigger = 'webhook') =>
      signalIfRunning(lostWorkflowId(entity, id), (h) => h.signal(crmChangedSignal, { source }), why),
    /** A reactivation deal changed: the workflow that made it (its ORIGIN_ID) checks the outcome; a failed one restarts. */
    reactivationDealChanged: async (workflowId: string, dealId: number, why: string): Promise<DispatchAction | undefined> => {
      const description = await describe(workflowId);
      if (unfinished(description)) return restartRun(description, `${why}; its reactivation had ended ${description.status.name.toLowerCase()}: restarted`);
      if (!running(description)) return undefined;
      await wf.getHandle(workflowId).signal(reactivationChangedSignal, { dealId });
      return { kind: 'signalled', workflowId, why };
    },
    expiryChanged: (dealId: number, why: string) => signalIfRunning(expiryWorkflowId(dealId), (h) => h.signal(expiryChangedSignal), why),
    cancelLost: (entity: CrmEntity, id: number, request: CancelRequest) => wf.getHandle(lostWorkflowId(entity, id)).signal(cancelSignal, request),
    /** Handles for queries and updates (the manager API). */
    lostHandle: (entity: CrmEntity, id: number) => wf.getHandle(lostWorkflowId(entity, id)),
    clientHandle: (kind: ClientKind, id: number) => wf.getHandle(clientWorkflowId(kind, id)),
    /** Backfill: whether the loss needs no hand-off (undefined: hand it off). */
    lossState: async (entity: CrmEntity, id: number, lossKey: string) => lossState(await describe(lostWorkflowId(entity, id)), lossKey),
    /** Backfill: whether the client's cycle already covers this purchase. */
    purchaseHandled: async (client: ClientKey, purchaseAt: string) => purchaseHandledBy(await describe(clientWorkflowId(client.kind, client.id)), purchaseAt),
    /** Backfill: whether the sold deal's reminders exist (running or made; not a failed run). */
    expiryExists: async (dealId: number) => ((d) => running(d) || finished(d))(await describe(expiryWorkflowId(dealId))),
    /** `npm run runs -- --restart-failed`: the workflow's latest run again, if it ended without finishing. */
    restartFailed: async (workflowId: string): Promise<DispatchAction> => {
      const description = await describe(workflowId);
      const status = description?.status.name.toLowerCase();
      if (unfinished(description)) return restartRun(description, `restarted after it ended ${status}`);
      return { kind: 'none', workflowId, why: status ? `its latest run is ${status}` : 'no such workflow' };
    },
    /** Backfill: the inbox's state, to tell whether it has seen the element's last change. */
    inbox: (entity: CrmEntity, id: number) => describe(crmEventsWorkflowId(entity, id)),
    running,
  };
}

async function handOff(temporal: Client, taskQueue: string, entity: CrmEntity, id: number, notice: CrmEventNotice, opts: { startDelayMs?: number }): Promise<string> {
  const workflowId = crmEventsWorkflowId(entity, id);
  await temporal.workflow.signalWithStart<CrmEventsWorkflow, [CrmEventNotice]>(CRM_EVENTS_WORKFLOW, {
    workflowId,
    taskQueue,
    args: [{ entity, id }],
    signal: crmEventSignal,
    signalArgs: [notice],
    ...(opts.startDelayMs ? { startDelay: opts.startDelayMs } : {}),
  });
  return workflowId;
}

/**
 * Restarts a run that ended without finishing (failed, timed out, terminated) with the same
 * workflow id, the same input and memo (its loss key or purchase): what the run did before is
 * found again by ORIGIN_ID, so nothing is made twice. An inbox is given its element again;
 * Schedule runs (reconcile, dormant scan) are not restarted (their Schedule runs them).
 */
async function restart(temporal: Client, taskQueue: string, description: WorkflowExecutionDescription, why: string): Promise<DispatchAction> {
  const { workflowId, runId, type } = description;
  const key = parseWorkflowId(workflowId);
  if (type === CRM_EVENTS_WORKFLOW && key?.scenario === 'inbox') {
    await handOff(temporal, taskQueue, key.entity, key.id, { event: 'RESTART', at: new Date().toISOString(), source: 'api' }, {});
    return { kind: 'started', workflowId, why };
  }
  if (!RESTARTABLE.has(type)) return { kind: 'none', workflowId, why: `${type} runs are started by their Schedule, not restarted` };
  const history = await temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (!started) return { kind: 'none', workflowId, why: `run ${runId} has no start event to restart from` };
  const converter = temporal.options.loadedDataConverter.payloadConverter;
  const [input, ...rest] = (started.input?.payloads ?? []).map((p) => converter.fromPayload(p));
  // A restarted reactivation does not announce the loss again.
  const args = type === LOST_DEAL_WORKFLOW && input && typeof input === 'object' ? [{ ...(input as LostDealInput), restartOf: runId }, ...rest] : [input, ...rest];
  const { [FAILURE_MEMO]: _failure, ...memo } = description.memo ?? {};
  await temporal.workflow.start(type, { workflowId, taskQueue, args, memo, workflowIdConflictPolicy: 'USE_EXISTING' });
  return { kind: 'started', workflowId, why };
}

/** Workflow types a restart starts again from their input (the inbox is handed its element instead). */
const RESTARTABLE = new Set<string>([LOST_DEAL_WORKFLOW, CLIENT_WORKFLOW, EXPIRY_WORKFLOW]);

/** A closed run that finished its story (completed, or cancelled by someone): it handled what it had. */
export function finished(d: WorkflowExecutionDescription | undefined): boolean {
  return d?.status.name === 'COMPLETED' || d?.status.name === 'CANCELLED';
}

/** A closed run that did not finish (failed, timed out, terminated): it handled nothing; restart it. */
export function unfinished(d: WorkflowExecutionDescription | undefined): d is WorkflowExecutionDescription {
  return d?.status.name === 'FAILED' || d?.status.name === 'TIMED_OUT' || d?.status.name === 'TERMINATED';
}

/** The input of a loss's first reactivation. */
export function firstAttempt(entity: CrmEntity, id: number, trigger: LostTrigger, managerReturnAt?: string): LostDealInput {
  return { entity, id, attempt: 1, lostElementId: id, trigger, ...(managerReturnAt ? { managerReturnAt } : {}), history: [] };
}
