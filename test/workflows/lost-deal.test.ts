/**
 * The lost-deal workflow over real periods on the time-skipping test server: months pass in
 * seconds. Activities are typed fakes over an in-memory CRM, so these tests pin the workflow's
 * story (wait, wake, create, follow, loop, forget) and its messages; the end-to-end tests run
 * the real activities against the Bitrix24 sandbox.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { LostDealActivities } from '../../src/activities/lost-deal';
import type { CreateReactivationRequest, ElementOutcome, LostNoticeRequest, LostPlan, LostPlanRequest } from '../../src/activities/contracts';
import { createWorker } from '../../src/worker';
import { lostDealReactivation } from '../../src/workflows/lost-deal';
import {
  cancelSignal,
  crmChangedSignal,
  lostDealStatusQuery,
  postponeUpdate,
  setReturnDateUpdate,
  type LostDealInput,
} from '../../src/workflows/lost-deal.messages';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';
import { recordHistory } from '../support/histories';

const DAY = 24 * 60 * 60 * 1000;
const MONTH = 30 * DAY;

interface FakeCrm {
  /** Return period per attempt (ms after "now" at planning). */
  period: (attempt: number) => number;
  maxAttempts: number | null;
  /** Outcomes readOutcome returns for an attempt, in order (the last repeats). */
  outcomes: (attempt: number) => ElementOutcome['state'][];
  skip?: string;
  prepareSkip?: string;
  created: { attempt: number; at: number; request: CreateReactivationRequest }[];
  notices: LostNoticeRequest['notice'][];
  plans: LostPlanRequest[];
  forgotten: number[];
  reads: Map<number, number>;
}

function fakeCrm(over: Partial<FakeCrm> = {}): FakeCrm {
  return { period: () => MONTH, maxAttempts: 3, outcomes: () => ['won'], created: [], notices: [], plans: [], forgotten: [], reads: new Map(), ...over };
}

function activities(env: TestWorkflowEnvironment, crm: FakeCrm): LostDealActivities {
  return {
    async planLostReactivation(req): Promise<LostPlan> {
      crm.plans.push(req);
      if (crm.skip) return { decision: 'skip', why: crm.skip };
      const now = await env.currentTimeMs();
      const returnAt = req.managerReturnAt ? Date.parse(req.managerReturnAt) : now + crm.period(req.attempt);
      return {
        decision: 'reactivate',
        why: 'test period',
        reason: { stageId: 'LOSE', name: 'Дорого' },
        returnAt: new Date(returnAt).toISOString(),
        basis: req.managerReturnAt ? 'manager' : 'static',
        maxAttempts: crm.maxAttempts,
        managerDateBounds: { minAheadMs: 60_000, maxAheadMs: 365 * DAY },
        remindAt: [new Date(returnAt - DAY).toISOString()],
        followUpCheckMs: DAY,
        responsibleId: 7,
        title: 'Мешки 500 шт',
        lossKey: 'LOSE@2026-01-01T00:00:00Z',
      };
    },
    async notifyLost(req) {
      crm.notices.push(req.notice);
    },
    async prepareReactivation() {
      return crm.prepareSkip ? { proceed: false, why: crm.prepareSkip } : { proceed: true, responsibleId: 7, responsibleWhy: 'original manager 7' };
    },
    async createReactivation(request) {
      crm.created.push({ attempt: request.attempt, at: await env.currentTimeMs(), request });
      return { elementId: 1000 + request.attempt, created: true };
    },
    async readOutcome({ elementId }) {
      const attempt = elementId - 1000;
      const n = crm.reads.get(attempt) ?? 0;
      crm.reads.set(attempt, n + 1);
      const states = crm.outcomes(attempt);
      const state = states[Math.min(n, states.length - 1)];
      if (state === 'lost') return { state, stageId: 'LOSE', lostAt: new Date(await env.currentTimeMs()).toISOString() };
      return { state } as ElementOutcome;
    },
    async markForgotten(req) {
      crm.forgotten.push(req.elementId);
    },
  } as LostDealActivities;
}

