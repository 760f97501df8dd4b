/**
 * Repeat-sale reminders by expiry date (seed 004): one workflow per sold deal that has an
 * expiry (a licence, a policy, consumables running out). It plans the expiry date (a deal
 * field, purchase date + term, or a consumption forecast) and the reminder offsets, then
 * performs each reminder's action at its time. A manager changing the date in Bitrix24
 * re-plans the remaining reminders.
 */
import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExpiryActivities } from '../activities/expiry';
import type { ExpiryPlan } from '../activities/contracts';
import { SA } from '../shared/search-attributes';
import { crmCall, failRun, setSearchAttributes, waitUntil } from './common';
import type { CancelRequest } from './common.messages';
import { expiryCancelSignal, expiryChangedSignal, expiryStatusQuery, type ExpiryInput, type ExpiryStatus } from './expiry.messages';

const crm = proxyActivities<ExpiryActivities>(crmCall);

export async function expiryReminders({ dealId, done: doneBefore = [] }: ExpiryInput): Promise<ExpiryStatus> {
  const done = new Set(doneBefore);
  let plan: Extract<ExpiryPlan, { decision: 'remind' }> | undefined;
  let changed = false;
  let cancelled: CancelRequest | undefined;
  const status: ExpiryStatus = { dealId, phase: 'planning', why: 'reading the deal', reminders: [] };

  setHandler(expiryStatusQuery, () => ({ ...status, reminders: (plan?.reminders ?? []).map((r) => ({ ...r, done: done.has(r.key) })) }));
  setHandler(expiryChangedSignal, () => {
    changed = true;
  });
  setHandler(expiryCancelSignal, (request) => {
    cancelled ??= request;
  });

  const next = () => plan?.reminders.find((r) => !done.has(r.key));

  try {
    return await remind();
  } catch (error) {
    // A final error (the portal refused for good, the rules cannot be applied): fail now, visibly.
    throw failRun(error, `expiry reminders of deal ${dealId}`, (reason) => publish('failed', reason));
  }

  async function remind(): Promise<ExpiryStatus> {
    for (;;) {
      const planned = await crm.planExpiry({ dealId });
      if (planned.decision === 'skip') return finish('skipped', planned.why);
      plan = planned;
      status.expiresAt = planned.expiresAt;
      const reminder = next();
      if (!reminder) return finish('done', `all reminders for the expiry on ${planned.expiresAt} were made`);
      publish('waiting', `expires ${planned.expiresAt} (${planned.basis}); next: ${reminder.offset} → ${reminder.action} at ${reminder.at}`, reminder.at);

      await waitUntil(
        () => Date.parse(reminder.at),
        () => changed || cancelled !== undefined,
        () => 0,
      );
      if (cancelled) return finish('cancelled', `cancelled by ${cancelled.by ?? 'a manager'}: ${cancelled.reason}`);
      if (changed) {
        changed = false;
        continue;
      }
      await crm.performReminder({ dealId, workflowId: workflowInfo().workflowId, reminder, expiresAt: planned.expiresAt });
      done.add(reminder.key);
    }
  }

  function publish(phase: ExpiryStatus['phase'], why: string, nextAt?: string): void {
    status.phase = phase;
    status.why = why;
    setSearchAttributes([
      { key: SA.Scenario, value: 'expiry' },
      { key: SA.DealId, value: dealId },
      { key: SA.Phase, value: phase },
      { key: SA.NextWakeUp, value: nextAt ? new Date(nextAt) : null },
      { key: SA.Responsible, value: plan?.responsibleId ?? null },
    ]);
    setCurrentDetails(
      [
        `**Deal ${dealId}** — ${phase}: ${why}`,
        ...(plan?.reminders ?? []).map((r) => `- ${r.at}: ${r.offset} → ${r.action}${done.has(r.key) ? ' (done)' : ''}`),
      ].join('\n\n'),
    );
  }

  async function finish(phase: 'done' | 'skipped' | 'cancelled', why: string): Promise<ExpiryStatus> {
    publish(phase, why);
    await condition(allHandlersFinished);
    return { ...status, reminders: (plan?.reminders ?? []).map((r) => ({ ...r, done: done.has(r.key) })) };
  }
}

