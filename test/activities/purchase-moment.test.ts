/**
 * The purchase moment in the activities, against the sandbox (in process, no Temporal server):
 * deals won with a CLOSEDATE set to a planned date — what a portal without close-date sync
 * keeps — count from their move into the won stage (crm.stagehistory.list): the purchase read by
 * the inbox and the client cycle, "bought since?" at the due time, the client's purchase history
 * (learning), and the dormant scan's latest purchase per client; and what each costs.
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createClientActivities } from '../../src/activities/client';
import { createDispatchActivities, type DormantReport } from '../../src/activities/dispatch';
import { clientPurchases, readPurchase } from '../../src/activities/purchases';
import { loadRulesText } from '../../src/config/rules';
import { clientWorkflowId } from '../../src/shared/names';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { activityDeps, ALWAYS_OPEN } from './support';

const DAY = 86_400_000;
const RULES = loadRulesText(`
${ALWAYS_OPEN}
clients:
  wonIn: [0]
  periods: { default: 6 weeks }
  target: { categoryId: 1, stageId: "C1:NEW" }
`);

/** Temporal as the dormant scan sees it when no client cycle exists yet. */
const noWorkflows = { workflow: { getHandle: (id: string) => ({ describe: async () => { throw new WorkflowNotFoundError('not found', id, undefined); } }) } } as unknown as Client;

describe('purchase moment in the activities (sandbox, CLOSEDATE set to a planned date)', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;
  const deps = () => ({ ...activityDeps(sb, () => RULES), temporal: noWorkflows });
  const requests = () => sb.callLog.httpRequests().length;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  /** A deal of `company` with one product row, won now with CLOSEDATE `closeDate` (kept: set in the same update). */
  const wonDeal = (company: number, closeDate: string) => {
    const id = sb.portal.createDeal({ TITLE: 'Покупка', CATEGORY_ID: 0, STAGE_ID: 'NEW', COMPANY_ID: company, CLOSEDATE: closeDate });
    sb.portal.setDealProductRows(id, [{ PRODUCT_ID: 1, QUANTITY: 10 }]);
    sb.portal.updateDeal(id, { STAGE_ID: 'WON', CLOSEDATE: closeDate });
    return id;
  };
  const movedAt = (id: number) => Date.parse(String(sb.portal.get('deal', id)!.MOVED_TIME));

  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
  });
  after(async () => {
    await sb?.close();
  });

  it('readPurchase: the move into the won stage, not CLOSEDATE ten days ahead, for one stage-history request more', async () => {
    const company = sb.portal.createCompany({ TITLE: 'ООО «Планы»' });
    const dealId = wonDeal(company, day(sb.portal.now() + 10 * DAY));
    const d = deps();
    const deal = (await d.crm.getDeal(dealId))!;
    const before = requests();
    const purchase = await readPurchase(d, deal);
    assert.equal(Date.parse(purchase.at), movedAt(dealId));
    assert.equal(purchase.atBasis, 'stageHistory');
    assert.ok(Date.parse(purchase.at) < Date.parse(deal.closeDate!) - 9 * DAY);
    assert.equal(requests() - before, 3, 'stage history, product rows, products');
  });

  it('inspectClient: bought since = won since, though its CLOSEDATE was planned before; a deal won earlier and edited since is no purchase', async () => {
    const company = sb.portal.createCompany({ TITLE: 'ООО «Повторные»' });
    const client = { kind: 'company' as const, id: company };
    const { inspectClient } = createClientActivities(deps());
    const earlier = wonDeal(company, day(sb.portal.now()));
    sb.portal.advanceClock(2 * DAY);
    const last = wonDeal(company, day(sb.portal.now()));
    const since = new Date(movedAt(last)).toISOString();
    sb.portal.advanceClock(DAY);
    sb.portal.updateDeal(earlier, { COMMENTS: 'правка после покупки' });
    const quiet = await inspectClient({ client, since, purchaseDealId: last });
    assert.notEqual(quiet.state, 'purchased', 'won before the last purchase: not bought since');

    sb.portal.advanceClock(DAY);
    const again = wonDeal(company, day(sb.portal.now() - 20 * DAY));
    const before = requests();
    const seen = await inspectClient({ client, since, purchaseDealId: last });
    assert.equal(seen.state, 'purchased');
    if (seen.state !== 'purchased') return;
    assert.equal(seen.purchase.dealId, again);
    assert.equal(Date.parse(seen.purchase.at), movedAt(again));
    assert.equal(requests() - before, 6, 'client, the lists batch, their stage histories, the deal, product rows, products');
  });

  it('clientPurchases: purchases 30 days apart though their CLOSEDATE is one planned date; one batch for their stage histories', async () => {
    const company = sb.portal.createCompany({ TITLE: 'ООО «Регулярные»' });
    const planned = day(sb.portal.now() + 100 * DAY);
    const ids = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) sb.portal.advanceClock(30 * DAY);
      ids.push(wonDeal(company, planned));
    }
    const before = requests();
    const purchases = await clientPurchases(deps(), { kind: 'company', id: company }, [0]);
    const gaps = purchases.slice(1).map((p, i) => Math.round((Date.parse(purchases[i]!.at) - Date.parse(p.at)) / DAY));
    assert.deepEqual(gaps, [30, 30]);
    assert.deepEqual(purchases.map((p) => p.dealId), [...ids].reverse(), 'newest purchase first');
    assert.equal(requests() - before, 1 + 1 + 3 * 2, 'the list, one stage-history batch, rows and products per purchase');
  });

  it('the dormant scan keeps each client’s latest purchase by its won moment, for one stage-history batch per page', async () => {
    const company = sb.portal.createCompany({ TITLE: 'ООО «Спящие»' });
    const first = wonDeal(company, day(sb.portal.now() + 130 * DAY)); // planned far ahead, won now
    sb.portal.advanceClock(90 * DAY);
    const latest = wonDeal(company, day(sb.portal.now()));
    const { scanDormantClients } = createDispatchActivities(deps());
    const before = sb.callLog.entries.length;
    const report: DormantReport = await new MockActivityEnvironment().run(scanDormantClients, { dryRun: true });
    const sample = report.sample.find((s) => s.workflowId === clientWorkflowId('company', company));
    assert.equal(sample?.dealId, latest, `not deal ${first}, whose CLOSEDATE is later`);
    assert.equal(Date.parse(sample!.purchaseAt), movedAt(latest));
    const histories = sb.callLog.entries.slice(before).filter((e) => e.method === 'crm.stagehistory.list' && !e.viaBatch);
    assert.equal(histories.length, 0, 'no stage-history request of its own: one batch per page');
    assert.ok(sb.callLog.entries.slice(before).some((e) => e.method === 'crm.stagehistory.list' && e.viaBatch));
    assert.ok(report.wonDeals < 50);
  });
});
