/**
 * Lost-deal reactivation (реактивация отказов): one workflow per lost deal or junk lead.
 *
 * It plans the return date from the loss reason, sleeps until then (a manager may move, postpone
 * or cancel it), wakes in working hours, re-reads the CRM, creates the reactivation with a to-do
 * for the right manager, and follows it: won → done; lost again → the next attempt with the new
 * reason's period (continue-as-new); limit reached → "Forgotten client" and a notice to the head.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { LostDealActivities } from '../activities/lost-deal';
import type { CreateReactivationResult, ElementOutcome, LostPlan, PrepareRequest, PrepareResult } from '../activities/contracts';
import { SA } from '../shared/search-attributes';
import { crmCall, failRun, isoDate, setSearchAttributes, waitUntil } from './common';
import {
  cancelSignal,
  crmChangedSignal,
  lostDealStatusQuery,
  postponeUpdate,
  reactivationChangedSignal,
  setReturnDateUpdate,
  type AttemptRecord,
  type CancelRequest,
  type LostDealInput,
  type LostDealResult,
  type LostDealStatus,
  type LostPhase,
} from './lost-deal.messages';

const crm = proxyActivities<LostDealActivities>(crmCall);

type ReactivatePlan = Extract<LostPlan, { decision: 'reactivate' }>;
type Proceed = Extract<PrepareResult, { proceed: true }>;

const DAY_MS = 24 * 60 * 60 * 1000;

export async function lostDealReactivation(input: LostDealInput): Promise<LostDealResult> {
  const run = new LostDealRun(input);
  run.listen();
  try {
    return await reactivate(run);
  } catch (error) {
    // A final error (the portal refused for good, the rules cannot be applied): fail now, visibly.
    throw failRun(error, `lost ${input.entity} ${input.id} (attempt ${input.attempt})`, (reason) => run.publish('failed', reason));
  }
}

async function reactivate(run: LostDealRun): Promise<LostDealResult> {
  const { input } = run;
  if (!(await run.replan())) return run.finish('skipped', run.skipWhy);
  // The original's loss, remembered after the run closes: the inbox never restarts a handled loss.
  if (input.attempt === 1) upsertMemo({ lossKey: run.plan!.lossKey });
  // A loss found by the backfill is old news, and a restarted run's loss was announced already.
  if (run.history.length === 0 && input.trigger !== 'backfill' && !input.restartOf) await run.notify('loss');

  const stopped = await sleepUntilReturn(run);
  if (stopped) return stopped;

  const request: PrepareRequest = { entity: input.entity, id: input.id, lostElementId: input.lostElementId, attempt: input.attempt, workflowId: workflowInfo().workflowId };
  const prepared = await prepareAtReturn(run, request);
  if (!('proceed' in prepared)) return prepared;

  const record = await createReactivation(run, request, prepared);
  return followReactivation(run, record, prepared.responsibleWhy);
}

/** Sleep until the return date; reminders "N days before" on the way; a CRM change re-plans. */
async function sleepUntilReturn(run: LostDealRun): Promise<LostDealResult | undefined> {
  for (;;) {
    run.publish('waiting', `waiting until ${run.plan!.returnAt} (${run.plan!.basis} period for "${run.plan!.reason.name}")`);
    const nextReminder = () => run.plan!.remindAt.find((at) => !run.remindersSent.has(at) && Date.parse(at) > Date.now() - 1000);
    const wake = await waitUntil(
      () => Math.min(Date.parse(nextReminder() ?? run.plan!.returnAt), Date.parse(run.plan!.returnAt)),
      () => run.cancelled !== undefined || run.crmChanged || run.reactivationChanged,
      () => run.dateVersion,
    );
    if (run.cancelled) return run.finish('cancelled', run.cancelWhy());
    if (run.crmChanged || run.reactivationChanged) {
      run.crmChanged = run.reactivationChanged = false;
      if (!(await run.replan())) return run.finish('skipped', run.skipWhy);
      continue;
    }
    if (wake === 'due' && Date.now() < Date.parse(run.plan!.returnAt)) {
      const reminder = nextReminder();
      if (reminder) {
        run.remindersSent.add(reminder);
        await run.notify('beforeReturn');
      }
      continue;
    }
    return undefined;
  }
}

/** Wake up: re-read the CRM, pick the responsible, respect the daily cap. */
async function prepareAtReturn(run: LostDealRun, request: PrepareRequest): Promise<LostDealResult | Proceed> {
  run.publish('creating', 'checking the CRM before creating the reactivation');
  let prepared = await crm.prepareReactivation(request);
  while (prepared.proceed && prepared.notBefore) {
    const notBefore = Date.parse(prepared.notBefore);
    run.publish('waiting', `daily cap of manager ${prepared.responsibleId} reached; next slot ${prepared.notBefore}`);
    await condition(() => run.cancelled !== undefined, Math.max(1, notBefore - Date.now()));
    if (run.cancelled) return run.finish('cancelled', run.cancelWhy());
    prepared = await crm.prepareReactivation(request);
  }
  if (!prepared.proceed) return run.finish('skipped', prepared.why);
  return prepared;
}

