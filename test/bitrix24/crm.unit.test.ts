import assert from 'node:assert/strict';
import { Bitrix24Error, bizprocDocumentId, createBitrix24Client, createCrmApi, restDateTime } from '../../src/bitrix24';
import { fail, fakeClock, ok, scriptedTransport, type Handler } from './support';

/** A deal row as crm.deal.get answers it (shape of b24restdocs crm-deal-get.md). */
const RAW_DEAL = {
  ID: '410', TITLE: 'New Deal #1', TYPE_ID: 'COMPLEX', STAGE_ID: 'C3:LOSE', PROBABILITY: '99', CURRENCY_ID: 'EUR',
  OPPORTUNITY: '1000000.00', IS_MANUAL_OPPORTUNITY: 'Y', TAX_VALUE: '0.00', LEAD_ID: null, COMPANY_ID: '9',
  CONTACT_ID: '84', QUOTE_ID: null, BEGINDATE: '2024-08-30T02:00:00+02:00', CLOSEDATE: '2024-09-09T02:00:00+02:00',
  ASSIGNED_BY_ID: '17', CREATED_BY_ID: '1', MODIFY_BY_ID: '1', DATE_CREATE: '2024-08-30T14:29:00+02:00',
  DATE_MODIFY: '2024-08-30T14:29:00+02:00', OPENED: 'Y', CLOSED: 'Y', COMMENTS: '', ADDITIONAL_INFO: null,
  CATEGORY_ID: '3', STAGE_SEMANTIC_ID: 'F', IS_NEW: 'N', IS_RECURRING: 'N', IS_RETURN_CUSTOMER: 'N',
  IS_REPEATED_APPROACH: 'Y', SOURCE_ID: 'CALLBACK', ORIGINATOR_ID: null, ORIGIN_ID: null, MOVED_BY_ID: '1',
  MOVED_TIME: '2024-08-30T14:29:00+02:00', UF_CRM_1721244482250: 'Hello world!',
};

function crmWith(handler: Handler) {
  const transport = scriptedTransport(handler);
  const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off' });
  return { crm: createCrmApi(client), transport, client };
}

