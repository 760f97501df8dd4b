/**
 * A `batch` answers HTTP 200 even when a command fails: the failure is in `result_error` under
 * the command's key (b24restdocs settings/how-to-call-rest-api/batch.md, "Error Handling"). The
 * activities that read a client's deals in one batch must not take a failed list for an empty
 * one ("the client has no open deal, has bought nothing") and act on it.
 *
 * The sandbox runs every command; a transport around it turns the answer of one command into
 * the error a real portal gives when that method is blocked (429 OPERATION_TIME_LIMIT).
 */
import assert from 'node:assert/strict';
import { createClientActivities } from '../../src/activities/client';
import { createLostDealActivities } from '../../src/activities/lost-deal';
import { createSdkTransport, type Transport } from '../../src/bitrix24';
import { loadRulesText } from '../../src/config/rules';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { activityDeps, ALWAYS_OPEN } from './support';

const rules = loadRulesText(`
${ALWAYS_OPEN}
lostDeals:
  target: { categoryId: 1, stageId: "C1:NEW" }
  notifications: { beforeReturn: { manager: false } }
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
clients:
  enabled: true
  wonIn: [0]
  periods: { default: 6 weeks }
  target: { categoryId: 0, stageId: NEW }
`);

/** Batch commands named here fail like a blocked method; everything else goes to the sandbox. */
function failingBatchCommands(inner: Transport, keys: () => string[]): Transport {
  return {
    origin: inner.origin,
    async send(method, params) {
      const answer = await inner.send(method, params);
      const failing = keys();
      if (method !== 'batch' || failing.length === 0) return answer;
      const r = answer.result as Record<string, Record<string, unknown> | unknown[]>;
      const result = { ...(Array.isArray(r.result) ? {} : r.result) } as Record<string, unknown>;
      const errors = { ...(Array.isArray(r.result_error) ? {} : r.result_error) } as Record<string, unknown>;
      for (const key of failing) {
        if (!(key in result)) continue;
        delete result[key];
        errors[key] = { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' };
      }
      return { ...answer, result: { ...r, result, result_error: errors } };
    },
  };
}

describe('activities: a failed batch command is an error, not an empty list', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;
  let failing: string[] = [];

  const deps = () => {
    const inner = createSdkTransport({ webhookUrl: sb.webhookUrl, caCertPem: sb.caCertPem });
    return activityDeps(sb, () => rules, { transport: failingBatchCommands(inner, () => failing) });
  };

  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
  });
  after(async () => {
    await sb?.close();
  });
  afterEach(() => {
    failing = [];
  });

  it('prepareReactivation: the client\'s open deals could not be read → retried, no reactivation', async () => {
    const company = sb.portal.createCompany({ TITLE: 'ООО Ромашка' });
    const lost = sb.portal.createDeal({ TITLE: 'Мешки', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: company });
    sb.portal.loseDeal(lost, 'LOSE');
    const open = sb.portal.createDeal({ TITLE: 'Другая сделка', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: company });
    const { prepareReactivation } = createLostDealActivities(deps());
    const req = { entity: 'deal' as const, id: lost, lostElementId: lost, attempt: 1, workflowId: `reactivation-deal-${lost}` };

    // Read as it is, the open deal stops the reactivation.
    const seen = await prepareReactivation(req);
    assert.equal(seen.proceed, false);
    assert.match((seen as { why: string }).why, new RegExp(`active deal ${open}`));

    failing = ['created'];
    await assert.rejects(prepareReactivation(req), (e: Error & { type?: string; nonRetryable?: boolean }) => {
      assert.equal(e.type, 'Bitrix24RetryableError');
      assert.match(e.message, /OPERATION_TIME_LIMIT/);
      return true;
    });
  });

  it('inspectClient: the client\'s won deals could not be read → retried, not "nothing happened"', async () => {
    const company = sb.portal.createCompany({ TITLE: 'ООО Лютик' });
    const first = sb.portal.createDeal({ TITLE: 'Покупка', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: company });
    sb.portal.winDeal(first);
    const since = new Date(sb.portal.now()).toISOString();
    sb.portal.advanceClock(3 * 86_400_000);
    const second = sb.portal.createDeal({ TITLE: 'Повторная покупка', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: company });
    sb.portal.winDeal(second);
    const { inspectClient } = createClientActivities(deps());
    const req = { client: { kind: 'company' as const, id: company }, since, purchaseDealId: first };

    const seen = await inspectClient(req);
    assert.equal(seen.state, 'purchased');

    failing = ['won'];
    await assert.rejects(inspectClient(req), (e: Error & { type?: string }) => {
      assert.equal(e.type, 'Bitrix24RetryableError');
      return true;
    });
  });
});
