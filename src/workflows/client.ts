/**
 * Client reactivation after purchases (реактивация клиентов): one workflow per client.
 *
 * It waits for the client's next expected purchase (the earliest due product of the last
 * purchase decides) and for the next step of any sales chain. A new purchase restarts the
 * cycle (signal). On due it re-reads the CRM: bought since → restart from that purchase; an
 * open deal → a to-do on it; neither → a new deal with a to-do. After the configured number of
 * cycles without a purchase the client is moved to "Forgotten client" and the head is told.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ClientActivities } from '../activities/client';
import type { ClientPlan, ClientTouch, PurchaseFact } from '../activities/contracts';
import { SA } from '../shared/search-attributes';
import { crmCall, failRun, isoDate, setSearchAttributes, waitUntil } from './common';
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
  const run = new ClientRun(input);
  run.listen();
  try {
    return await followClient(run);
  } catch (error) {
    // A final error (the portal refused for good, the rules cannot be applied): fail now, visibly.
    throw failRun(error, `client ${input.client.kind} ${input.client.id} (cycle ${input.cycle})`, (reason) => run.publish('failed', reason));
  }
}

async function followClient(run: ClientRun): Promise<ClientResult> {
  const first = await run.replan();
  if (first.decision === 'skip') return run.finish('skipped', first.why);

  for (;;) {
    const due = await waitForTouch(run);
    if (due === undefined) continue; // a manager moved the date meanwhile
    if ('outcome' in due) return due;
    const ended = await touchTheClient(run, due);
    if (ended) return ended;
  }
}

/** Sleeps until the next touch is due; a cancellation or a new purchase ends the wait. */
async function waitForTouch(run: ClientRun): Promise<ClientResult | ClientTouch | undefined> {
  const next = run.nextTouch();
  if (!next) return run.finish('skipped', 'nothing left to offer for this purchase');
  run.publish('waiting', `waiting until ${next.at}: ${next.label}`, next.at);

  await waitUntil(
    () => Date.parse(run.nextTouch()?.at ?? isoDate(Date.now())),
    () => run.cancelled !== undefined || run.newerPurchase !== undefined,
    () => run.dateVersion,
  );
  if (run.cancelled) return run.finish('cancelled', `cancelled by ${run.cancelled.by ?? 'a manager'}: ${run.cancelled.reason}`);
  if (run.newerPurchase) return run.restartFrom(run.newerPurchase, 'a new purchase arrived');
  const due = run.nextTouch();
  return !due || Date.parse(due.at) > Date.now() ? undefined : due;
}

/**
 * At the due time: re-read the CRM (bought since → restart from that purchase), then touch the
 * client. After the repurchase touch, the next cycle (or "Forgotten client" at the limit);
 * undefined after a chain touch (the cycle goes on).
 */
