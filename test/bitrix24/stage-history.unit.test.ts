import assert from 'node:assert/strict';
import { Bitrix24Error, createBitrix24Client, createCrmApi } from '../../src/bitrix24';
import { fail, fakeClock, ok, scriptedTransport, type Handler } from './support';

/** Items as crm-stage-history-list.md prints them: `result.items`, UPPER_CASE keys, JSON integers. */
const dealItem = (ID: number, OWNER_ID: number, TYPE_ID: number, STAGE_ID: string, STAGE_SEMANTIC_ID: string, CREATED_TIME: string) => ({
  ID, TYPE_ID, OWNER_ID, CREATED_TIME, CATEGORY_ID: 0, STAGE_SEMANTIC_ID, STAGE_ID,
});

function crmWith(handler: Handler) {
  const transport = scriptedTransport(handler);
  const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off', retry: { maxAttempts: 1 } });
  return { crm: createCrmApi(client), transport };
}

describe('bitrix24 stage history (crm.stagehistory.list)', () => {
  it('listStageHistory: result.items parsed into typed entries; OWNER_ID for one owner, @OWNER_ID for many; pages by next', async () => {
    const { crm, transport } = crmWith((_m, params) => {
      const start = Number(params.start ?? 0);
      if (start === 0) {
        return ok({ items: [dealItem(35, 21, 1, 'NEW', 'P', '2024-04-25T14:59:11+00:00'), dealItem(36, 21, 3, 'WON', 'S', '2024-04-26T10:00:00+03:00')] }, { total: 3, next: 50 });
      }
      return ok({ items: [dealItem(90, 22, 1, 'C1:NEW', 'P', '2024-05-01T09:00:00+03:00')] }, { total: 3 });
    });
    const entries = await crm.listStageHistory('deal', [21, 22]);
    assert.deepEqual(entries[0], { id: 35, typeId: 1, ownerId: 21, createdTime: '2024-04-25T14:59:11.000Z', categoryId: 0, stageId: 'NEW', semantic: 'P' });
    assert.deepEqual(entries.map((e) => [e.id, e.typeId, e.stageId, e.createdTime]), [
      [35, 1, 'NEW', '2024-04-25T14:59:11.000Z'],
      [36, 3, 'WON', '2024-04-26T07:00:00.000Z'],
      [90, 1, 'C1:NEW', '2024-05-01T06:00:00.000Z'],
    ]);
    assert.equal(transport.sent.length, 2, 'ceil(entries / 50) requests');
    assert.deepEqual(transport.sent[0], {
      method: 'crm.stagehistory.list',
      params: { entityTypeId: 2, filter: { '@OWNER_ID': [21, 22] }, order: { ID: 'ASC' }, select: ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'CATEGORY_ID', 'STAGE_ID', 'STAGE_SEMANTIC_ID'], start: 0 },
    });
    assert.equal(transport.sent[1]!.params.start, 50);

    const one = crmWith(() => ok({ items: [] }));
    await one.crm.listStageHistory('deal', [21]);
    assert.deepEqual(one.transport.sent[0]!.params.filter, { OWNER_ID: 21 });
    const none = crmWith(() => ok({ items: [] }));
    assert.deepEqual(await none.crm.listStageHistory('deal', []), []);
    assert.equal(none.transport.sent.length, 0, 'no owners: no request');
  });

  it('leads: entityTypeId 1, STATUS_ID / STATUS_SEMANTIC_ID read as stage and semantic, no pipeline', async () => {
    const { crm, transport } = crmWith(() =>
      ok({ items: [{ ID: 7, TYPE_ID: 3, OWNER_ID: 501, CREATED_TIME: '2025-02-01T12:00:00+03:00', STATUS_SEMANTIC_ID: 'F', STATUS_ID: 'JUNK' }] }),
    );
    const [entry] = await crm.listStageHistory('lead', [501]);
    assert.deepEqual(entry, { id: 7, typeId: 3, ownerId: 501, createdTime: '2025-02-01T09:00:00.000Z', categoryId: null, stageId: 'JUNK', semantic: 'F' });
    assert.equal(transport.sent[0]!.params.entityTypeId, 1);
    assert.deepEqual(transport.sent[0]!.params.select, ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'STATUS_ID', 'STATUS_SEMANTIC_ID']);
  });

  it('latestStageHistory of one owner: ONE request, newest first (ID DESC), only that owner’s entries', async () => {
    const { crm, transport } = crmWith(() => ok({ items: [dealItem(36, 21, 3, 'WON', 'S', '2024-04-26T10:00:00+03:00'), dealItem(99, 77, 1, 'NEW', 'P', '2024-04-26T10:00:00+03:00')] }));
    const history = await crm.latestStageHistory('deal', [21]);
    assert.equal(transport.sent.length, 1);
    assert.equal(transport.sent[0]!.method, 'crm.stagehistory.list');
    assert.deepEqual(transport.sent[0]!.params.filter, { OWNER_ID: 21 });
    assert.deepEqual(transport.sent[0]!.params.order, { ID: 'DESC' });
    assert.deepEqual(history.get(21)?.map((e) => e.id), [36], 'a portal that ignored the filter adds nothing');
  });

  it('latestStageHistory of a page of 50 deals: ONE batch request, a command per deal; a refused command is unreadable (null), not a failure', async () => {
    const owners = Array.from({ length: 50 }, (_, i) => 1000 + i);
    const { crm, transport } = crmWith((method, params) => {
      assert.equal(method, 'batch');
      const cmd = params.cmd as Record<string, string>;
      const result: Record<string, unknown> = {};
      for (const key of Object.keys(cmd)) {
        const owner = Number(key.slice(1));
        if (owner !== 1001) result[key] = { items: [dealItem(owner * 10, owner, 3, 'WON', 'S', '2025-03-01T12:00:00+03:00')] };
      }
      return ok({ result, result_error: { h1001: { error: 'ACCESS_DENIED', error_description: 'Access denied' } } });
    });
    const history = await crm.latestStageHistory('deal', owners);
    assert.equal(transport.sent.length, 1, 'one HTTP request for 50 deals');
    const cmd = transport.sent[0]!.params.cmd as Record<string, string>;
    assert.equal(Object.keys(cmd).length, 50);
    assert.match(cmd.h1000!, /^crm\.stagehistory\.list\?entityTypeId=2&filter%5BOWNER_ID%5D=1000&order%5BID%5D=DESC&select%5B0%5D=ID/);
    assert.equal(history.size, 50);
    assert.equal(history.get(1001), null, 'refused for good: unreadable');
    assert.deepEqual(history.get(1000)?.map((e) => [e.typeId, e.stageId, e.createdTime]), [[3, 'WON', '2025-03-01T09:00:00.000Z']]);
    const empty = crmWith(() => ok(null));
    assert.equal((await empty.crm.latestStageHistory('deal', [])).size, 0);
    assert.equal(empty.transport.sent.length, 0, 'no owners: no request');
  });

  it('latestStageHistory: a method the portal does not have, or an unreadable answer, is unreadable; a retryable failure throws', async () => {
    const missing = crmWith(() => fail('ERROR_METHOD_NOT_FOUND', 404, 'crm.stagehistory.list', 'Method not found!'));
    assert.equal((await missing.crm.latestStageHistory('deal', [5])).get(5), null);
    const odd = crmWith(() => ok('not a list'));
    assert.equal((await odd.crm.latestStageHistory('deal', [5])).get(5), null);
    const busy = crmWith(() => fail('QUERY_LIMIT_EXCEEDED', 503, 'crm.stagehistory.list'));
    await assert.rejects(busy.crm.latestStageHistory('deal', [5]), (e: unknown) => e instanceof Bitrix24Error && e.kind === 'retryable');
    const busyInBatch = crmWith(() => ok({ result: {}, result_error: { h6: { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' } } }, { httpStatus: 200 }));
    await assert.rejects(busyInBatch.crm.latestStageHistory('deal', [5, 6]), (e: unknown) => e instanceof Bitrix24Error && e.kind === 'retryable');
  });
});
