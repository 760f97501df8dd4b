/**
 * The reactivation deal is a copy of the lost one (product §A "Element behaviour"): its product
 * rows keep their prices and discounts. A monetary discount (DISCOUNT_TYPE_ID 1) must travel
 * with its DISCOUNT_SUM, or crm.deal.productrows.set refuses the rows (crm-deal-productrows-set.md).
 */
import assert from 'node:assert/strict';
import { createLostDealActivities } from '../../src/activities/lost-deal';
import { clientDealFields } from '../../src/activities/purchases';
import { loadRulesText } from '../../src/config/rules';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { activityDeps, ALWAYS_OPEN } from './support';

const rules = loadRulesText(`
${ALWAYS_OPEN}
lostDeals:
  target: { categoryId: 1, stageId: "C1:NEW" }
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
`);

describe('activities: the reactivation deal copies the lost deal\'s products', function () {
  this.timeout(60_000);
  let sb: SandboxHandle;

  before(async () => {
    sb = await startSandbox({ seed: 'demo', limits: { enabled: false } });
  });
  after(async () => {
    await sb?.close();
  });

  it('rows with a monetary and a percentage discount keep price, discount and order', async () => {
    const deps = activityDeps(sb, () => rules);
    const crm = deps.crm;
    const company = sb.portal.createCompany({ TITLE: 'ООО Скидка' });
    const lost = sb.portal.createDeal({ TITLE: 'Мешки со скидкой', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, COMPANY_ID: company });
    await crm.setDealProductRows(lost, [
      { productId: 1, price: 900, quantity: 10, discountTypeId: 1, discountSum: 100, sort: 20 },
      { productId: 0, productName: 'Доставка', price: 450, quantity: 1, discountTypeId: 2, discountRate: 10, sort: 10 },
    ]);
    sb.portal.loseDeal(lost, 'LOSE');
    const { createReactivation } = createLostDealActivities(deps);

    const made = await createReactivation({ entity: 'deal', id: lost, lostElementId: lost, attempt: 1, workflowId: `reactivation-deal-${lost}`, reason: { stageId: 'LOSE', name: 'Дорого' }, responsibleId: 3 });
    assert.equal(made.created, true);
    const shape = (rows: Awaited<ReturnType<typeof crm.getDealProductRows>>) =>
      rows.map((r) => ({ product: r.productId || r.productName, price: r.price, quantity: r.quantity, type: r.discountTypeId, rate: r.discountRate, sum: r.discountSum }));
    const original = shape(await crm.getDealProductRows(lost));
    assert.deepEqual(shape(await crm.getDealProductRows(made.elementId)), original);
    assert.deepEqual(original, [
      { product: 'Доставка', price: 450, quantity: 1, type: 2, rate: 10, sum: 50 },
      { product: 1, price: 900, quantity: 10, type: 1, rate: 10, sum: 100 },
    ]);
  });

  it('a client who is only a contact: the copy is bound to the contact through CONTACT_IDS (CONTACT_ID is deprecated in crm.deal.add)', async () => {
    const deps = activityDeps(sb, () => rules);
    const contact = sb.portal.createContact({ NAME: 'Иван', LAST_NAME: 'Петров' });
    const lost = sb.portal.createDeal({ TITLE: 'Мешки для частника', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3, CONTACT_IDS: [contact] });
    sb.portal.loseDeal(lost, 'LOSE');
    const { createReactivation } = createLostDealActivities(deps);
    sb.callLog.clear();
    const made = await createReactivation({ entity: 'deal', id: lost, lostElementId: lost, attempt: 1, workflowId: `reactivation-deal-${lost}`, reason: { stageId: 'LOSE', name: 'Дорого' }, responsibleId: 3 });
    const add = sb.callLog.entries.find((e) => e.method === 'crm.deal.add')!;
    const fields = (add.params.fields ?? add.params.FIELDS) as Record<string, unknown>;
    assert.ok(!('CONTACT_ID' in fields), 'no deprecated CONTACT_ID');
    assert.deepEqual((fields.CONTACT_IDS as unknown[]).map(Number), [contact]);
    assert.deepEqual((await deps.crm.getDealContactItems(made.elementId)).map((c) => c.contactId), [contact]);
    assert.equal((await deps.crm.getDeal(made.elementId))?.contactId, contact);
  });

  it('a later attempt names its copy after the original deal, not the earlier copy, whatever the template', async () => {
    const withPipeline = (dealTitle?: string) =>
      loadRulesText(`
${ALWAYS_OPEN}
lostDeals:
  target: { categoryId: 1, stageId: "C1:NEW" }
  ${dealTitle ? `templates: { dealTitle: "${dealTitle}" }` : ''}
  pipelines:
    - categoryId: 0
      reasons:
        - { stageId: LOSE, name: Дорого, returnPeriod: 1 month }
    - categoryId: 1
      reasons:
        - { stageId: "C1:LOSE", name: Дорого, returnPeriod: 1 month }
`);
    for (const [template, first, second] of [
      [undefined, 'Реактивация: Мешки на склад (попытка 1)', 'Реактивация: Мешки на склад (попытка 2)'],
      ['Снова: {title}', 'Снова: Мешки на склад', 'Снова: Мешки на склад'],
    ] as const) {
      const current = withPipeline(template);
      const deps = activityDeps(sb, () => current);
      const { createReactivation } = createLostDealActivities(deps);
      const lost = sb.portal.createDeal({ TITLE: 'Мешки на склад', CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: 3 });
      sb.portal.loseDeal(lost, 'LOSE');
      const workflowId = `reactivation-deal-${lost}`;
      const reason = { stageId: 'LOSE', name: 'Дорого' };
      const one = await createReactivation({ entity: 'deal', id: lost, lostElementId: lost, attempt: 1, workflowId, reason, responsibleId: 3 });
      assert.equal((await deps.crm.getDeal(one.elementId))?.title, first);
      sb.portal.loseDeal(one.elementId, 'C1:LOSE');
      const two = await createReactivation({ entity: 'deal', id: lost, lostElementId: one.elementId, attempt: 2, workflowId, reason, responsibleId: 3 });
      assert.equal((await deps.crm.getDeal(two.elementId))?.title, second);
    }
  });

  it('client purchase-cycle deals name the client the same way: COMPANY_ID, or CONTACT_IDS to write', () => {
    assert.deepEqual(clientDealFields({ kind: 'company', id: 9 }), { COMPANY_ID: 9 });
    assert.deepEqual(clientDealFields({ kind: 'contact', id: 84 }), { CONTACT_IDS: [84] });
    // A contact's deals are found through crm.item.list by any binding (test/activities/client-came-back.test.ts).
  });
});