const input = (over: Partial<LostDealInput> = {}): LostDealInput => ({
  entity: 'deal',
  id: 42,
  attempt: 1,
  lostElementId: 42,
  trigger: 'webhook',
  history: [],
  ...over,
});

describe('lost-deal workflow (time-skipping)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let seq = 0;

  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(crm: FakeCrm, fn: (worker: Worker) => Promise<T>): Promise<T> {
    const taskQueue = `lost-${++seq}`;
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      activities: activities(env, crm),
      workflowBundle: await workflowBundle(),
    });
    queue = taskQueue;
    return worker.runUntil(fn(worker));
  }
  let queue = '';
  const start = (i: LostDealInput) =>
    env.client.workflow.start(lostDealReactivation, { workflowId: `reactivation-deal-${i.id}-${seq}`, taskQueue: queue, args: [i] });

  it('sleeps a month, creates the reactivation at the return date, and ends when it is won', async () => {
    const crm = fakeCrm({ outcomes: () => ['open', 'open', 'won'] });
    const result = await withWorker(crm, async () => {
      const t0 = await env.currentTimeMs();
      const handle = await start(input());
      const done = await handle.result();
      await recordHistory('lost-deal-won', await handle.fetchHistory());
      assert.equal(crm.created.length, 1);
      const slept = crm.created[0].at - t0;
      assert.ok(slept >= MONTH && slept < MONTH + DAY, `created after ${slept / DAY} days`);
      return done;
    });
    assert.equal(result.outcome, 'won');
    assert.deepEqual(crm.notices, ['loss', 'beforeReturn', 'return']);
    assert.equal(crm.reads.get(1), 3, 'followed the open deal until it was won');
  });

  it('loops: lost again → next attempt with a new period; after 3 attempts → Forgotten client', async () => {
    const crm = fakeCrm({ period: (a) => a * MONTH, outcomes: () => ['lost'] });
    const result = await withWorker(crm, async () => {
      const handle = await start(input());
      const done = await handle.result();
      // The last run (after two continue-as-new): following, forgotten.
      await recordHistory('lost-deal-forgotten', await env.client.workflow.getHandle(handle.workflowId).fetchHistory());
      return done;
    });
    assert.equal(result.outcome, 'forgotten');
    assert.deepEqual(
      crm.created.map((c) => c.attempt),
      [1, 2, 3],
    );
    // Each attempt plans from the last reactivation deal, with continue-as-new in between.
    assert.deepEqual(
      crm.plans.map((p) => [p.attempt, p.lostElementId]),
      [
        [1, 42],
        [2, 1001],
        [3, 1002],
      ],
    );
    const gaps = crm.created.slice(1).map((c, i) => Math.round((c.at - crm.created[i].at) / DAY));
    assert.deepEqual(gaps, [60, 90], 'the second attempt waits 2 months, the third 3');
    assert.deepEqual(crm.forgotten, [1003]);
    assert.ok(crm.notices.includes('forgotten'));
    assert.equal(result.attempts.length, 3);
  });

  it('unlimited attempts keep looping until won', async () => {
    const crm = fakeCrm({ maxAttempts: null, period: () => 7 * DAY, outcomes: (a) => (a < 5 ? ['lost'] : ['won']) });
    const result = await withWorker(crm, async () => start(input()).then((h) => h.result()));
    assert.equal(result.outcome, 'won');
    assert.equal(crm.created.length, 5);
  });

  it('a manager date (update) moves the wake-up; invalid dates are rejected with the reason', async () => {
    const crm = fakeCrm();
    await withWorker(crm, async () => {
      const t0 = await env.currentTimeMs();
      const handle = await start(input());
      await waitForPhase(handle, 'waiting');
      await rejectsWith(handle.executeUpdate(setReturnDateUpdate, { args: [{ returnAt: new Date(t0 - DAY).toISOString() }] }), /at least/);
      await rejectsWith(handle.executeUpdate(setReturnDateUpdate, { args: [{ returnAt: 'soon' }] }), /ISO 8601/);
      await rejectsWith(handle.executeUpdate(setReturnDateUpdate, { args: [{ returnAt: new Date(t0 + 400 * DAY).toISOString() }] }), /within 365 days/);
      const wanted = new Date(t0 + 10 * DAY).toISOString();
      const answer = await handle.executeUpdate(setReturnDateUpdate, { args: [{ returnAt: wanted, by: 'manager 7' }] });
      assert.equal(answer.returnAt, wanted);
      assert.equal((await handle.query(lostDealStatusQuery)).returnBasis, 'manager');
      await handle.result();
      const slept = crm.created[0].at - t0;
      assert.ok(slept >= 10 * DAY && slept < 11 * DAY, `created after ${slept / DAY} days`);
    });
  });

  it('postpone adds whole days to the return date', async () => {
    const crm = fakeCrm();
    await withWorker(crm, async () => {
      const t0 = await env.currentTimeMs();
      const handle = await start(input());
      await waitForPhase(handle, 'waiting');
      const before = Date.parse((await handle.query(lostDealStatusQuery)).returnAt!);
      await rejectsWith(handle.executeUpdate(postponeUpdate, { args: [{ days: 0 }] }), /at least 1/);
      const { returnAt } = await handle.executeUpdate(postponeUpdate, { args: [{ days: 14 }] });
      assert.equal(Date.parse(returnAt) - before, 14 * DAY);
      await handle.result();
      assert.ok(crm.created[0].at - t0 >= MONTH + 14 * DAY);
    });
  });

  it('cancel while waiting ends it without creating anything', async () => {
    const crm = fakeCrm();
    const result = await withWorker(crm, async () => {
      const handle = await start(input());
      await waitForPhase(handle, 'waiting');
      await handle.signal(cancelSignal, { reason: 'клиент ушёл к конкуренту', by: 'manager 7' });
      return handle.result();
    });
    assert.equal(result.outcome, 'cancelled');
    assert.match(result.why, /конкуренту/);
    assert.equal(crm.created.length, 0);
  });

  it('a CRM change while waiting re-plans; a deal re-opened meanwhile is skipped', async () => {
    const crm = fakeCrm();
    const result = await withWorker(crm, async () => {
      const handle = await start(input());
      await waitForPhase(handle, 'waiting');
      crm.skip = 'deal 42 is not lost (stage NEW)';
      await handle.signal(crmChangedSignal, { source: 'webhook' });
      return handle.result();
    });
    assert.equal(result.outcome, 'skipped');
    assert.match(result.why, /not lost/);
    assert.equal(crm.created.length, 0);
  });

  it('at the wake-up, a client who bought since is not reactivated (and says why)', async () => {
    const crm = fakeCrm({ prepareSkip: 'the client bought since (deal 77)' });
    const result = await withWorker(crm, async () => start(input()).then((h) => h.result()));
    assert.equal(result.outcome, 'skipped');
    assert.match(result.why, /bought since/);
  });

  it('a non-reactivatable reason ends at once', async () => {
    const crm = fakeCrm({ skip: 'reason «Нецелевое обращение» is not reactivated' });
    const result = await withWorker(crm, async () => start(input()).then((h) => h.result()));
    assert.equal(result.outcome, 'skipped');
    assert.deepEqual(crm.notices, []);
  });
});

/** An update rejected by its validator: the reason is the failure's cause. */
async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { cause?: Error }) => {
    assert.match(`${error.message} ${error.cause?.message ?? ''}`, pattern);
    return true;
  });
}

/** Polls the status query (real time: time skips only while a result is awaited); 60 s for a busy box. */
async function waitForPhase(handle: { query: (q: typeof lostDealStatusQuery) => Promise<{ phase: string }> }, phase: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await handle.query(lostDealStatusQuery).catch(() => undefined);
    if (status?.phase === phase) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the workflow never reached phase ${phase}`);
}