describe('bitrix24 CRM helpers (parsing and request cost)', () => {
  it('getDeal parses strings, Y/N and dates into clean types', async () => {
    const { crm, transport } = crmWith(() => ok(RAW_DEAL));
    const deal = await crm.getDeal(410);
    assert.deepEqual(transport.sent, [{ method: 'crm.deal.get', params: { id: 410 } }]);
    assert.deepEqual(deal, {
      id: 410, title: 'New Deal #1', typeId: 'COMPLEX', categoryId: 3, stageId: 'C3:LOSE', stageSemantic: 'F',
      closed: true, opportunity: 1_000_000, currencyId: 'EUR', assignedById: 17, createdById: 1, companyId: 9,
      contactId: 84, leadId: null, sourceId: 'CALLBACK', comments: null, beginDate: '2024-08-30T00:00:00.000Z',
      closeDate: '2024-09-09T00:00:00.000Z', createdAt: '2024-08-30T12:29:00.000Z', modifiedAt: '2024-08-30T12:29:00.000Z',
      movedAt: '2024-08-30T12:29:00.000Z', originatorId: null, originId: null, isReturnCustomer: false,
      isRepeatedApproach: true, userFields: { UF_CRM_1721244482250: 'Hello world!' },
    });
  });

  it('getDeal of a missing id is null (not an exception); other errors still throw', async () => {
    assert.equal(await crmWith(() => fail('HTTP_400', 400, 'crm.deal.get', 'Not found')).crm.getDeal(5), null);
    await assert.rejects(crmWith(() => fail('INVALID_CREDENTIALS', 401, 'crm.deal.get')).crm.getDeal(5), (e: unknown) => e instanceof Bitrix24Error && e.kind === 'final');
  });

  it('an unreadable answer is a final UNEXPECTED_RESPONSE naming the method', async () => {
    await assert.rejects(
      crmWith(() => ok({ TITLE: 'no id' })).crm.getDeal(1),
      (e: unknown) => e instanceof Bitrix24Error && e.code === 'UNEXPECTED_RESPONSE' && e.kind === 'final' && /crm\.deal\.get/.test(e.message),
    );
  });

  it('getDealContext costs ONE request: a halting batch of deal, rows, contacts and the responsible user', async () => {
    const { crm, transport } = crmWith((method, params) => {
      assert.equal(method, 'batch');
      assert.equal(params.halt, 1);
      return ok({
        result: {
          deal: RAW_DEAL,
          rows: [{ ID: '5', PRODUCT_ID: 450, PRODUCT_NAME: 'Bags', PRICE: 899.1, QUANTITY: 100, TAX_INCLUDED: 'Y', SORT: 10, MEASURE_CODE: 796, MEASURE_NAME: 'pcs' }],
          contacts: [{ CONTACT_ID: 84, SORT: 10, ROLE_ID: 0, IS_PRIMARY: 'Y' }],
          user: [{ ID: '17', ACTIVE: true, NAME: 'Anna', LAST_NAME: 'K', EMAIL: 'a@x.test', UF_DEPARTMENT: [3], USER_TYPE: 'employee' }],
          company: [],
          contact: [{ ID: String(RAW_DEAL.CONTACT_ID), NAME: 'Иван', LAST_NAME: 'Петров' }],
        },
        result_error: [],
      });
    });
    const ctx = await crm.getDealContext(410);
    assert.equal(transport.sent.length, 1);
    const cmd = transport.sent[0]!.params.cmd as Record<string, string>;
    assert.deepEqual(Object.keys(cmd), ['deal', 'rows', 'contacts', 'user', 'company', 'contact']);
    assert.equal(cmd.user, 'user.get?FILTER%5BID%5D=%24result%5Bdeal%5D%5BASSIGNED_BY_ID%5D', 'user.get takes its filter in FILTER (user-get.md)');
    assert.match(cmd.company!, /^crm\.company\.list\?filter%5BID%5D=%24result%5Bdeal%5D%5BCOMPANY_ID%5D&/);
    assert.equal(ctx?.clientName, 'Иван Петров', 'no company row → the contact’s name');
    assert.equal(ctx?.deal.id, 410);
    assert.deepEqual(ctx?.productRows[0], {
      id: 5, productId: 450, productName: 'Bags', price: 899.1, quantity: 100, discountTypeId: null, discountRate: null,
      discountSum: null, taxRate: null, taxIncluded: true, measureCode: 796, measureName: 'pcs', sort: 10,
    });
    assert.deepEqual(ctx?.contacts, [{ contactId: 84, sort: 10, roleId: 0, isPrimary: true }]);
    assert.deepEqual(ctx?.assignedUser, { id: 17, active: true, name: 'Anna', lastName: 'K', email: 'a@x.test', departmentIds: [3], userType: 'employee', workPosition: null });
  });

  it('getDealContext: the client’s name is optional — a refused company read is no failure', async () => {
    const { crm } = crmWith(() =>
      ok({
        result: { deal: { ...RAW_DEAL, COMPANY_ID: '9' }, rows: [], contacts: [], user: [] },
        result_error: { company: { error: 'ACCESS_DENIED', error_description: 'Access denied' } },
      }),
    );
    const ctx = await crm.getDealContext(410);
    assert.equal(ctx?.deal.id, 410);
    assert.equal(ctx?.clientName, null);
  });

  it('getDealContext of a deleted deal is null', async () => {
    const { crm } = crmWith(() => ok({ result: [], result_error: { deal: { error: '', error_description: 'Not found' } } }));
    assert.equal(await crm.getDealContext(1), null);
  });

  it('findDealByOrigin: one crm.deal.list filtered by both keys, exact match only', async () => {
    const { crm, transport } = crmWith(() => ok([{ ...RAW_DEAL, ID: '500', ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: 'reactivation-deal-410#1' }]));
    const found = await crm.findDealByOrigin('b24-reactivation', 'reactivation-deal-410#1');
    assert.equal(found?.id, 500);
    assert.equal(transport.sent.length, 1);
    assert.deepEqual(transport.sent[0]!.params.filter, { '=ORIGINATOR_ID': 'b24-reactivation', '=ORIGIN_ID': 'reactivation-deal-410#1' });
    const none = crmWith(() => ok([{ ...RAW_DEAL, ORIGINATOR_ID: 'other', ORIGIN_ID: 'x' }]));
    assert.equal(await none.crm.findDealByOrigin('b24-reactivation', 'reactivation-deal-410#1'), null);
  });

  it('write helpers send the documented shapes and return clean ids', async () => {
    const answers: Record<string, unknown> = {
      'crm.deal.add': 77,
      'crm.activity.todo.add': { id: 999 },
      'tasks.task.add': { task: { id: '3711' } },
      'im.notify.system.add': 12345,
      'crm.timeline.comment.add': 55,
      'bizproc.workflow.start': '66e81a641752f8.56521481',
      'crm.category.add': { category: { id: 5, name: 'Reactivation', sort: 50, entityTypeId: 2, isDefault: 'N' } },
    };
    const { crm, transport } = crmWith((m) => ok(answers[m] ?? true));
    assert.equal(await crm.addDeal({ TITLE: 'x', ORIGINATOR_ID: 'b24-reactivation', ORIGIN_ID: 'k' }), 77);
    assert.equal(await crm.addTodo({ ownerTypeId: 2, ownerId: 77, title: 'Call', deadline: '2025-02-03T15:00:00.000Z', responsibleId: 17 }), 999);
    assert.equal(await crm.addTask({ title: 'Call', responsibleId: 17, crm: ['D_77'] }), 3711);
    assert.equal(await crm.notifyUser({ userId: 17, message: 'hi' }), 12345);
    await crm.notifyUser({ userId: 17, message: 'again', tag: 'reactivation-deal-410#1:at-return' });
    assert.equal(await crm.addTimelineComment({ entity: 'deal', entityId: 77, comment: 'reactivated' }), 55);
    assert.equal(await crm.startBizproc(12, { entity: 'deal', id: 77 }), '66e81a641752f8.56521481');
    assert.deepEqual(await crm.addCategory(2, { name: 'Reactivation' }), { id: 5, name: 'Reactivation', sort: 50, entityTypeId: 2, isDefault: false });
    await crm.setDealContactItems(77, [{ contactId: 84 }, { contactId: 85 }]);
    await crm.setDealProductRows(77, [{ productId: 450, price: 10, quantity: 2, taxIncluded: true }]);
    const by = (m: string) => transport.sent.find((s) => s.method === m)!.params;
    // A tag goes with CLIENT_ID over a webhook (im-notify-system-add.md); no tag, no CLIENT_ID.
    assert.deepEqual(
      transport.sent.filter((s) => s.method === 'im.notify.system.add').map((s) => s.params),
      [{ USER_ID: 17, MESSAGE: 'hi' }, { USER_ID: 17, MESSAGE: 'again', TAG: 'reactivation-deal-410#1:at-return', CLIENT_ID: 'b24-reactivation' }],
    );
    assert.deepEqual(by('crm.activity.todo.add'), { ownerTypeId: 2, ownerId: 77, deadline: '2025-02-03T15:00:00+00:00', title: 'Call', description: '', responsibleId: 17 });
    // The deadline goes out as a documented REST datetime (data-types.md): no milliseconds, an offset.
    assert.equal(restDateTime('2026-11-29T10:00:00.500+03:00'), '2026-11-29T07:00:00+00:00');
    assert.equal(restDateTime(new Date(Date.UTC(2026, 10, 29, 7))), '2026-11-29T07:00:00+00:00');
    assert.equal(restDateTime(Date.UTC(2026, 10, 29, 7, 0, 0, 999)), '2026-11-29T07:00:00+00:00');
    assert.deepEqual(by('tasks.task.add'), { fields: { TITLE: 'Call', RESPONSIBLE_ID: 17, UF_CRM_TASK: ['D_77'] } });
    assert.deepEqual(by('bizproc.workflow.start'), { TEMPLATE_ID: 12, DOCUMENT_ID: ['crm', 'CCrmDocumentDeal', 'DEAL_77'] });
    assert.deepEqual(by('crm.deal.contact.items.set'), { id: 77, items: [{ CONTACT_ID: 84, SORT: 10, IS_PRIMARY: 'Y' }, { CONTACT_ID: 85, SORT: 20, IS_PRIMARY: 'N' }] });
    assert.deepEqual(by('crm.deal.productrows.set'), { id: 77, rows: [{ PRODUCT_ID: 450, PRICE: 10, QUANTITY: 2, TAX_INCLUDED: 'Y' }] });
    assert.equal(transport.sent.length, 10, 'one request per helper');
  });

  it('statuses: semantics from EXTRA.SEMANTICS or SEMANTICS', async () => {
    const { crm } = crmWith(() =>
      ok([
        { ID: '101', ENTITY_ID: 'DEAL_STAGE_3', STATUS_ID: 'C3:NEW', NAME: 'New', SORT: '10', SYSTEM: 'Y', CATEGORY_ID: '3', COLOR: '#39A8EF', SEMANTICS: null, EXTRA: { SEMANTICS: 'process' } },
        { ID: '102', ENTITY_ID: 'DEAL_STAGE_3', STATUS_ID: 'C3:WON', NAME: 'Won', SORT: '60', SYSTEM: 'Y', CATEGORY_ID: '3', SEMANTICS: 'S', EXTRA: { SEMANTICS: 'success' } },
        { ID: '103', ENTITY_ID: 'DEAL_STAGE_3', STATUS_ID: 'C3:LOSE', NAME: 'Too expensive', SORT: '70', SYSTEM: 'N', CATEGORY_ID: '3', SEMANTICS: 'F', EXTRA: { SEMANTICS: 'failure' } },
      ]),
    );
    const statuses = await crm.listStatuses('DEAL_STAGE_3');
    assert.deepEqual(statuses.map((s) => [s.statusId, s.semantics, s.sort, s.categoryId]), [
      ['C3:NEW', 'process', 10, 3],
      ['C3:WON', 'success', 60, 3],
      ['C3:LOSE', 'failure', 70, 3],
    ]);
  });

  it('eventOfflineGet never clears by default (read, process, then clear)', async () => {
    const { crm, transport } = crmWith(() =>
      ok({ process_id: 'p1', events: [{ ID: '1', TIMESTAMP_X: '2024-07-18T12:32:31+02:00', EVENT_NAME: 'ONCRMDEALUPDATE', EVENT_DATA: { FIELDS: { ID: 7 } }, EVENT_ADDITIONAL: false, MESSAGE_ID: '1' }] }),
    );
    const r = await crm.eventOfflineGet();
    assert.equal(transport.sent[0]!.params.clear, 0);
    assert.deepEqual(r, { processId: 'p1', events: [{ id: 1, at: '2024-07-18T10:32:31.000Z', event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: 7 } }, additional: false, messageId: '1' }] });
  });

  it('bizprocDocumentId builds the crm document triple', () => {
    assert.deepEqual(bizprocDocumentId('lead', 777), ['crm', 'CCrmDocumentLead', 'LEAD_777']);
  });
});
