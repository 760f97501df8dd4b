/**
 * Final failures (issue 12 §4): which errors an activity fails for good with (never retried), with
 * a readable reason and an error log line, and which it leaves to Temporal's retries; how the
 * workflows recognise them (finalCauseOf); what a refused reactivation deal says about a missing
 * target pipeline or stage.
 */
import assert from 'node:assert/strict';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { Bitrix24Error } from '../../src/bitrix24';
import type { ActivityDeps } from '../../src/activities';
import { asActivity, finalFailure, withTaxonomy } from '../../src/activities/shared';
import { targetMissing } from '../../src/activities/lost-deal/target';
import { createMemoryLogger } from '../../src/shared/log';
import { FINAL_FAILURE_TYPES } from '../../src/shared/failures';
import { crmCall, FINAL_ERROR_TYPES, finalCauseOf } from '../../src/workflows/common';

const b24Error = (code: string, httpStatus: number, description = '') => new Bitrix24Error({ code, httpStatus, description, method: 'crm.deal.add' });

async function failureOf(body: () => Promise<unknown>, log = createMemoryLogger()): Promise<ApplicationFailure> {
  try {
    await asActivity(body, log);
  } catch (error) {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('the activity succeeded');
}

describe('final failures: fail for good, with a reason', () => {
  it('a final Bitrix24 error fails for good, with what to fix', async () => {
    const failure = await failureOf(async () => {
      throw b24Error('ACCESS_DENIED', 403, 'Access denied!');
    });
    assert.equal(failure.type, 'Bitrix24FinalError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /crm\.deal\.add failed: ACCESS_DENIED — Access denied! \(give the webhook's user the CRM rights this step needs\)/);
  });

  it('"not found" from a write is final too (it was retried forever before)', async () => {
    // The sandbox's answer to crm.deal.add with a stage its pipeline does not have.
    const failure = await failureOf(async () => {
      throw b24Error('', 400, 'Stage (STAGE_ID) "C1:UC_GONE" is not found in pipeline 1.');
    });
    assert.equal(failure.type, 'Bitrix24FinalError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /not found in pipeline 1.*the element it names is not on the portal/);
  });

  it('limits, 5xx and network failures stay retryable, with the portal’s delay', async () => {
    const failure = await failureOf(async () => {
      throw new Bitrix24Error({ code: 'QUERY_LIMIT_EXCEEDED', httpStatus: 503, description: 'Too many requests', method: 'crm.deal.list', retryAfterMs: 1500 });
    });
    assert.equal(failure.type, 'Bitrix24RetryableError');
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.nextRetryDelay, 1500);
    const plain = new Error('socket hang up');
    await assert.rejects(asActivity(async () => Promise.reject(plain)), (e) => e === plain);
  });

  it("the service's own final conditions: finalFailure, and an Error named like a final type (RulesError)", async () => {
    const made = finalFailure('CannotProceed', 'deal 5 did not move to stage C1:NEW of pipeline 1');
    assert.equal(made.nonRetryable, true);
    assert.equal(made.type, 'CannotProceed');
    assert.equal(await failureOf(async () => Promise.reject(made)), made);
    const rules = Object.assign(new Error('RULES_FILE: lostDeals.target: expected a stage'), { name: 'RulesError' });
    const failure = await failureOf(async () => Promise.reject(rules));
    assert.equal(failure.type, 'RulesError');
    assert.equal(failure.nonRetryable, true);
  });

  it('logs every final failure at error level with its reason, never a retryable one', async () => {
    const log = createMemoryLogger();
    const group = withTaxonomy(
      {
        createReactivation: async () => Promise.reject(finalFailure('PortalMismatch', 'the target stage C1:X is missing')),
        readOutcome: async () => Promise.reject(b24Error('INTERNAL_SERVER_ERROR', 500)),
      },
      log,
    );
    await assert.rejects(group.createReactivation());
    await assert.rejects(group.readOutcome());
    const lines = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'error');
    assert.equal(lines[0]!.type, 'PortalMismatch');
    assert.equal(lines[0]!.reason, 'the target stage C1:X is missing');
  });

  it('the workflows never retry a final type, and know a final cause when they meet one', () => {
    assert.deepEqual([...FINAL_ERROR_TYPES].sort(), [...FINAL_FAILURE_TYPES].sort());
    assert.deepEqual(crmCall.retry?.nonRetryableErrorTypes, FINAL_ERROR_TYPES);
    const final = new ActivityFailure('Activity task failed', 'createReactivation', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', finalFailure('PortalMismatch', 'stage missing'));
    assert.deepEqual(finalCauseOf(final), { type: 'PortalMismatch', message: 'stage missing', activity: 'createReactivation' });
    const byType = new ActivityFailure('Activity task failed', 'planExpiry', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', ApplicationFailure.create({ type: 'RulesError', message: 'no expiry block' }));
    assert.equal(finalCauseOf(byType)?.type, 'RulesError');
    const cancelled = new ActivityFailure('Activity task failed', 'readOutcome', '1', RetryState.CANCEL_REQUESTED, 'w', new Error('cancelled'));
    assert.equal(finalCauseOf(cancelled), undefined);
    assert.equal(finalCauseOf(new Error('bug')), undefined);
  });
});

describe('a refused reactivation deal: is the target missing?', () => {
  const deps = (categories: number[], stages: Record<string, string[]>) =>
    ({
      crm: {
        listCategories: async () => categories.map((id) => ({ id, name: `p${id}`, sort: 0, entityTypeId: 2, isDefault: id === 0 })),
        listStatuses: async (entityId: string) => (stages[entityId] ?? []).map((statusId) => ({ statusId })),
      },
    }) as unknown as ActivityDeps;
  const refusal = b24Error('', 400, 'Stage (STAGE_ID) "C1:UC_GONE" is not found in pipeline 1.');

  it('names the missing stage, the stages there are, and what to fix', async () => {
    const why = await targetMissing(deps([0, 1], { DEAL_STAGE_1: ['C1:NEW', 'C1:WON'] }), refusal, { categoryId: 1, stageId: 'C1:UC_GONE' });
    assert.match(why!, /target stage C1:UC_GONE .* is not a stage of pipeline 1 on the portal \(its stages: C1:NEW, C1:WON\): create the stage in Bitrix24 or fix the rules/);
  });

  it('names a missing pipeline', async () => {
    const why = await targetMissing(deps([0], {}), refusal, { categoryId: 7, stageId: 'C7:NEW' });
    assert.match(why!, /target pipeline 7 .* does not exist on the portal/);
  });

  it('says nothing when the target exists, when the refusal is retryable, or when the portal cannot be asked', async () => {
    assert.equal(await targetMissing(deps([0, 1], { DEAL_STAGE_1: ['C1:NEW'] }), refusal, { categoryId: 1, stageId: 'C1:NEW' }), undefined);
    assert.equal(await targetMissing(deps([0], {}), b24Error('INTERNAL_SERVER_ERROR', 500), { categoryId: 1, stageId: 'C1:NEW' }), undefined);
    const broken = { crm: { listCategories: async () => Promise.reject(new Error('down')) } } as unknown as ActivityDeps;
    assert.equal(await targetMissing(broken, refusal, { categoryId: 1, stageId: 'C1:NEW' }), undefined);
  });
});
