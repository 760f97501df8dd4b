/**
 * A year of a client's life on the time-skipping test server: purchases every 45 days, a missed
 * period, a purchase during the wait, an open deal at the due time, a sales chain, the cycle
 * limit reaching "Forgotten client"; and expiry reminders with three offsets. Activities are
 * typed fakes; the end-to-end tests run the real ones against the sandbox.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ClientActivities } from '../../src/activities/client';
import type { ExpiryActivities } from '../../src/activities/expiry';
import type { ClientInspection, ClientPlan, ClientTouchRequest, ExpiryPlan, PurchaseFact, ReminderRequest } from '../../src/activities/contracts';
import { createWorker } from '../../src/worker';
import { clientReactivation } from '../../src/workflows/client';
import { clientStatusQuery, purchaseSignal, type ClientInput } from '../../src/workflows/client.messages';
import { expiryReminders } from '../../src/workflows/expiry';
import { expiryChangedSignal, expiryStatusQuery } from '../../src/workflows/expiry.messages';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';
import { recordHistory } from '../support/histories';

const DAY = 24 * 60 * 60 * 1000;

interface ClientWorld {
  period: number;
  maxCycles: number | null;
  chainGap?: number;
  /** What the CRM shows at each due moment (in order; the last repeats). */
  inspections: ClientInspection[];
  touches: { at: number; req: ClientTouchRequest }[];
  forgotten: number;
  plans: number;
  planned: number[];
}

function purchase(dealId: number, at: number, name = 'Мешок белый 50 кг'): PurchaseFact {
  return { dealId, categoryId: 0, at: new Date(at).toISOString(), amount: 1000, items: [{ productId: 1, name, quantity: 100, price: 10 }] };
}

function clientActivities(env: TestWorkflowEnvironment, world: ClientWorld): ClientActivities {
  let inspected = 0;
  return {
    async planClientCycle(req): Promise<ClientPlan> {
      world.plans++;
      world.planned.push(req.purchase.dealId);
      const base = Date.parse(req.purchase.at);
      const touches = [{ key: `cycle-${req.cycle}`, kind: 'repurchase' as const, at: new Date(req.managerDueAt ? Date.parse(req.managerDueAt) : base + req.cycle * world.period).toISOString(), label: `cycle ${req.cycle}` }];
      if (world.chainGap) touches.push({ key: `chain:Дом:1:${req.purchase.dealId}`, kind: 'chain' as never, at: new Date(base + world.chainGap).toISOString(), label: 'Стены (шаг 2 цепочки «Дом»)' });
      return { decision: 'follow', why: 'test', touches, maxCycles: world.maxCycles, responsibleId: 5, products: ['Мешок белый 50 кг'], dateBounds: { minAheadMs: 60_000, maxAheadMs: 365 * DAY } };
    },
    async inspectClient(): Promise<ClientInspection> {
      const next = world.inspections[Math.min(inspected, world.inspections.length - 1)];
      inspected++;
      return next;
    },
    async touchClient(req) {
      world.touches.push({ at: await env.currentTimeMs(), req });
      return { dealId: req.openDealId ?? 500 + world.touches.length, created: req.openDealId === undefined, kind: req.openDealId === undefined ? 'deal' : 'nudge' };
    },
    async markClientForgotten() {
      world.forgotten++;
    },
  } as ClientActivities;
}

