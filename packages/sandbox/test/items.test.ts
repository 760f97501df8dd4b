/**
 * The universal crm.item.* methods for deals (entityTypeId 2) against their pages:
 * crm-item-list.md, crm-item-get.md, crm-item-update.md, object-fields.md, universal/index.md
 * (camelCase custom field names, useOriginalUfNames), deals/index.md ("How to Change a Deal's
 * Funnel": crm.item.update moves a deal between pipelines and fires onCrmDealMoveToCategory, not
 * onCrmDealUpdate), whats-new.md (`contactIds` in the filter).
 */
import assert from 'node:assert/strict';
import { DEMO, type SandboxHandle } from '../src';
import { ufCamelName } from '../src/crm/items';
import { call, callApp, receiver, sandbox, type Receiver } from './helpers';

describe('sandbox: crm.item.* for deals', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await sandbox();
  });
  after(async () => {
    await sb.close();
  });
  const list = async (params: Record<string, unknown>) => call(sb, 'crm.item.list', { entityTypeId: 2, ...params });
  const ids = async (filter: Record<string, unknown>) =>
    ((await list({ filter, select: ['id'], order: { id: 'ASC' } })).body.result.items as Array<{ id: number }>).map((i) => i.id);

  it('crm.item.get: result.item with camelCase names and typed values (crm-item-get.md, object-fields.md)', async () => {
    const r = await call(sb, 'crm.item.get', { entityTypeId: 2, id: 101 });
    assert.equal(r.status, 200);
    const item = r.body.result.item;
    assert.equal(item.id, 101);
    assert.equal(typeof item.categoryId, 'number');
    assert.equal(item.stageId, 'NEW');
    assert.equal(item.stageSemanticId, 'P');
    assert.equal(item.closed, 'N');
    assert.equal(typeof item.opportunity, 'number');
    assert.match(item.createdTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    assert.ok(Array.isArray(item.contactIds));
    assert.equal(item.entityTypeId, 2);
    assert.ok(!('STAGE_ID' in item) && !('ID' in item), 'no UPPER_CASE names');
    const missing = await call(sb, 'crm.item.get', { entityTypeId: 2, id: 999_999 });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'NOT_FOUND');
    assert.equal((await call(sb, 'crm.item.get', { id: 101 })).status, 400, 'entityTypeId is required');
    const spa = await call(sb, 'crm.item.get', { entityTypeId: 999, id: 1 });
    assert.equal(spa.body.error, 'NOT_FOUND');
  });

  it('crm.item.list: result.items, select by item names, camelCase filter and order, total (crm-item-list.md)', async () => {
    const r = await list({ select: ['id', 'title', 'stageId'], filter: { '@id': [101, 102, 103], '!stageId': 'WON' }, order: { id: 'DESC' } });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body.result), ['items']);
    const items = r.body.result.items as Array<Record<string, unknown>>;
    assert.deepEqual(items.map((i) => i.id), [103, 102, 101]);
    assert.deepEqual(Object.keys(items[0]!).sort(), ['id', 'stageId', 'title']);
    assert.equal(r.body.total, 3);
    assert.deepEqual(await ids({ '@stageId': ['NEW'], '@id': [101, 105] }), [101]);
    assert.deepEqual(await ids({ '>=id': 101, '<=id': 102 }), [101, 102]);
  });

  it('a filter or order field that does not exist → 400 INVALID_ARG_VALUE; UPPER names are not item fields', async () => {
    const bad = await list({ filter: { STAGE_ID: 'NEW' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'INVALID_ARG_VALUE');
    assert.equal(bad.body.error_description, "Invalid filter: field 'STAGE_ID' is not allowed in filter");
    const badOrder = await list({ order: { nosuch: 'ASC' } });
    assert.equal(badOrder.body.error, 'INVALID_ARG_VALUE');
    const badDirection = await list({ order: { id: 'UP' } });
    assert.match(badDirection.body.error_description, /allowed sort directions are ASC, DESC/);
  });

  it('OR groups nest with "logic" (crm-item-list.md example)', async () => {
    const got = await ids({ 0: { logic: 'OR', 0: { id: 101 }, 1: { id: 103 } }, '<=id': 105 });
    assert.deepEqual(got, [101, 103]);
  });

  it('contactIds filters by any contact of the deal, not only the primary one (whats-new.md; CONTACT_ID is deprecated)', async () => {
    const primary = sb.portal.createContact({ NAME: 'Основной' });
    const secondary = sb.portal.createContact({ NAME: 'Второй' });
    const deal = sb.portal.createDeal({ TITLE: 'Две контакта', CONTACT_IDS: [primary, secondary] });
    assert.deepEqual(await ids({ contactIds: secondary }), [deal]);
    assert.deepEqual(await ids({ '@contactIds': [secondary] }), [deal]);
    assert.deepEqual(await ids({ '=contactIds': primary }), [deal]);
    // crm.deal.list sees the primary contact only.
    const old = (await call(sb, 'crm.deal.list', { filter: { CONTACT_ID: secondary }, select: ['ID'] })).body.result;
    assert.deepEqual(old, []);
    const item = (await call(sb, 'crm.item.get', { entityTypeId: 2, id: deal })).body.result.item;
    assert.deepEqual(item.contactIds, [primary, secondary]);
    assert.equal(item.contactId, primary);
  });

  it('pages of 50 with next and total; start=-1 skips the count (crm-item-list.md "start", huge-data.md)', async () => {
    const made: number[] = [];
    for (let i = 0; i < 60; i++) made.push(sb.portal.createDeal({ TITLE: `Страница ${i}`, SOURCE_DESCRIPTION: 'paging-test' }));
    const first = await list({ filter: { sourceDescription: 'paging-test' }, select: ['id'] });
    assert.equal(first.body.result.items.length, 50);
    assert.equal(first.body.next, 50);
    assert.equal(first.body.total, 60);
    const second = await list({ filter: { sourceDescription: 'paging-test' }, select: ['id'], start: 50 });
    assert.equal(second.body.result.items.length, 10);
    assert.equal(second.body.next, undefined);
    const fast = await list({ filter: { sourceDescription: 'paging-test', '>id': made[55] }, select: ['id'], order: { id: 'ASC' }, start: -1 });
    assert.deepEqual(fast.body.result.items.map((i: { id: number }) => i.id), made.slice(56));
  });

  it('custom fields: camelCase by the documented rule, original names with useOriginalUfNames=Y; multiple values as arrays (universal/index.md)', async () => {
    assert.equal(ufCamelName('UF_CRM_10_5186744711'), 'ufCrm10_5186744711');
    assert.equal(ufCamelName('UF_CRM_10_DIGIT'), 'ufCrm10Digit');
    assert.equal(ufCamelName('UF_CRM_3_DIGIT10'), 'ufCrm_3_DIGIT10');
    assert.equal(ufCamelName('UF_CRM_3_DIGIT_10'), 'ufCrm_3_DIGIT_10');
    assert.equal(ufCamelName('UF_CRM_1747309879'), 'ufCrm_1747309879');
    await call(sb, 'crm.deal.userfield.add', { fields: { FIELD_NAME: 'ITEM_TAGS', USER_TYPE_ID: 'string', MULTIPLE: 'Y' } });
    const deal = sb.portal.createDeal({ TITLE: 'Метки', UF_CRM_ITEM_TAGS: ['a', 'b'] });
    const camel = (await call(sb, 'crm.item.get', { entityTypeId: 2, id: deal })).body.result.item;
    assert.deepEqual(camel.ufCrmItemTags, ['a', 'b']);
    const original = (await call(sb, 'crm.item.get', { entityTypeId: 2, id: deal, useOriginalUfNames: 'Y' })).body.result.item;
    assert.deepEqual(original.UF_CRM_ITEM_TAGS, ['a', 'b']);
    const listed = (await list({ useOriginalUfNames: 'Y', filter: { UF_CRM_ITEM_TAGS: 'b' }, select: ['id', 'UF_CRM_ITEM_TAGS'] })).body.result.items;
    assert.deepEqual(listed, [{ id: deal, UF_CRM_ITEM_TAGS: ['a', 'b'] }]);
  });

  describe('crm.item.update', () => {
    let rx: Receiver;
    before(async () => {
      rx = await receiver();
      // onCrmDealMoveToCategory can only be bound by an application (deals/events/index.md).
      for (const event of ['ONCRMDEALUPDATE', 'ONCRMDEALMOVETOCATEGORY']) await callApp(sb, 'event.bind', { event, handler: rx.url });
    });
    after(async () => {
      await rx.close();
    });
    const events = async () => {
      await sb.portal.waitForDeliveries();
      const seen = rx.received.map((r) => ({ event: r.form.get('event'), id: r.form.get('data[FIELDS][ID]'), category: r.form.get('data[FIELDS][CATEGORY_ID]'), stage: r.form.get('data[FIELDS][STAGE_ID]') }));
      rx.received.length = 0;
      return seen;
    };

    it('categoryId + stageId move a deal to another pipeline; result.item shows it; onCrmDealMoveToCategory, not onCrmDealUpdate (deals/index.md)', async () => {
      const deal = sb.portal.createDeal({ TITLE: 'Переезд', CATEGORY_ID: 0, STAGE_ID: 'NEW' });
      sb.portal.loseDeal(deal, 'LOSE');
      await events();
      const r = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { categoryId: DEMO.reactivationCategoryId, stageId: DEMO.reactivationStages.new, assignedById: 3 } });
      assert.equal(r.status, 200);
      const item = r.body.result.item;
      assert.equal(item.categoryId, DEMO.reactivationCategoryId);
      assert.equal(item.stageId, DEMO.reactivationStages.new);
      assert.equal(item.stageSemanticId, 'P');
      assert.equal(item.closed, 'N');
      assert.equal(item.assignedById, 3);
      const d = (await call(sb, 'crm.deal.get', { id: deal })).body.result;
      assert.equal(d.CATEGORY_ID, String(DEMO.reactivationCategoryId));
      assert.equal(d.STAGE_ID, DEMO.reactivationStages.new);
      assert.deepEqual(await events(), [{ event: 'ONCRMDEALMOVETOCATEGORY', id: String(deal), category: String(DEMO.reactivationCategoryId), stage: DEMO.reactivationStages.new }]);
    });

    it('without stageId the deal lands on the first stage of the new pipeline; a stage of another pipeline is refused', async () => {
      const deal = sb.portal.createDeal({ TITLE: 'Без стадии', CATEGORY_ID: 0 });
      const wrong = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { categoryId: 1, stageId: 'LOSE' } });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error, 'CRM_FIELD_ERROR_VALUE_NOT_VALID');
      assert.equal((await call(sb, 'crm.deal.get', { id: deal })).body.result.CATEGORY_ID, '0');
      const noCategory = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { categoryId: 999 } });
      assert.equal(noCategory.body.error, 'CRM_FIELD_ERROR_VALUE_NOT_VALID');
      const moved = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { categoryId: 1 } });
      assert.equal(moved.body.result.item.stageId, 'C1:NEW');
      await events();
    });

    it('a change within the pipeline fires onCrmDealUpdate; nothing changed → nothing saved, no event (crm-item-update.md)', async () => {
      const deal = sb.portal.createDeal({ TITLE: 'Стадия', CATEGORY_ID: 0 });
      await events();
      const before = (await call(sb, 'crm.deal.get', { id: deal })).body.result.DATE_MODIFY;
      sb.portal.advanceClock(60_000);
      const same = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { title: 'Стадия' } });
      assert.equal(same.body.result.item.updatedTime, before);
      assert.deepEqual(await events(), []);
      const r = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { stageId: 'PREPARATION', title: 'Стадия 2', nosuchField: 1 } });
      assert.equal(r.body.result.item.stageId, 'PREPARATION');
      assert.equal(r.body.result.item.title, 'Стадия 2');
      assert.deepEqual(await events(), [{ event: 'ONCRMDEALUPDATE', id: String(deal), category: null, stage: null }]);
    });

    it('contactIds replaces the contacts; a non-array for a multiple field → 400 "100" (crm-item-update.md)', async () => {
      const a = sb.portal.createContact({ NAME: 'А' });
      const b = sb.portal.createContact({ NAME: 'Б' });
      const deal = sb.portal.createDeal({ TITLE: 'Контакты', CONTACT_IDS: [a] });
      const r = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { contactIds: [b, a] } });
      assert.deepEqual(r.body.result.item.contactIds, [b, a]);
      const bad = await call(sb, 'crm.item.update', { entityTypeId: 2, id: deal, fields: { contactIds: b } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, '100');
      await events();
    });

    it('crm.deal.update with a stage of another pipeline still changes nothing and moves nothing (deals/index.md)', async () => {
      const deal = sb.portal.createDeal({ TITLE: 'Старый метод', CATEGORY_ID: 0 });
      await events();
      await call(sb, 'crm.deal.update', { id: deal, fields: { CATEGORY_ID: 1, STAGE_ID: 'C1:NEW' } });
      const d = (await call(sb, 'crm.deal.get', { id: deal })).body.result;
      assert.equal(d.CATEGORY_ID, '0');
      assert.equal(d.STAGE_ID, 'NEW');
      assert.deepEqual((await events()).map((e) => e.event), ['ONCRMDEALUPDATE']);
    });
  });
});
