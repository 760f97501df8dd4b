/**
 * A run that meets a final failure (issue 12 §4) on the time-skipping test server: it fails at
 * once (one attempt of the step, no endless retries) with a readable reason, and first records it
 * where people look — Phase "failed", the memo `failure`. A retryable failure is retried, as
 * before. The activities are typed fakes; test/e2e/failures.e2e.test.ts runs the real ones.
 */
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ExpiryActivities } from '../../src/activities/expiry';
import type { LostDealActivities } from '../../src/activities/lost-deal';
import type { LostPlan } from '../../src/activities/contracts';
import { finalFailure } from '../../src/activities/shared';
import { SA } from '../../src/shared/search-attributes';
import { createWorker } from '../../src/worker';
import { expiryReminders } from '../../src/workflows/expiry';
import { lostDealReactivation } from '../../src/workflows/lost-deal';
import type { LostDealInput } from '../../src/workflows/lost-deal.messages';
import { recordHistory } from '../support/histories';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';

const DAY = 24 * 60 * 60 * 1000;

function lostActivities(env: TestWorkflowEnvironment, create: (attempt: number) => Promise<{ elementId: number; created: boolean }>, calls: string[]): LostDealActivities {
  let creates = 0;
  return {
    async planLostReactivation(): Promise<LostPlan> {
      calls.push('plan');
      const returnAt = (await env.currentTimeMs()) + DAY;
      return {
        decision: 'reactivate',
        why: 'test period',
        reason: { stageId: 'LOSE', name: 'Дорого' },
        returnAt: new Date(returnAt).toISOString(),
        basis: 'static',
        maxAttempts: 2,
        managerDateBounds: { minAheadMs: 60_000, maxAheadMs: 365 * DAY },
        remindAt: [],
        followUpCheckMs: DAY,
        responsibleId: 7,
        title: 'Мешки 500 шт',
        lossKey: 'LOSE@2026-01-01T00:00:00Z',
      };
    },
    async notifyLost(req) {
      calls.push(`notify ${req.notice}`);
    },
    async prepareReactivation() {
      return { proceed: true, responsibleId: 7, responsibleWhy: 'original manager 7' };
    },
    async createReactivation() {
      calls.push('create');
      return create(++creates);
    },
    async readOutcome() {
      return { state: 'won' };
    },
    async markForgotten() {},
  } as LostDealActivities;
}

const input = (id: number): LostDealInput => ({ entity: 'deal', id, attempt: 1, lostElementId: id, trigger: 'webhook', history: [] });

describe('a final failure fails the run at once, visibly (time-skipping)', function () {
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
    const taskQueue = `failures-${++seq}`;
    const worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, activities, workflowBundle: await workflowBundle() });
    return worker.runUntil(fn(taskQueue));
  }

  it('lost deal: the step fails once, the run fails with the element, the step and what to fix; Phase "failed" and the memo say so', async () => {
    const calls: string[] = [];
    const refusal = 'the reactivation of deal 42 cannot be created: the target stage C1:UC_GONE is not a stage of pipeline 1 on the portal: create the stage in Bitrix24 or fix the rules';
    const activities = lostActivities(env, async () => Promise.reject(finalFailure('PortalMismatch', refusal)), calls);
    await run(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(lostDealReactivation, { workflowId: `reactivation-deal-42-${seq}`, taskQueue, args: [input(42)], memo: { lossKey: 'LOSE@2026-01-01T00:00:00Z' } });
      const error = await handle.result().then(
        () => assert.fail('the run completed'),
        (e: unknown) => e,
      );
      await recordHistory('lost-deal-failed', await handle.fetchHistory());
      assert.ok(error instanceof WorkflowFailedError);
      const cause = error.cause as ApplicationFailure;
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, 'PortalMismatch');
      assert.equal(cause.message, `lost deal 42 (attempt 1): step createReactivation failed for good — ${refusal}; after fixing the cause, restart it: npm run runs -- --restart-failed`);
      assert.deepEqual(calls, ['plan', 'notify loss', 'create'], 'one attempt of the step, nothing after it');
      const description = await handle.describe();
      assert.equal(description.status.name, 'FAILED');
      assert.equal(description.typedSearchAttributes.get(SA.Phase), 'failed');
      const failure = description.memo?.failure as { type: string; reason: string; activity: string };
      assert.equal(failure.type, 'PortalMismatch');
      assert.equal(failure.activity, 'createReactivation');
      assert.equal(failure.reason, cause.message);
      assert.equal(description.memo?.lossKey, 'LOSE@2026-01-01T00:00:00Z', 'the loss key stays (the starter tells by the status that it was not handled)');
    });
  });

  it('a retryable failure is retried until the portal answers (the run goes on)', async () => {
    const calls: string[] = [];
    const activities = lostActivities(
      env,
      async (n) => (n < 3 ? Promise.reject(ApplicationFailure.create({ type: 'Bitrix24RetryableError', message: 'crm.deal.add failed: HTTP 503' })) : { elementId: 1001, created: true }),
      calls,
    );
    const result = await run(activities, async (taskQueue) =>
      env.client.workflow.execute(lostDealReactivation, { workflowId: `reactivation-deal-43-${seq}`, taskQueue, args: [input(43)] }),
    );
    assert.equal(result.outcome, 'won');
    assert.equal(calls.filter((c) => c === 'create').length, 3);
  });

  it('a restarted reactivation does not announce the loss again', async () => {
    const calls: string[] = [];
    const activities = lostActivities(env, async () => ({ elementId: 1001, created: false }), calls);
    const result = await run(activities, async (taskQueue) =>
      env.client.workflow.execute(lostDealReactivation, { workflowId: `reactivation-deal-44-${seq}`, taskQueue, args: [{ ...input(44), restartOf: 'run-that-failed' }] }),
    );
    assert.equal(result.outcome, 'won');
    assert.ok(!calls.includes('notify loss'), calls.join(', '));
  });

  it('expiry reminders: a rules problem fails the run with its reason', async () => {
    const activities = {
      planExpiry: async () => Promise.reject(finalFailure('RulesError', 'the rules have no "expiry" block')),
      performReminder: async () => ({ done: 'x' }),
    } as unknown as ExpiryActivities;
    await run(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(expiryReminders, { workflowId: `expiry-deal-7-${seq}`, taskQueue, args: [{ dealId: 7 }] });
      await assert.rejects(handle.result(), (e: unknown) => e instanceof WorkflowFailedError && /^expiry reminders of deal 7: step planExpiry failed for good — the rules have no "expiry" block/.test(String(e.cause?.message)));
      const description = await handle.describe();
      assert.equal(description.typedSearchAttributes.get(SA.Phase), 'failed');
      assert.equal((description.memo?.failure as { type: string }).type, 'RulesError');
    });
  });
});
