import assert from 'node:assert/strict';
import { CONTACT_FILTERS, createBitrix24Client, createCrmApi, parseDealItem } from '../../src/bitrix24';
import { fakeClock, ok, scriptedTransport, type Handler } from './support';

/** A deal as crm.item.get / list answer it (crm-item-update.md example, with contacts). */
const ITEM = {
  id: 351, createdTime: '2024-07-23T19:10:26+02:00', updatedTime: '2024-07-23T18:19:21+02:00', createdBy: 1, assignedById: 6,
  companyId: 0, contactId: 4, contactIds: [4, 5], title: 'REST Deal #1', categoryId: 9, stageId: 'C9:UC_NYL06U', stageSemanticId: 'P',
  closed: 'N', opportunity: 10000, currencyId: 'USD', begindate: '2024-07-23T02:00:00+02:00', closedate: '2024-07-31T02:00:00+02:00',
  movedTime: '2024-07-23T18:19:21+02:00', originatorId: null, originId: null, isReturnCustomer: 'N', isRepeatedApproach: 'N',
  UF_CRM_1721244707107: 200.05, UF_CRM_TAGS: ['a', 'b'],
};

function crmWith(handler: Handler) {
  const transport = scriptedTransport(handler);
  const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off' });
  return { crm: createCrmApi(client), transport };
}

/** The crm.item.list commands of a batch request, decoded (`filter[contactIds]=5` → filter.contactIds). */
function commandsOf(params: Record<string, unknown>): Record<string, URLSearchParams> {
  const cmd = params.cmd as Record<string, string>;
  return Object.fromEntries(Object.entries(cmd).map(([k, line]) => [k, new URLSearchParams(line.slice(line.indexOf('?') + 1))]));
}

const batchOk = (result: Record<string, unknown>) => ok({ result, result_error: [] });
const batchRefused = (keys: string[], field: string) =>
  ok({ result: [], result_error: Object.fromEntries(keys.map((k) => [k, { error: 'INVALID_ARG_VALUE', error_description: `Invalid filter: field '${field}' is not allowed in filter` }])) });