/** The reactivation with its to-do, recorded as this attempt, and the notice "at the return". */
async function createReactivation(run: LostDealRun, request: PrepareRequest, prepared: Proceed): Promise<AttemptRecord> {
  run.status.responsibleId = prepared.responsibleId;
  const made: CreateReactivationResult = await crm.createReactivation({ ...request, reason: run.plan!.reason, responsibleId: prepared.responsibleId });
  run.status.reactivationId = made.elementId;
  const record: AttemptRecord = { attempt: request.attempt, elementId: made.elementId, createdAt: isoDate(Date.now()), outcome: 'open' };
  run.history.push(record);
  await run.notify('return');
  return record;
}

/** Follow the reactivation until it is won or lost (or deleted, or the follow-up is cancelled). */
async function followReactivation(run: LostDealRun, record: AttemptRecord, responsibleWhy: string): Promise<LostDealResult> {
  const { entity } = run.input;
  run.publish('following', `following ${entity} ${record.elementId} (${responsibleWhy})`);
  for (;;) {
    const outcome = await crm.readOutcome({ entity, elementId: record.elementId });
    if (outcome.state === 'won') {
      record.outcome = 'won';
      return run.finish('done', `reactivation ${record.elementId} won`, 'won');
    }
    if (outcome.state === 'deleted') {
      record.outcome = 'deleted';
      return run.finish('done', `reactivation ${record.elementId} was deleted`, 'deleted');
    }
    if (outcome.state === 'lost') return lostAgain(run, record, outcome);
    run.reactivationChanged = false;
    await condition(() => run.reactivationChanged || run.cancelled !== undefined, run.plan!.followUpCheckMs);
    if (run.cancelled) return run.finish('cancelled', `stopped following: ${run.cancelWhy()}`);
  }
}

