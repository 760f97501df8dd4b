/**
 * crm.stagehistory.list (api-reference/crm/crm-stage-history-list.md): an entry on every
 * creation and stage move of deals and leads, `result.items` with typed values and CREATED_TIME
 * in the portal's offset, filter / order / select / pages of 50, the documented errors, and the
 * demo seed's history (its won and lost deals moved into their final stage before "now").
 */
import assert from 'node:assert/strict';
import { DEMO, type SandboxHandle } from '../src';
import { call, sandbox } from './helpers';

type Item = Record<string, unknown>;

describe('sandbox: crm.stagehistory.list', () => {
  let sb: SandboxHandle;
  before(async () => {
    sb = await sandbox({ timezoneOffsetMinutes: 120 });
  });
  after(async () => {
    await sb.close();
  });
  const history = async (params: Record<string, unknown>) => call(sb, 'crm.stagehistory.list', params);
  const itemsOf = async (entityTypeId: number, ownerId: number): Promise<Item[]> =>
    (await history({ entityTypeId, filter: { OWNER_ID: ownerId }, order: { ID: 'ASC' } })).body.result.items;

  it('a deal: created (TYPE_ID 1), moved to an intermediate stage (2), won (3); typed values, the portal offset', async () => {
    const id = (await call(sb, 'crm.deal.add', { fields: { TITLE: 'История', STAGE_ID: 'NEW' } })).body.result;
    sb.portal.advanceClock(60_000);
    await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: 'EXECUTING' } });
    sb.portal.advanceClock(60_000);
    await call(sb, 'crm.deal.update', { id, fields: { TITLE: 'История, переименована' } });
    await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: 'WON', CLOSEDATE: '2031-01-01' } });
    const answer = (await history({ entityTypeId: 2, filter: { OWNER_ID: id }, order: { ID: 'ASC' }, select: ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'CATEGORY_ID', 'STAGE_SEMANTIC_ID', 'STAGE_ID'] })).body;
    const items = answer.result.items as Item[];
    assert.deepEqual(items.map((i) => [i.TYPE_ID, i.STAGE_ID, i.STAGE_SEMANTIC_ID, i.CATEGORY_ID, i.OWNER_ID]), [
      [1, 'NEW', 'P', 0, id],
      [2, 'EXECUTING', 'P', 0, id],
      [3, 'WON', 'S', 0, id],
    ]);
    assert.equal(answer.total, 3);
    assert.equal(typeof items[0]!.ID, 'number', 'JSON integers, unlike crm.deal.list');
    for (const i of items) assert.match(String(i.CREATED_TIME), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+02:00$/);
    // The won entry is the move, whatever CLOSEDATE says (set explicitly here, years ahead).
    const deal = (await call(sb, 'crm.deal.get', { id })).body.result;
    assert.equal(Date.parse(String(items[2]!.CREATED_TIME)), Date.parse(deal.MOVED_TIME));
    assert.match(deal.CLOSEDATE, /^2031-01-01/);
    assert.ok(Date.parse(String(items[1]!.CREATED_TIME)) - Date.parse(String(items[0]!.CREATED_TIME)) >= 60_000);
  });

  it('no entry for a write that changes no stage, or that is refused', async () => {
    const id = sb.portal.createDeal({ TITLE: 'Без движения', STAGE_ID: 'NEW' });
    await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: 'NEW', TITLE: 'x' } });
    await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: 'C1:WON' } }); // another pipeline: ignored (deals/index.md)
    await call(sb, 'crm.deal.update', { id, fields: { STAGE_ID: 'LOSE', CURRENCY_ID: 'XXX' } }); // refused: bad currency
    assert.equal((await call(sb, 'crm.deal.get', { id })).body.result.STAGE_ID, 'NEW');
    assert.deepEqual((await itemsOf(2, id)).map((i) => i.TYPE_ID), [1]);
  });

  it('a lead: STATUS_ID and STATUS_SEMANTIC_ID, no pipeline; a failure status is a final move', async () => {
    const id = sb.portal.createLead({ TITLE: 'Лид с историей' });
    sb.portal.setLeadStatus(id, 'IN_PROCESS');
    sb.portal.setLeadStatus(id, 'JUNK');
    const items = await itemsOf(1, id);
    assert.deepEqual(items.map((i) => [i.TYPE_ID, i.STATUS_ID, i.STATUS_SEMANTIC_ID]), [
      [1, 'NEW', 'P'],
      [2, 'IN_PROCESS', 'P'],
      [3, 'JUNK', 'F'],
    ]);
    assert.ok(items.every((i) => !('CATEGORY_ID' in i) && !('STAGE_ID' in i)));
    assert.deepEqual(Object.keys(items[0]!), ['ID', 'TYPE_ID', 'OWNER_ID', 'CREATED_TIME', 'STATUS_SEMANTIC_ID', 'STATUS_ID']);
  });

  it('filter by OWNER_ID, @OWNER_ID, TYPE_ID and CREATED_TIME; order DESC; select; through batch', async () => {
    const a = sb.portal.createDeal({ TITLE: 'A' });
    const b = sb.portal.createDeal({ TITLE: 'B' });
    sb.portal.winDeal(a);
    sb.portal.loseDeal(b, 'LOSE');
    const both = (await history({ entityTypeId: 2, filter: { '@OWNER_ID': [a, b] }, order: { ID: 'DESC' } })).body.result.items as Item[];
    assert.deepEqual(both.map((i) => [i.OWNER_ID, i.TYPE_ID, i.STAGE_ID]), [
      [b, 3, 'LOSE'],
      [a, 3, 'WON'],
      [b, 1, 'NEW'],
      [a, 1, 'NEW'],
    ]);
    const finals = (await history({ entityTypeId: 2, filter: { OWNER_ID: [a, b], TYPE_ID: 3, STAGE_SEMANTIC_ID: 'S' }, select: ['OWNER_ID'] })).body.result.items;
    assert.deepEqual(finals, [{ OWNER_ID: a }]);
    const since = new Date(sb.portal.now() + 1000).toISOString();
    sb.portal.advanceClock(5000);
    sb.portal.moveDeal(a, 'EXECUTING');
    const recent = (await history({ entityTypeId: 2, filter: { '>=CREATED_TIME': since } })).body.result.items as Item[];
    assert.deepEqual(recent.map((i) => [i.OWNER_ID, i.STAGE_ID]), [[a, 'EXECUTING']]);
    const viaBatch = (await call(sb, 'batch', { halt: 0, cmd: { h: `crm.stagehistory.list?entityTypeId=2&filter[OWNER_ID]=${b}&order[ID]=DESC` } })).body;
    assert.deepEqual((viaBatch.result.result.h.items as Item[]).map((i) => i.STAGE_ID), ['LOSE', 'NEW']);
    assert.equal(viaBatch.result.result_total.h, 2);
  });

  it('pages of 50: total and next (list-methods-pecularities.md)', async () => {
    const id = sb.portal.createDeal({ TITLE: 'Много движений' });
    for (let i = 0; i < 30; i++) {
      sb.portal.moveDeal(id, 'EXECUTING');
      sb.portal.moveDeal(id, 'PREPARATION');
    }
    const p1 = (await history({ entityTypeId: 2, filter: { OWNER_ID: id } })).body;
    assert.equal(p1.result.items.length, 50);
    assert.equal(p1.total, 61);
    assert.equal(p1.next, 50);
    const p2 = (await history({ entityTypeId: 2, filter: { OWNER_ID: id }, start: 50 })).body;
    assert.equal(p2.result.items.length, 11);
    assert.ok(!('next' in p2));
  });

  it('errors: an unsupported entity type, a field not allowed in filter or order, an invalid value or direction', async () => {
    const contact = await history({ entityTypeId: 3 });
    assert.equal(contact.status, 400);
    assert.equal(contact.body.error, 'ENTITY_TYPE_NOT_SUPPORTED');
    assert.equal((await history({ entityTypeId: 777 })).body.error, 'ENTITY_TYPE_NOT_SUPPORTED');
    assert.deepEqual((await history({ entityTypeId: 31 })).body.result, { items: [] }, 'new invoices: supported, none here');
    const field = await history({ entityTypeId: 2, filter: { TITLE: 'x' } });
    assert.equal(field.status, 400);
    assert.deepEqual(field.body, { error: 'INVALID_ARG_VALUE', error_description: "Invalid filter: field 'TITLE' is not allowed in filter" });
    assert.equal((await history({ entityTypeId: 1, filter: { STAGE_ID: 'NEW' } })).body.error, 'INVALID_ARG_VALUE', 'leads have STATUS_ID');
    assert.equal((await history({ entityTypeId: 2, filter: { OWNER_ID: 'abc' } })).body.error_description, "Invalid filter: field 'OWNER_ID' has invalid value");
    assert.equal((await history({ entityTypeId: 2, filter: { '>=CREATED_TIME': 'yesterday' } })).body.error, 'INVALID_ARG_VALUE');
    assert.equal((await history({ entityTypeId: 2, order: { TITLE: 'ASC' } })).body.error_description, "Invalid order: field 'TITLE' is not allowed in order");
    assert.equal((await history({ entityTypeId: 2, order: { ID: 'UP' } })).body.error_description, "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'ID'");
  });

  it('a deleted deal takes its history with it', async () => {
    const id = sb.portal.createDeal({ TITLE: 'Удаляемая' });
    sb.portal.winDeal(id);
    await call(sb, 'crm.deal.delete', { id });
    assert.deepEqual(await itemsOf(2, id), []);
  });

  it('the demo seed: every deal was created in its first stage; won and lost deals moved into their final stage before now, at MOVED_TIME', async () => {
    const fresh = await sandbox();
    try {
      const now = fresh.portal.now();
      const seeded = [...DEMO.deals.won, ...Object.values(DEMO.deals.lost), DEMO.deals.lostByFiredManager];
      for (const id of seeded) {
        const items = (await call(fresh, 'crm.stagehistory.list', { entityTypeId: 2, filter: { OWNER_ID: id }, order: { ID: 'ASC' } })).body.result.items as Item[];
        const deal = (await call(fresh, 'crm.deal.get', { id })).body.result;
        assert.deepEqual(items.map((i) => i.TYPE_ID), [1, 3], `deal ${id}`);
        assert.equal(items[0]!.STAGE_ID, 'NEW');
        assert.equal(Date.parse(String(items[0]!.CREATED_TIME)), Date.parse(deal.DATE_CREATE));
        assert.equal(items[1]!.STAGE_ID, deal.STAGE_ID);
        assert.equal(items[1]!.STAGE_SEMANTIC_ID, deal.STAGE_SEMANTIC_ID);
        assert.equal(Date.parse(String(items[1]!.CREATED_TIME)), Date.parse(deal.MOVED_TIME));
        assert.ok(Date.parse(String(items[1]!.CREATED_TIME)) < now - 86_400_000, `deal ${id} closed days ago`);
      }
      const inProgress = (await call(fresh, 'crm.stagehistory.list', { entityTypeId: 2, filter: { OWNER_ID: DEMO.deals.inProgress[0] } })).body.result.items as Item[];
      assert.deepEqual(inProgress.map((i) => i.TYPE_ID), [1]);
      const junk = (await call(fresh, 'crm.stagehistory.list', { entityTypeId: 1, filter: { OWNER_ID: DEMO.leads.junk } })).body.result.items as Item[];
      assert.deepEqual(junk.map((i) => [i.TYPE_ID, i.STATUS_ID]), [[1, 'NEW'], [3, 'JUNK']]);
    } finally {
      await fresh.close();
    }
  });
});