describe('bitrix24 deals through crm.item.* (secondary contacts, pipeline moves)', () => {
  it('parseDealItem reads the camelCase item into the Deal shape, with every contact and UF_ fields', () => {
    const deal = parseDealItem(ITEM);
    assert.equal(deal.id, 351);
    assert.equal(deal.categoryId, 9);
    assert.equal(deal.stageId, 'C9:UC_NYL06U');
    assert.equal(deal.stageSemantic, 'P');
    assert.equal(deal.closed, false);
    assert.equal(deal.assignedById, 6);
    assert.equal(deal.companyId, null);
    assert.equal(deal.contactId, 4);
    assert.deepEqual(deal.contactIds, [4, 5]);
    assert.equal(deal.createdAt, '2024-07-23T17:10:26.000Z');
    assert.equal(deal.movedAt, '2024-07-23T16:19:21.000Z');
    assert.deepEqual(deal.userFields, { UF_CRM_1721244707107: 200.05, UF_CRM_TAGS: ['a', 'b'] });
  });

  it('a contact\'s deals: ONE batch of crm.item.list by contactIds, crm.deal.* names translated, original UF names', async () => {
    const { crm, transport } = crmWith(() => batchOk({ created: { items: [ITEM, { ...ITEM, id: 352, contactId: 9, contactIds: [9] }] } }));
    const got = await crm.listClientDeals({ kind: 'contact', id: 5 }, { created: { filter: { '>=DATE_CREATE': '2024-07-01T00:00:00+00:00', '!ID': 7 }, select: ['ID', 'ORIGINATOR_ID'] } });
    assert.equal(transport.sent.length, 1);
    const q = commandsOf(transport.sent[0]!.params).created!;
    assert.equal(q.get('entityTypeId'), '2');
    assert.equal(q.get('useOriginalUfNames'), 'Y');
    assert.equal(q.get('filter[contactIds]'), '5');
    assert.equal(q.get('filter[>=createdTime]'), '2024-07-01T00:00:00+00:00');
    assert.equal(q.get('filter[!id]'), '7');
    assert.deepEqual([...q.entries()].filter(([k]) => k.startsWith('select[')).map(([, v]) => v), ['id', 'originatorId', 'contactId', 'contactIds']);
    assert.equal(q.get('order[id]'), 'DESC');
    assert.deepEqual(got.created!.map((d) => d.id), [351], 'a row that does not name the contact is dropped');
  });

  it('a portal that refuses contactIds in the filter: "@contactIds", then the primary contactId; the working form is remembered', async () => {
    const forms: string[] = [];
    const { crm } = crmWith((_m, params) => {
      const q = commandsOf(params).won!;
      const form = [...q.keys()].find((k) => /contactid/i.test(k))!.replace(/\[\d+\]$/, '');
      forms.push(form);
      if (form !== 'filter[contactId]') return batchRefused(['won'], form.slice('filter['.length, -1));
      return batchOk({ won: { items: [{ ...ITEM, contactIds: [] }] } });
    });
    const first = await crm.listClientDeals({ kind: 'contact', id: 4 }, { won: { filter: { STAGE_SEMANTIC_ID: 'S' }, select: ['ID'] } });
    assert.deepEqual(first.won!.map((d) => d.id), [351]);
    assert.deepEqual(forms, ['filter[contactIds]', 'filter[@contactIds]', 'filter[contactId]']);
    await crm.listClientDeals({ kind: 'contact', id: 4 }, { won: { filter: {}, select: ['ID'] } });
    assert.equal(forms.length, 4, 'the next call starts at the form that worked');
    assert.equal(CONTACT_FILTERS.at(-1)!.primaryOnly, true);
  });

  it('other failures are not taken for a refused filter: they are thrown as they are', async () => {
    const { crm, transport } = crmWith(() => ok({ result: [], result_error: { a: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked' } } }));
    await assert.rejects(crm.listClientDeals({ kind: 'contact', id: 4 }, { a: { filter: {}, select: ['ID'] } }), /OPERATION_TIME_LIMIT/);
    assert.equal(transport.sent.length, 1);
  });

  it('a company\'s deals: crm.deal.list by COMPANY_ID in the same batch shape', async () => {
    const { crm, transport } = crmWith(() => batchOk({ a: [{ ID: '8', TITLE: 'x', STAGE_ID: 'NEW', COMPANY_ID: '3' }], b: [] }));
    const got = await crm.listClientDeals({ kind: 'company', id: 3 }, { a: { filter: { CLOSED: 'N' }, select: ['ID'] }, b: { filter: {}, select: ['ID'] } });
    const q = commandsOf(transport.sent[0]!.params);
    assert.match((transport.sent[0]!.params.cmd as Record<string, string>).a!, /^crm\.deal\.list\?/);
    assert.equal(q.a!.get('filter[COMPANY_ID]'), '3');
    assert.equal(q.a!.get('filter[CLOSED]'), 'N');
    assert.deepEqual(got.a!.map((d) => d.id), [8]);
    assert.deepEqual(got.b, []);
  });

  it('moveDealToStage: crm.item.update with categoryId and stageId; answers where the portal says the deal is', async () => {
    const { crm, transport } = crmWith(() => ok({ item: { ...ITEM, categoryId: 1, stageId: 'C1:NEW' } }));
    const at = await crm.moveDealToStage(351, { categoryId: 1, stageId: 'C1:NEW' }, { ASSIGNED_BY_ID: 3 });
    assert.deepEqual(transport.sent, [{ method: 'crm.item.update', params: { entityTypeId: 2, id: 351, useOriginalUfNames: 'Y', fields: { assignedById: 3, categoryId: 1, stageId: 'C1:NEW' } } }]);
    assert.deepEqual(at, { categoryId: 1, stageId: 'C1:NEW' });
  });
});
