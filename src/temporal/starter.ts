/**
 * The one place that starts and signals the product's workflows: the webhook bridge, the
 * reconciler, the inbox dispatch, the manager API, the backfill and the bench all go through
 * it, so conflict policies, memos and the "already handled" checks are written once.
 * Workflows are called by type name with their contract from `*.messages.ts`: no workflow body
 * is imported here. Ids come from src/shared/names.ts.
 *
 * Idempotency (docs/decisions.md D1–D3): the workflow ids come from business keys; a start
 * meets the running execution (USE_EXISTING); a closed lost-deal run remembers the loss it
 * handled (memo `lossKey`), a closed client cycle the purchase (memo `purchaseAt`).
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import type { CrmEventNotice, DispatchAction, PurchaseFact } from '../activities/contracts';
import type { ClientKey } from '../domain';
import { clientWorkflowId, crmEventsWorkflowId, expiryWorkflowId, lostWorkflowId, type ClientKind, type CrmEntity } from '../shared/names';
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
  async function handOffEvent(entity: CrmEntity, id: number, notice: CrmEventNotice, opts: { startDelayMs?: number } = {}): Promise<string> {
    const workflowId = crmEventsWorkflowId(entity, id);
    await wf.signalWithStart<CrmEventsWorkflow, [CrmEventNotice]>(CRM_EVENTS_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [{ entity, id }],
      signal: crmEventSignal,
      signalArgs: [notice],
      ...(opts.startDelayMs ? { startDelay: opts.startDelayMs } : {}),
    });
    return workflowId;
  }

  /** Whether this loss needs a new run: its reactivation runs, or a closed run handled it; undefined: start it. */
  function lossState(description: WorkflowExecutionDescription | undefined, lossKey: string): 'running' | 'handled' | undefined {
    if (running(description)) return 'running';
    if (description && description.memo?.lossKey === lossKey) return 'handled';
    return undefined;
  }

  /** The first reactivation of a loss; a running one is told the element changed. */
  async function ensureLost(loss: LossToStart): Promise<DispatchAction> {
    const workflowId = lostWorkflowId(loss.entity, loss.id);
    const description = await describe(workflowId);
    if (running(description)) {
      await wf.getHandle(workflowId).signal(crmChangedSignal, { source: loss.trigger });
      return { kind: 'signalled', workflowId, why: 'the element changed while its reactivation runs' };
    }
    if (lossState(description, loss.lossKey) === 'handled') return { kind: 'none', workflowId, why: `this loss (${loss.lossKey}) was already handled` };
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

  /** Whether a closed client cycle already handled this purchase (or a newer one). */
  function purchaseHandledBy(description: WorkflowExecutionDescription | undefined, purchaseAt: string): boolean {
    const handled = Date.parse(String(description?.memo?.purchaseAt ?? ''));
    return !!description && Number.isFinite(handled) && Date.parse(purchaseAt) <= handled;
  }

  /** A purchase into the client's cycle (signal-with-start), unless a closed run already had it. */
  async function ensureClient(client: ClientKey, purchase: PurchaseFact, dealId: number): Promise<DispatchAction> {
    const workflowId = clientWorkflowId(client.kind, client.id);
    const description = await describe(workflowId);
    if (description && !running(description) && purchaseHandledBy(description, purchase.at)) {
      return { kind: 'none', workflowId, why: `purchase ${dealId} is not newer than the one the last run handled` };
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
    if (description) return { kind: 'none', workflowId, why: 'its reminders were already made' };
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
    /** A reactivation deal changed: the workflow that made it (named by its ORIGIN_ID) checks the outcome. */
    reactivationDealChanged: (workflowId: string, dealId: number, why: string) =>
      signalIfRunning(workflowId, (h) => h.signal(reactivationChangedSignal, { dealId }), why),
    expiryChanged: (dealId: number, why: string) => signalIfRunning(expiryWorkflowId(dealId), (h) => h.signal(expiryChangedSignal), why),
    cancelLost: (entity: CrmEntity, id: number, request: CancelRequest) => wf.getHandle(lostWorkflowId(entity, id)).signal(cancelSignal, request),
    /** Handles for queries and updates (the manager API). */
    lostHandle: (entity: CrmEntity, id: number) => wf.getHandle(lostWorkflowId(entity, id)),
    clientHandle: (kind: ClientKind, id: number) => wf.getHandle(clientWorkflowId(kind, id)),
    /** Backfill: whether the loss needs no hand-off (undefined: hand it off). */
    lossState: async (entity: CrmEntity, id: number, lossKey: string) => lossState(await describe(lostWorkflowId(entity, id)), lossKey),
    /** Backfill: whether the client's cycle already covers this purchase. */
    purchaseHandled: async (client: ClientKey, purchaseAt: string) => purchaseHandledBy(await describe(clientWorkflowId(client.kind, client.id)), purchaseAt),
    /** Backfill: whether the sold deal's reminders exist (running or made). */
    expiryExists: async (dealId: number) => !!(await describe(expiryWorkflowId(dealId))),
    /** Backfill: the inbox's state, to tell whether it has seen the element's last change. */
    inbox: (entity: CrmEntity, id: number) => describe(crmEventsWorkflowId(entity, id)),
    running,
  };
}

/** The input of a loss's first reactivation. */
export function firstAttempt(entity: CrmEntity, id: number, trigger: LostTrigger, managerReturnAt?: string): LostDealInput {
  return { entity, id, attempt: 1, lostElementId: id, trigger, ...(managerReturnAt ? { managerReturnAt } : {}), history: [] };
}