async function touchTheClient(run: ClientRun, next: ClientTouch): Promise<ClientResult | undefined> {
  const { client, purchase, cycle } = run.input;
  run.publish('acting', `due: ${next.label}`);
  const seen = await crm.inspectClient({ client, since: purchase.at, purchaseDealId: purchase.dealId });
  if (seen.state === 'gone') return run.finish('skipped', 'the client no longer exists in the CRM');
  if (seen.state === 'purchased') return run.restartFrom(seen.purchase, `bought again in deal ${seen.purchase.dealId}`);
  if (run.newerPurchase) return run.restartFrom(run.newerPurchase, 'a new purchase arrived');

  const made = await crm.touchClient({
    client,
    workflowId: workflowInfo().workflowId,
    touch: next,
    purchase,
    cycle,
    openDealId: seen.state === 'openDeal' ? seen.dealId : undefined,
  });
  run.offersMade.push(next.key);
  run.history.push({ cycle, touch: next.label, at: isoDate(Date.now()), result: made.kind, dealId: made.dealId });
  // A purchase signalled while this touch was being made: the next cycle counts from it (a
  // continue-as-new below would carry the old purchase and drop the signal).
  if (run.newerPurchase) return run.restartFrom(run.newerPurchase, 'a new purchase arrived');

  if (next.kind !== 'repurchase') return undefined;
  if (run.plan!.maxCycles !== null && cycle >= run.plan!.maxCycles) {
    run.publish('forgotten', `${cycle} cycle(s) without a purchase`);
    await crm.markClientForgotten({ client, workflowId: workflowInfo().workflowId, dealId: made.dealId, cycle });
    return run.finish('forgotten', `no purchase in ${cycle} cycle(s)`);
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof clientReactivation>({ client, purchase, cycle: cycle + 1, offersMade: run.offersMade, history: run.history });
}

/** One run's state, its message handlers, and what it tells the Web UI. */
class ClientRun {
  readonly offersMade: string[];
  readonly history: ClientCycleRecord[];
  readonly status: ClientStatus;
  plan: FollowPlan | undefined;
  managerDueAt: string | undefined;
  newerPurchase: PurchaseFact | undefined;
  cancelled: CancelRequest | undefined;
  dateVersion = 0;

  constructor(readonly input: ClientInput) {
    this.offersMade = [...input.offersMade];
    this.history = [...input.history].slice(-HISTORY_KEPT);
    this.managerDueAt = input.managerDueAt;
    this.status = {
      client: input.client,
      cycle: input.cycle,
      phase: 'planning',
      why: 'reading the rules',
      lastPurchase: { dealId: input.purchase.dealId, at: input.purchase.at, products: input.purchase.items.map((i) => i.name) },
      touches: [],
      maxCycles: null,
      history: this.history,
    };
  }

  /** The messages, set before the first await. */
  listen(): void {
    setHandler(clientStatusQuery, () => this.status);
    setHandler(purchaseSignal, (purchase) => {
      const latest = this.newerPurchase ?? this.input.purchase;
      if (purchase.dealId !== latest.dealId && Date.parse(purchase.at) >= Date.parse(latest.at)) this.newerPurchase = purchase;
    });
    setHandler(clientCancelSignal, (request) => {
      this.cancelled ??= request;
    });
    setHandler(setNextDateUpdate, async ({ dueAt }) => this.moveDue(dueAt), { validator: ({ dueAt }) => this.checkDate(dueAt) });
    setHandler(
      clientPostponeUpdate,
      async ({ days }) => this.moveDue(isoDate(this.repurchaseAt() + days * DAY_MS)),
      {
        validator: ({ days }) => {
          if (!Number.isInteger(days) || days < 1) throw new Error('days: expected a whole number of days, at least 1');
          this.checkDate(isoDate(this.repurchaseAt() + days * DAY_MS));
        },
      },
    );
  }

  private repurchaseAt(): number {
    const touch = this.plan?.touches.find((t) => t.kind === 'repurchase');
    if (!touch) throw new Error('no repurchase date is planned');
    return Date.parse(touch.at);
  }

  private checkDate(dueAt: string): void {
    const { status, plan } = this;
    if (status.phase !== 'waiting' || !plan) throw new Error(`the date can no longer change: phase is ${status.phase}`);
    const at = Date.parse(dueAt);
    if (Number.isNaN(at)) throw new Error('dueAt: expected an ISO 8601 date-time');
    const ahead = at - Date.now();
    if (ahead < plan.dateBounds.minAheadMs) throw new Error('dueAt: too close to now or in the past');
    if (ahead > plan.dateBounds.maxAheadMs) throw new Error(`dueAt: must be within ${Math.floor(plan.dateBounds.maxAheadMs / DAY_MS)} days`);
  }

  private async moveDue(dueAt: string): Promise<{ dueAt: string }> {
    this.managerDueAt = dueAt;
    await this.replan();
    this.dateVersion++;
    return { dueAt: this.plan ? isoDate(this.repurchaseAt()) : dueAt };
  }

  async replan(): Promise<ClientPlan> {
    const { client, purchase, cycle } = this.input;
    const next = await crm.planClientCycle({ client, purchase, cycle, offersMade: this.offersMade, managerDueAt: this.managerDueAt });
    this.plan = next.decision === 'follow' ? next : undefined;
    if (this.plan) {
      this.status.touches = this.plan.touches;
      this.status.maxCycles = this.plan.maxCycles;
    }
    return next;
  }

  /** The earliest touch not made yet (also shown in the status). */
  nextTouch(): ClientTouch | undefined {
    const pending = this.plan?.touches.filter((t) => !this.offersMade.includes(t.key)) ?? [];
    const next = pending.reduce<ClientTouch | undefined>((a, t) => (!a || Date.parse(t.at) < Date.parse(a.at) ? t : a), undefined);
    this.status.nextTouch = next;
    return next;
  }

  /** A purchase since: the cycles count from it, from cycle 1 (continue-as-new). */
  async restartFrom(purchase: PurchaseFact, why: string): Promise<never> {
    const { client, cycle } = this.input;
    this.history.push({ cycle, touch: 'purchase', at: purchase.at, result: 'purchased', dealId: purchase.dealId });
    this.publish('planning', why);
    await condition(allHandlersFinished);
    return continueAsNew<typeof clientReactivation>({ client, purchase, cycle: 1, offersMade: [], history: this.history });
  }

  publish(phase: ClientPhase, why: string, nextAt?: string): void {
    const { client, cycle, purchase } = this.input;
    const { status, plan } = this;
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
        `**Last purchase:** deal ${purchase.dealId} on ${purchase.at} (${status.lastPurchase.products.join(', ')})`,
        plan ? `**Plan:** ${plan.why}` : '',
        ...(plan?.touches ?? []).map((t) => `- ${t.at}: ${t.label}${this.offersMade.includes(t.key) ? ' (done)' : ''}`),
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  async finish(phase: 'cancelled' | 'forgotten' | 'skipped', why: string): Promise<ClientResult> {
    this.publish(phase, why);
    await condition(allHandlersFinished);
    return { outcome: phase, why, history: this.history };
  }
}