/** Lost again: the next attempt with the new reason's period; at the limit, "Forgotten client". */
async function lostAgain(run: LostDealRun, record: AttemptRecord, outcome: Extract<ElementOutcome, { state: 'lost' }>): Promise<LostDealResult> {
  const { entity, id, attempt } = run.input;
  record.outcome = 'lost';
  record.lostStageId = outcome.stageId;
  if (run.plan!.maxAttempts !== null && attempt >= run.plan!.maxAttempts) {
    run.publish('forgotten', `lost ${attempt} time(s) after reactivation; limit ${run.plan!.maxAttempts} reached`);
    await crm.markForgotten({ entity, id, elementId: record.elementId, attempt });
    await run.notify('forgotten');
    return run.finish('forgotten', `limit of ${run.plan!.maxAttempts} reactivations reached`);
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof lostDealReactivation>({
    entity,
    id,
    attempt: attempt + 1,
    lostElementId: record.elementId,
    trigger: run.input.trigger,
    history: run.history,
  });
}

/** One run's state, its message handlers, and what it tells the Web UI and the managers. */
class LostDealRun {
  readonly history: AttemptRecord[];
  readonly status: LostDealStatus;
  plan: ReactivatePlan | undefined;
  managerReturnAt: string | undefined;
  cancelled: CancelRequest | undefined;
  crmChanged = false;
  reactivationChanged = false;
  dateVersion = 0;
  skipWhy = '';
  readonly remindersSent = new Set<string>();

  constructor(readonly input: LostDealInput) {
    const { entity, id, attempt } = input;
    this.history = [...input.history];
    this.status = { entity, id, attempt, phase: 'planning', why: 'reading the CRM', maxAttempts: null, history: this.history };
    this.managerReturnAt = input.managerReturnAt;
  }

  /** The messages, set before the first await. */
  listen(): void {
    setHandler(lostDealStatusQuery, () => this.status);
    setHandler(cancelSignal, (request) => {
      this.cancelled ??= request;
    });
    setHandler(crmChangedSignal, () => {
      this.crmChanged = true;
    });
    setHandler(reactivationChangedSignal, () => {
      this.reactivationChanged = true;
    });
    setHandler(
      setReturnDateUpdate,
      async ({ returnAt }) => this.moveReturnDate(returnAt),
      { validator: ({ returnAt }) => this.checkManagerDate(returnAt) },
    );
    setHandler(
      postponeUpdate,
      async ({ days }) => this.moveReturnDate(isoDate(Date.parse(this.plan!.returnAt) + days * DAY_MS)),
      {
        validator: ({ days }) => {
          if (!Number.isInteger(days) || days < 1) throw new Error('days: expected a whole number of days, at least 1');
          if (!this.plan) throw new Error('the reactivation has no return date yet');
          this.checkManagerDate(isoDate(Date.parse(this.plan.returnAt) + days * DAY_MS));
        },
      },
    );
  }

  private checkManagerDate(returnAt: string): void {
    const { status, plan } = this;
    if (status.phase !== 'waiting' || !plan) throw new Error(`the return date can no longer change: phase is ${status.phase}`);
    const at = Date.parse(returnAt);
    if (Number.isNaN(at)) throw new Error('returnAt: expected an ISO 8601 date-time');
    const ahead = at - Date.now();
    const { minAheadMs, maxAheadMs } = plan.managerDateBounds;
    if (ahead < minAheadMs) throw new Error(`returnAt: must be at least ${Math.ceil(minAheadMs / 60000)} minutes in the future`);
    if (ahead > maxAheadMs) throw new Error(`returnAt: must be within ${Math.floor(maxAheadMs / DAY_MS)} days from now`);
  }

  private async moveReturnDate(returnAt: string): Promise<{ returnAt: string }> {
    this.managerReturnAt = returnAt;
    const next = await this.replan();
    // The element changed meanwhile (re-opened, deleted): the main loop re-plans and stops.
    if (!next) this.crmChanged = true;
    else this.dateVersion++;
    return { returnAt: this.plan!.returnAt };
  }

  /** Plans the return from the CRM as it is now; undefined (and skipWhy) when there is nothing to reactivate. */
  async replan(): Promise<ReactivatePlan | undefined> {
    const { entity, id, lostElementId, attempt } = this.input;
    const next = await crm.planLostReactivation({ entity, id, lostElementId, attempt, managerReturnAt: this.managerReturnAt });
    if (next.decision === 'skip') {
      this.skipWhy = next.why;
      return undefined;
    }
    this.plan = next;
    this.status.reason = next.reason;
    this.status.returnAt = next.returnAt;
    this.status.returnBasis = next.basis;
    this.status.responsibleId = next.responsibleId;
    this.status.maxAttempts = next.maxAttempts;
    return next;
  }

  cancelWhy(): string {
    const { cancelled } = this;
    return cancelled ? `cancelled by ${cancelled.by ?? 'a manager'}: ${cancelled.reason}` : 'cancelled';
  }

  notify(notice: 'loss' | 'beforeReturn' | 'return' | 'forgotten'): Promise<void> {
    const { entity, id, attempt } = this.input;
    return crm.notifyLost({
      notice,
      entity,
      id,
      attempt,
      reason: this.plan?.reason,
      returnAt: this.plan?.returnAt,
      responsibleId: this.status.responsibleId,
      reactivationId: this.status.reactivationId,
    });
  }

  publish(phase: LostPhase, why: string): void {
    const { entity, id, attempt } = this.input;
    const { status, plan } = this;
    status.phase = phase;
    status.why = why;
    const wakeUp = phase === 'waiting' && plan ? new Date(plan.returnAt) : null;
    setSearchAttributes([
      { key: SA.Scenario, value: 'lost-deal' },
      entity === 'deal' ? { key: SA.DealId, value: id } : { key: SA.LeadId, value: String(id) },
      { key: SA.Phase, value: phase },
      { key: SA.Attempt, value: attempt },
      { key: SA.NextWakeUp, value: wakeUp },
      { key: SA.LossReason, value: status.reason?.name ?? null },
      { key: SA.Responsible, value: status.responsibleId ?? null },
      { key: SA.ClientId, value: plan?.clientKey ?? null },
    ]);
    setCurrentDetails(
      [
        `**${entity} ${id}** — attempt ${attempt}${status.maxAttempts ? ` of ${status.maxAttempts}` : ''}`,
        `**Phase:** ${phase} — ${why}`,
        status.reason ? `**Loss reason:** ${status.reason.name} (${status.reason.stageId})` : '',
        status.returnAt ? `**Return date:** ${status.returnAt} (${status.returnBasis})` : '',
        status.responsibleId ? `**Responsible:** user ${status.responsibleId}` : '',
        status.reactivationId ? `**Reactivation:** ${entity} ${status.reactivationId}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  async finish(phase: 'done' | 'skipped' | 'cancelled' | 'forgotten', why: string, outcome?: 'won' | 'deleted'): Promise<LostDealResult> {
    this.publish(phase, why);
    await condition(allHandlersFinished);
    const result = outcome ?? (phase === 'done' ? 'won' : phase);
    return { outcome: result as LostDealResult['outcome'], why, attempts: this.history };
  }
}
