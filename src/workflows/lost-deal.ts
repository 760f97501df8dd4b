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
import type { LostPlan } from '../activities/contracts';
import { SA } from '../shared/search-attributes';
import { crmCall, isoDate, setSearchAttributes, waitUntil } from './common';
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

const DAY_MS = 24 * 60 * 60 * 1000;

export async function lostDealReactivation(input: LostDealInput): Promise<LostDealResult> {
  const { entity, id, attempt } = input;
  const history: AttemptRecord[] = [...input.history];
  const status: LostDealStatus = { entity, id, attempt, phase: 'planning', why: 'reading the CRM', maxAttempts: null, history };
  let plan: ReactivatePlan | undefined;
  let managerReturnAt = input.managerReturnAt;
  let cancelled: CancelRequest | undefined;
  let crmChanged = false;
  let reactivationChanged = false;
  let dateVersion = 0;
  const remindersSent = new Set<string>();

  // ---- messages (set before the first await) ----
  setHandler(lostDealStatusQuery, () => status);
  setHandler(cancelSignal, (request) => {
    cancelled ??= request;
  });
  setHandler(crmChangedSignal, () => {
    crmChanged = true;
  });
  setHandler(reactivationChangedSignal, () => {
    reactivationChanged = true;
  });
  setHandler(
    setReturnDateUpdate,
    async ({ returnAt }) => moveReturnDate(returnAt),
    { validator: ({ returnAt }) => checkManagerDate(returnAt) },
  );
  setHandler(
    postponeUpdate,
    async ({ days }) => moveReturnDate(isoDate(Date.parse(plan!.returnAt) + days * DAY_MS)),
    {
      validator: ({ days }) => {
        if (!Number.isInteger(days) || days < 1) throw new Error('days: expected a whole number of days, at least 1');
        if (!plan) throw new Error('the reactivation has no return date yet');
        checkManagerDate(isoDate(Date.parse(plan.returnAt) + days * DAY_MS));
      },
    },
  );

  function checkManagerDate(returnAt: string): void {
    if (status.phase !== 'waiting' || !plan) throw new Error(`the return date can no longer change: phase is ${status.phase}`);
    const at = Date.parse(returnAt);
    if (Number.isNaN(at)) throw new Error('returnAt: expected an ISO 8601 date-time');
    const ahead = at - Date.now();
    const { minAheadMs, maxAheadMs } = plan.managerDateBounds;
    if (ahead < minAheadMs) throw new Error(`returnAt: must be at least ${Math.ceil(minAheadMs / 60000)} minutes in the future`);
    if (ahead > maxAheadMs) throw new Error(`returnAt: must be within ${Math.floor(maxAheadMs / DAY_MS)} days from now`);
  }

  async function moveReturnDate(returnAt: string): Promise<{ returnAt: string }> {
    managerReturnAt = returnAt;
    const next = await replan();
    // The element changed meanwhile (re-opened, deleted): the main loop re-plans and stops.
    if (!next) crmChanged = true;
    else dateVersion++;
    return { returnAt: plan!.returnAt };
  }

  // ---- the story ----
  async function replan(): Promise<ReactivatePlan | undefined> {
    const next = await crm.planLostReactivation({ entity, id, lostElementId: input.lostElementId, attempt, managerReturnAt });
    if (next.decision === 'skip') {
      skipWhy = next.why;
      return undefined;
    }
    plan = next;
    status.reason = next.reason;
    status.returnAt = next.returnAt;
    status.returnBasis = next.basis;
    status.responsibleId = next.responsibleId;
    status.maxAttempts = next.maxAttempts;
    return next;
  }
  let skipWhy = '';

  if (!(await replan())) return finish('skipped', skipWhy);
  // The original's loss, remembered after the run closes: the inbox never restarts a handled loss.
  if (attempt === 1) upsertMemo({ lossKey: plan!.lossKey });
  // A loss found by the backfill is old news: no notice "at the loss".
  if (history.length === 0 && input.trigger !== 'backfill') await notify('loss');

  // Sleep until the return date; reminders "N days before" on the way.
  for (;;) {
    publish('waiting', `waiting until ${plan!.returnAt} (${plan!.basis} period for "${plan!.reason.name}")`);
    const nextReminder = () => plan!.remindAt.find((at) => !remindersSent.has(at) && Date.parse(at) > Date.now() - 1000);
    const wake = await waitUntil(
      () => Math.min(Date.parse(nextReminder() ?? plan!.returnAt), Date.parse(plan!.returnAt)),
      () => cancelled !== undefined || crmChanged || reactivationChanged,
      () => dateVersion,
    );
    if (cancelled) return finish('cancelled', cancelWhy());
    if (crmChanged || reactivationChanged) {
      crmChanged = reactivationChanged = false;
      if (!(await replan())) return finish('skipped', skipWhy);
      continue;
    }
    if (wake === 'due' && Date.now() < Date.parse(plan!.returnAt)) {
      const reminder = nextReminder();
      if (reminder) {
        remindersSent.add(reminder);
        await notify('beforeReturn');
      }
      continue;
    }
    break;
  }

  // Wake up: re-read the CRM, pick the responsible, respect the daily cap.
  publish('creating', 'checking the CRM before creating the reactivation');
  const workflowId = workflowInfo().workflowId;
  const request = { entity, id, lostElementId: input.lostElementId, attempt, workflowId };
  let prepared = await crm.prepareReactivation(request);
  while (prepared.proceed && prepared.notBefore) {
    const notBefore = Date.parse(prepared.notBefore);
    publish('waiting', `daily cap of manager ${prepared.responsibleId} reached; next slot ${prepared.notBefore}`);
    await condition(() => cancelled !== undefined, Math.max(1, notBefore - Date.now()));
    if (cancelled) return finish('cancelled', cancelWhy());
    prepared = await crm.prepareReactivation(request);
  }
  if (!prepared.proceed) return finish('skipped', prepared.why);

  status.responsibleId = prepared.responsibleId;
  const made = await crm.createReactivation({ ...request, reason: plan!.reason, responsibleId: prepared.responsibleId });
  status.reactivationId = made.elementId;
  const record: AttemptRecord = { attempt, elementId: made.elementId, createdAt: isoDate(Date.now()), outcome: 'open' };
  history.push(record);
  await notify('return');

  // Follow the reactivation until it is won or lost.
  publish('following', `following ${entity} ${made.elementId} (${prepared.responsibleWhy})`);
  for (;;) {
    const outcome = await crm.readOutcome({ entity, elementId: made.elementId });
    if (outcome.state === 'won') {
      record.outcome = 'won';
      return finish('done', `reactivation ${made.elementId} won`, 'won');
    }
    if (outcome.state === 'deleted') {
      record.outcome = 'deleted';
      return finish('done', `reactivation ${made.elementId} was deleted`, 'deleted');
    }
    if (outcome.state === 'lost') {
      record.outcome = 'lost';
      record.lostStageId = outcome.stageId;
      if (plan!.maxAttempts !== null && attempt >= plan!.maxAttempts) {
        publish('forgotten', `lost ${attempt} time(s) after reactivation; limit ${plan!.maxAttempts} reached`);
        await crm.markForgotten({ entity, id, elementId: made.elementId, attempt });
        await notify('forgotten');
        return finish('forgotten', `limit of ${plan!.maxAttempts} reactivations reached`);
      }
      await condition(allHandlersFinished);
      return continueAsNew<typeof lostDealReactivation>({
        entity,
        id,
        attempt: attempt + 1,
        lostElementId: made.elementId,
        trigger: input.trigger,
        history,
      });
    }
    reactivationChanged = false;
    await condition(() => reactivationChanged || cancelled !== undefined, plan!.followUpCheckMs);
    if (cancelled) return finish('cancelled', `stopped following: ${cancelWhy()}`);
  }

  // ---- helpers ----
  function cancelWhy(): string {
    return cancelled ? `cancelled by ${cancelled.by ?? 'a manager'}: ${cancelled.reason}` : 'cancelled';
  }

  function notify(notice: 'loss' | 'beforeReturn' | 'return' | 'forgotten'): Promise<void> {
    return crm.notifyLost({
      notice,
      entity,
      id,
      attempt,
      reason: plan?.reason,
      returnAt: plan?.returnAt,
      responsibleId: status.responsibleId,
      reactivationId: status.reactivationId,
    });
  }

  function publish(phase: LostPhase, why: string): void {
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

  async function finish(
    phase: 'done' | 'skipped' | 'cancelled' | 'forgotten',
    why: string,
    outcome?: 'won' | 'deleted',
  ): Promise<LostDealResult> {
    publish(phase, why);
    await condition(allHandlersFinished);
    const result = outcome ?? (phase === 'done' ? 'won' : phase);
    return { outcome: result as LostDealResult['outcome'], why, attempts: history };
  }
}