describe('client purchase-cycle workflow (time-skipping)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let seq = 0;
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  async function run<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T> {
    const taskQueue = `client-${++seq}`;
    const worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, activities, workflowBundle: await workflowBundle() });
    return worker.runUntil(fn(taskQueue));
  }

  const world = (over: Partial<ClientWorld> = {}): ClientWorld => ({ period: 45 * DAY, maxCycles: 3, inspections: [{ state: 'none' }], touches: [], forgotten: 0, plans: 0, planned: [], ...over });

  it('a missed period gets a deal each cycle; three cycles without a purchase → Forgotten client', async () => {
    const w = world();
    const t0 = await env.currentTimeMs();
    const input: ClientInput = { client: { kind: 'company', id: 3 }, purchase: purchase(10, t0), cycle: 1, offersMade: [], history: [] };
    const result = await run(clientActivities(env, w), async (taskQueue) => {
      const handle = await env.client.workflow.start(clientReactivation, { workflowId: `client-company-3-${seq}`, taskQueue, args: [input] });
      const done = await handle.result();
      await recordHistory('client-forgotten', await env.client.workflow.getHandle(handle.workflowId).fetchHistory());
      return done;
    });
    assert.equal(result.outcome, 'forgotten');
    assert.deepEqual(w.touches.map((t) => Math.round((t.at - t0) / DAY)), [45, 90, 135]);
    assert.deepEqual(w.touches.map((t) => t.req.cycle), [1, 2, 3]);
    assert.equal(w.forgotten, 1);
  });

  it('purchases on time for a year keep it waiting without a single touch; a purchase signal resets the clock', async () => {
    const t0 = await env.currentTimeMs();
    // Every due moment finds a purchase made a day before it: eight restarts, no touch.
    const buys = Array.from({ length: 8 }, (_, i) => ({ state: 'purchased' as const, purchase: purchase(21 + i, t0 + (i + 1) * 44 * DAY) }));
    const w = world({ inspections: [...buys, { state: 'none' }], maxCycles: 1 });
    const input: ClientInput = { client: { kind: 'company', id: 4 }, purchase: purchase(20, t0), cycle: 1, offersMade: [], history: [] };
    const result = await run(clientActivities(env, w), async (taskQueue) => {
      const handle = await env.client.workflow.start(clientReactivation, { workflowId: `client-company-4-${seq}`, taskQueue, args: [input] });
      await waitFor(() => handle.query(clientStatusQuery), (st) => st.phase === 'waiting');
      // A purchase arriving by signal during the wait restarts the cycle at once.
      await handle.signal(purchaseSignal, purchase(19, t0 + 1000));
      return handle.result();
    });
    assert.equal(w.touches.length, 1, 'only after the purchases stopped');
    assert.equal(result.history.filter((h) => h.result === 'purchased').length, 9);
    assert.equal(w.touches[0].req.purchase.dealId, 28);
    assert.deepEqual(w.planned.slice(0, 3), [20, 19, 21], 'the signalled purchase restarted the cycle before the first due');
  });

  it('a purchase seen at the due time restarts the cycle from it; an open deal gets a nudge instead of a new deal', async () => {
    const t0 = await env.currentTimeMs();
    const w = world({ inspections: [{ state: 'purchased', purchase: purchase(31, t0 + 30 * DAY) }, { state: 'openDeal', dealId: 77, responsibleId: 5 }, { state: 'none' }], maxCycles: 2 });
    const input: ClientInput = { client: { kind: 'contact', id: 9 }, purchase: purchase(30, t0), cycle: 1, offersMade: [], history: [] };
    const result = await run(clientActivities(env, w), (taskQueue) =>
      env.client.workflow.execute(clientReactivation, { workflowId: `client-contact-9-${seq}`, taskQueue, args: [input] }),
    );
    assert.equal(result.outcome, 'forgotten');
    assert.equal(w.touches[0].req.openDealId, 77, 'the open deal was nudged');
    assert.equal(w.touches[0].req.purchase.dealId, 31, 'the cycle restarted from the purchase found');
    assert.equal(w.touches[1].req.openDealId, undefined);
    assert.equal(result.history[0].result, 'purchased');
  });

  it('a sales chain offers the next step after its gap, besides the repurchase', async () => {
    const w = world({ chainGap: 60 * DAY, period: 90 * DAY, maxCycles: 1 });
    const t0 = await env.currentTimeMs();
    const input: ClientInput = { client: { kind: 'company', id: 11 }, purchase: purchase(40, t0, 'Фундамент'), cycle: 1, offersMade: [], history: [] };
    await run(clientActivities(env, w), (taskQueue) =>
      env.client.workflow.execute(clientReactivation, { workflowId: `client-company-11-${seq}`, taskQueue, args: [input] }),
    );
    assert.deepEqual(w.touches.map((t) => [t.req.touch.kind, Math.round((t.at - t0) / DAY)]), [['chain', 60], ['repurchase', 90]]);
  });
});

describe('expiry reminders workflow (time-skipping)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('performs three offsets around the expiry date, and a changed date re-plans the rest', async () => {
    const t0 = await env.currentTimeMs();
    let expiresAt = t0 + 365 * DAY;
    const performed: { at: number; req: ReminderRequest }[] = [];
    const offsets = [
      { key: 'before:P1M', ms: -30 * DAY, action: 'deal' as const },
      { key: 'before:P1W', ms: -7 * DAY, action: 'todo' as const },
      { key: 'after:P1D', ms: DAY, action: 'notify' as const },
    ];
    const activities = {
      async planExpiry(): Promise<ExpiryPlan> {
        const now = await env.currentTimeMs();
        return {
          decision: 'remind',
          why: 'licence term',
          expiresAt: new Date(expiresAt).toISOString(),
          basis: 'term',
          reminders: offsets.map((o) => ({ key: o.key, at: new Date(expiresAt + o.ms).toISOString(), offset: o.key, action: o.action })).filter((r) => Date.parse(r.at) >= now),
          responsibleId: 5,
        };
      },
      async performReminder(req: ReminderRequest) {
        performed.push({ at: await env.currentTimeMs(), req });
        return { done: req.reminder.action };
      },
    } as unknown as ExpiryActivities;
    const worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace, taskQueue: 'expiry', activities, workflowBundle: await workflowBundle() });
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(expiryReminders, { workflowId: 'expiry-deal-5', taskQueue: 'expiry', args: [{ dealId: 5 }] });
      await waitFor(() => handle.query(expiryStatusQuery), (s) => s.phase === 'waiting');
      expiresAt += 30 * DAY; // the manager extended the licence in Bitrix24
      await handle.signal(expiryChangedSignal);
      return handle.result();
    });
    assert.equal(result.phase, 'done');
    await recordHistory('expiry-replanned', await env.client.workflow.getHandle('expiry-deal-5').fetchHistory());
    assert.deepEqual(performed.map((p) => p.req.reminder.action), ['deal', 'todo', 'notify']);
    assert.deepEqual(performed.map((p) => Math.round((p.at - t0) / DAY)), [365, 388, 396]);
  });
});

/** Polls `read` (real time: time skips only while a result is awaited); 60 s for a busy box. */
async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && ok(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
}
