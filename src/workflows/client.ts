/**
 * Client reactivation after purchases (реактивация клиентов): one workflow per client.
 *
 * It waits for the client's next expected purchase (the earliest due product of the last
 * purchase decides) and for the next step of any sales chain. A new purchase restarts the
 * cycle (signal). On due it re-reads the CRM: bought since → restart from that purchase; an
 * open deal → a to-do on it; neither → a new deal with a to-do. After the configured number of
 * cycles without a purchase the client is moved to "Forgotten client" and the head is told.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClientActivities } from '../activities/client';
import type { ClientPlan, ClientTouch, PurchaseFact } from '../activities/contracts';
import { SA } from '../shared/search-attributes';
import { crmCall, isoDate, setSearchAttributes, waitUntil } from './common';
import {
  clientCancelSignal,
  clientPostponeUpdate,
  clientStatusQuery,
  purchaseSignal,
  setNextDateUpdate,
  type ClientCycleRecord,
  type ClientInput,
  type ClientPhase,
  type ClientResult,
  type ClientStatus,
} from './client.messages';
import type { CancelRequest } from './lost-deal.messages';

const crm = proxyActivities<ClientActivities>(crmCall);
const DAY_MS = 24 * 60 * 60 * 1000;
const HISTORY_KEPT = 50;

type FollowPlan = Extract<ClientPlan, { decision: 'follow' }>;

export async function clientReactivation(input: ClientInput): Promise<ClientResult> {
  const { client, cycle } = input;
  const offersMade = [...input.offersMade];
  const history: ClientCycleRecord[] = [...input.history].slice(-HISTORY_KEPT);
  let plan: FollowPlan | undefined;
  let managerDueAt = input.managerDueAt;
  let newerPurchase: PurchaseFact | undefined;
  let cancelled: CancelRequest | undefined;
  let dateVersion = 0;
  const status: ClientStatus = {
    client,
    cycle,
    phase: 'planning',
    why: 'reading the rules',
    lastPurchase: { dealId: input.purchase.dealId, at: input.purchase.at, products: input.purchase.items.map((i) => i.name) },
    touches: [],
    maxCycles: null,
    history,
  };

  setHandler(clientStatusQuery, () => status);
  setHandler(purchaseSignal, (purchase) => {
    const latest = newerPurchase ?? input.purchase;
    if (purchase.dealId !== latest.dealId && Date.parse(purchase.at) >= Date.parse(latest.at)) newerPurchase = purchase;
  });
  setHandler(clientCancelSignal, (request) => {
    cancelled ??= request;
  });
  setHandler(setNextDateUpdate, async ({ dueAt }) => moveDue(dueAt), { validator: ({ dueAt }) => checkDate(dueAt) });
  setHandler(
    clientPostponeUpdate,
    async ({ days }) => moveDue(isoDate(repurchaseAt() + days * DAY_MS)),
    {
      validator: ({ days }) => {
        if (!Number.isInteger(days) || days < 1) throw new Error('days: expected a whole number of days, at least 1');
        checkDate(isoDate(repurchaseAt() + days * DAY_MS));
      },
    },
  );

  function repurchaseAt(): number {
    const touch = plan?.touches.find((t) => t.kind === 'repurchase');
    if (!touch) throw new Error('no repurchase date is planned');
    return Date.parse(touch.at);
  }

  function checkDate(dueAt: string): void {
    if (status.phase !== 'waiting' || !plan) throw new Error(`the date can no longer change: phase is ${status.phase}`);
    const at = Date.parse(dueAt);
    if (Number.isNaN(at)) throw new Error('dueAt: expected an ISO 8601 date-time');
    const ahead = at - Date.now();
    if (ahead < plan.dateBounds.minAheadMs) throw new Error('dueAt: too close to now or in the past');
    if (ahead > plan.dateBounds.maxAheadMs) throw new Error(`dueAt: must be within ${Math.floor(plan.dateBounds.maxAheadMs / DAY_MS)} days`);
  }

  async function moveDue(dueAt: string): Promise<{ dueAt: string }> {
    managerDueAt = dueAt;
    await replan();
    dateVersion++;
    return { dueAt: plan ? isoDate(repurchaseAt()) : dueAt };
  }

  async function replan(): Promise<ClientPlan> {
    const next = await crm.planClientCycle({ client, purchase: input.purchase, cycle, offersMade, managerDueAt });
    plan = next.decision === 'follow' ? next : undefined;
    if (plan) {
      status.touches = plan.touches;
      status.maxCycles = plan.maxCycles;
    }
    return next;
  }

  const first = await replan();
  if (first.decision === 'skip') return finish('skipped', first.why);

  for (;;) {
    let next = nextTouch();
    if (!next) return finish('skipped', 'nothing left to offer for this purchase');
    publish('waiting', `waiting until ${next.at}: ${next.label}`, next.at);

    await waitUntil(
      () => Date.parse(nextTouch()?.at ?? isoDate(Date.now())),
      () => cancelled !== undefined || newerPurchase !== undefined,
      () => dateVersion,
    );
    if (cancelled) return finish('cancelled', `cancelled by ${cancelled.by ?? 'a manager'}: ${cancelled.reason}`);
    if (newerPurchase) return restartFrom(newerPurchase, 'a new purchase arrived');
    next = nextTouch();
    if (!next || Date.parse(next.at) > Date.now()) continue; // a manager moved the date meanwhile

    publish('acting', `due: ${next.label}`);
    const seen = await crm.inspectClient({ client, since: input.purchase.at, purchaseDealId: input.purchase.dealId });
    if (seen.state === 'gone') return finish('skipped', 'the client no longer exists in the CRM');
    if (seen.state === 'purchased') return restartFrom(seen.purchase, `bought again in deal ${seen.purchase.dealId}`);
    if (newerPurchase) return restartFrom(newerPurchase, 'a new purchase arrived');

    const made = await crm.touchClient({
      client,
      workflowId: workflowInfo().workflowId,
      touch: next,
      purchase: input.purchase,
      cycle,
      openDealId: seen.state === 'openDeal' ? seen.dealId : undefined,
    });
    offersMade.push(next.key);
    history.push({ cycle, touch: next.label, at: isoDate(Date.now()), result: made.kind, dealId: made.dealId });
    // A purchase signalled while this touch was being made: the next cycle counts from it (a
    // continue-as-new below would carry the old purchase and drop the signal).
    if (newerPurchase) return restartFrom(newerPurchase, 'a new purchase arrived');

    if (next.kind === 'repurchase') {
      if (plan!.maxCycles !== null && cycle >= plan!.maxCycles) {
        publish('forgotten', `${cycle} cycle(s) without a purchase`);
        await crm.markClientForgotten({ client, workflowId: workflowInfo().workflowId, dealId: made.dealId, cycle });
        return finish('forgotten', `no purchase in ${cycle} cycle(s)`);
      }
      await condition(allHandlersFinished);
      return continueAsNew<typeof clientReactivation>({
        client,
        purchase: input.purchase,
        cycle: cycle + 1,
        offersMade,
        history,
      });
    }
  }

  function nextTouch(): ClientTouch | undefined {
    const pending = plan?.touches.filter((t) => !offersMade.includes(t.key)) ?? [];
    const next = pending.reduce<ClientTouch | undefined>((a, t) => (!a || Date.parse(t.at) < Date.parse(a.at) ? t : a), undefined);
    status.nextTouch = next;
    return next;
  }

  async function restartFrom(purchase: PurchaseFact, why: string): Promise<never> {
    history.push({ cycle, touch: 'purchase', at: purchase.at, result: 'purchased', dealId: purchase.dealId });
    publish('planning', why);
    await condition(allHandlersFinished);
    return continueAsNew<typeof clientReactivation>({ client, purchase, cycle: 1, offersMade: [], history });
  }

  function publish(phase: ClientPhase, why: string, nextAt?: string): void {
    status.phase = phase;
    status.why = why;
    status.cycle = cycle;
    setSearchAttributes([
      { key: SA.Scenario, value: 'client' },
      { key: SA.ClientId, value: `${client.kind}-${client.id}` },
      { key: SA.Phase, value: phase },
      { key: SA.Attempt, value: cycle },
      { key: SA.NextWakeUp, value: nextAt ? new Date(nextAt) : null },
      { key: SA.Products, value: plan?.products ?? [] },
      { key: SA.Responsible, value: plan?.responsibleId ?? null },
    ]);
    setCurrentDetails(
      [
        `**Client ${client.kind} ${client.id}** — cycle ${cycle}${plan?.maxCycles ? ` of ${plan.maxCycles}` : ''}`,
        `**Phase:** ${phase} — ${why}`,
        `**Last purchase:** deal ${input.purchase.dealId} on ${input.purchase.at} (${status.lastPurchase.products.join(', ')})`,
        plan ? `**Plan:** ${plan.why}` : '',
        ...(plan?.touches ?? []).map((t) => `- ${t.at}: ${t.label}${offersMade.includes(t.key) ? ' (done)' : ''}`),
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  async function finish(phase: 'cancelled' | 'forgotten' | 'skipped', why: string): Promise<ClientResult> {
    publish(phase, why);
    await condition(allHandlersFinished);
    return { outcome: phase, why, history };
  }
}
