/**
 * The business-process reminder (seed 004): bizproc.workflow.start has no idempotency key, so a
 * timeline comment records each start (crm.timeline.comment.list reads them back). A repeated
 * reminder must not start the process twice, and comments that cannot be read now must not be
 * taken for "never started".
 */
import assert from 'node:assert/strict';
import { createExpiryActivities } from '../../src/activities/expiry';
import { loadRulesText } from '../../src/config/rules';
import { DEMO, startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { activityDeps, ALWAYS_OPEN } from './support';

const TEMPLATE = DEMO.bizprocTemplates.licenceReminder;

const rules = loadRulesText(`
${ALWAYS_OPEN}
expiry:
  wonIn: [0]
  rules:
    - name: Лицензии
      expiresAt: { kind: term, term: 1 year }
      reminders:
        - { before: 1 week, action: bizproc, bizprocTemplateId: ${TEMPLATE} }
`);

describe('activities: the business-process reminder starts its process once', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;

  const activities = () => createExpiryActivities(activityDeps(sb, () => rules));
  const soldDeal = (title: string) => {
    const company = sb.portal.createCompany({ TITLE: title });
    const deal = sb.portal.createDeal({ TITLE: 'Лицензия', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: company });
    sb.portal.winDeal(deal);
    return deal;
  };
  const request = (dealId: number) => ({
    dealId,
    workflowId: `expiry-deal-${dealId}`,
    expiresAt: new Date(sb.portal.now() + 365 * 86_400_000).toISOString(),
    reminder: { key: 'before-P7D', at: new Date(sb.portal.now()).toISOString(), offset: 'за 1 неделю', action: 'bizproc' as const, bizprocTemplateId: TEMPLATE },
  });
  const runsOf = (dealId: number) => sb.portal.state.bizprocRuns.filter((r) => JSON.stringify(r.DOCUMENT_ID).includes(`"DEAL_${dealId}"`));

  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
  });
  after(async () => {
    await sb?.close();
  });
  afterEach(() => {
    sb.faults.reset();
  });

  it('a repeated reminder finds its start in the timeline and does not start the process again', async () => {
    const deal = soldDeal('ООО Лицензия');
    const { performReminder } = activities();
    const first = await performReminder(request(deal));
    assert.match(first.done, /^bizproc /);
    const again = await performReminder(request(deal));
    assert.equal(again.done, 'bizproc already started');
    assert.equal(runsOf(deal).length, 1);
    const comments = sb.portal.state.comments.filter((c) => c.ENTITY_ID === deal);
    assert.equal(comments.length, 1);
    assert.ok(String(comments[0]!.COMMENT).endsWith(`[expiry-deal-${deal}#before-P7D]`), String(comments[0]!.COMMENT));
  });

  it('timeline comments that cannot be read now → a retryable failure, and no process is started blind', async () => {
    const deal = soldDeal('ООО Ненадёжная');
    const { performReminder } = activities();
    sb.faults.set({ errorRate: 1, methods: ['crm.timeline.comment.list'] });
    await assert.rejects(performReminder(request(deal)), (e: Error & { type?: string }) => {
      assert.equal(e.type, 'Bitrix24RetryableError');
      return true;
    });
    assert.equal(runsOf(deal).length, 0);
    sb.faults.reset();
    assert.match((await performReminder(request(deal))).done, /^bizproc /);
    assert.equal(runsOf(deal).length, 1);
  });
});
