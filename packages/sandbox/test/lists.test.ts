/**
 * List semantics shared by every *.list method: pages of 50 with next/total
 * (list-methods-pecularities.md), start=-1 without a count and fast paging by >ID
 * (settings/performance/huge-data.md), filter operators, dates compared as dates, select masks,
 * order (crm-deal-list.md).
 */
import assert from 'node:assert/strict';
import type { SandboxHandle } from '../src';
import { call, sandbox } from './helpers';

describe('sandbox: list methods', () => {
  let sb: SandboxHandle;
  const created: number[] = [];
  before(async () => {
    sb = await sandbox({ seed: 'empty' });
    // 120 deals: amounts 10, 20, ... ; every third one in a "bulk" batch by title.
    for (let i = 1; i <= 120; i++) {
      created.push(sb.portal.createDeal({ TITLE: i % 3 === 0 ? `Bulk заказ ${i}` : `Заказ ${i}`, OPPORTUNITY: i * 10, CLOSEDATE: `2025-01-${String((i % 28) + 1).padStart(2, '0')}` }));
    }
  });
  after(async () => {
    await sb.close();
  });

  it('pages of 50: total, next = start + 50 while more rows follow (crm-deal-list.md "start", "next")', async () => {
    const p1 = (await call(sb, 'crm.deal.list', { select: ['ID'] })).body;
    assert.equal(p1.result.length, 50);
    assert.equal(p1.total, 120);
    assert.equal(p1.next, 50);
    const p3 = (await call(sb, 'crm.deal.list', { select: ['ID'], start: 100 })).body;
    assert.equal(p3.result.length, 20);
    assert.equal(p3.total, 120);
    assert.ok(!('next' in p3), 'no next on the last page');
    const seen = new Set<string>();
    for (let start: number | undefined = 0; start !== undefined; ) {
      const page: { result: Array<{ ID: string }>; next?: number } = (await call(sb, 'crm.deal.list', { select: ['ID'], order: { ID: 'ASC' }, start })).body;
      page.result.forEach((r) => seen.add(r.ID));
      start = page.next;
    }
    assert.equal(seen.size, 120);
  });

  it('start=-1: no count (total 0, no next), paging by >ID (huge-data.md)', async () => {
    let lastId = 0;
    let pages = 0;
    let rows = 0;
    for (;;) {
      const page = (await call(sb, 'crm.deal.list', { order: { ID: 'ASC' }, filter: { '>ID': lastId }, select: ['ID'], start: -1 })).body;
      assert.equal(page.total, 0);
      assert.ok(!('next' in page));
      pages++;
      rows += page.result.length;
      if (page.result.length === 0) break;
      lastId = Number(page.result[page.result.length - 1].ID);
      if (page.result.length < 50) break;
    }
    assert.equal(rows, 120);
    assert.equal(pages, 3);
  });

  it('filter operators =, !, >, >=, <, <=, @, !@, % and an array value (crm-deal-list.md "filter")', async () => {
    const ids = async (filter: Record<string, unknown>) =>
      ((await call(sb, 'crm.deal.list', { filter, select: ['ID'], order: { ID: 'ASC' } })).body.result as Array<{ ID: string }>).map((r) => Number(r.ID));
    const count = async (filter: Record<string, unknown>) => (await call(sb, 'crm.deal.list', { filter, select: ['ID'] })).body.total as number;
    const [a, b, c] = created;
    assert.deepEqual(await ids({ ID: a }), [a]);
    assert.deepEqual(await ids({ '=ID': String(b) }), [b]);
    assert.equal(await count({ '!ID': a }), 119);
    assert.deepEqual(await ids({ '>OPPORTUNITY': 1180 }), [created[118], created[119]]);
    assert.deepEqual(await ids({ '>=OPPORTUNITY': 1190 }), [created[118], created[119]]);
    assert.deepEqual(await ids({ '<OPPORTUNITY': 30 }), [a, b]);
    assert.deepEqual(await ids({ '<=OPPORTUNITY': 30 }), [a, b, c]);
    assert.deepEqual(await ids({ '@ID': [a, c] }), [a, c]);
    assert.deepEqual(await ids({ ID: [b, c] }), [b, c]);
    assert.equal(await count({ '!@ID': [a, b, c] }), 117);
    assert.equal((await ids({ '%TITLE': 'bulk' })).length, 40, 'LIKE is a case-insensitive substring search');
    assert.equal((await ids({ '=%TITLE': 'Bulk%' })).length, 40);
    assert.equal((await ids({ '=%TITLE': '%заказ 1' })).length, 1);
    assert.equal(await count({ '!%TITLE': 'Bulk' }), 80);
    assert.deepEqual(await ids({ '>ID': created[117], '<ID': created[119] }), [created[118]], 'conditions combine with AND');
    assert.equal(await count({ NO_SUCH_FIELD: 1 }), 120, 'unknown filter fields are ignored');
  });

  it('dates compare as dates, in any accepted format (crm-deal-list.md, data-types.md)', async () => {
    const count = async (filter: Record<string, unknown>) => (await call(sb, 'crm.deal.list', { filter, select: ['ID'] })).body.total as number;
    const onFirst = await count({ CLOSEDATE: '2025-01-01' });
    assert.ok(onFirst > 0);
    assert.equal(await count({ '=CLOSEDATE': '2025-01-01T00:00:00+03:00' }), onFirst);
    assert.equal(await count({ '=CLOSEDATE': '01.01.2025' }), onFirst);
    const late = await count({ '>=CLOSEDATE': '2025-01-20' });
    const early = await count({ '<CLOSEDATE': '2025-01-20' });
    assert.equal(late + early, 120);
    assert.equal(await count({ '>DATE_MODIFY': '2020-01-01T00:00:00Z' }), 120);
    assert.equal(await count({ '>DATE_MODIFY': '2999-01-01' }), 0);
  });

  it('select: names, "*" (standard, non-multiple) and "UF_*"; default is * + UF_* (crm-deal-list.md "select")', async () => {
    await call(sb, 'crm.deal.userfield.add', { fields: { FIELD_NAME: 'LIST_TEST', USER_TYPE_ID: 'string', LABEL: 'Тест' } });
    const byName = (await call(sb, 'crm.deal.list', { select: ['ID', 'TITLE'], filter: { ID: created[0] } })).body.result[0];
    assert.deepEqual(Object.keys(byName).sort(), ['ID', 'TITLE']);
    const star = (await call(sb, 'crm.deal.list', { select: ['*'], filter: { ID: created[0] } })).body.result[0];
    assert.ok('STAGE_SEMANTIC_ID' in star && 'DATE_MODIFY' in star);
    assert.ok(!('UF_CRM_LIST_TEST' in star), '* leaves user fields out');
    const uf = (await call(sb, 'crm.deal.list', { select: ['UF_*'], filter: { ID: created[0] } })).body.result[0];
    assert.deepEqual(Object.keys(uf), ['UF_CRM_LIST_TEST']);
    const def = (await call(sb, 'crm.deal.list', { filter: { ID: created[0] } })).body.result[0];
    assert.ok('TITLE' in def && 'UF_CRM_LIST_TEST' in def);
    assert.ok(!('CONTACT_IDS' in def));
  });

  it('order by one or more fields, ASC/DESC', async () => {
    const rows = (await call(sb, 'crm.deal.list', { order: { OPPORTUNITY: 'DESC' }, select: ['ID', 'OPPORTUNITY'] })).body.result as Array<{ ID: string; OPPORTUNITY: string }>;
    assert.equal(rows[0].OPPORTUNITY, '1200.00');
    assert.equal(rows[1].OPPORTUNITY, '1190.00');
    const lower = (await call(sb, 'crm.deal.list', { order: { ID: 'desc' }, select: ['ID'] })).body.result as Array<{ ID: string }>;
    assert.equal(Number(lower[0].ID), created[119]);
  });

  it('other list methods page the same way: user.get, crm.status.list, department.get', async () => {
    const users = (await call(sb, 'user.get', {})).body;
    assert.equal(users.total, 1);
    assert.equal(users.result[0].ID, '1');
    const statuses = (await call(sb, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE' } })).body;
    assert.ok(statuses.total >= 7);
    const deps = (await call(sb, 'department.get', {})).body;
    assert.equal(deps.total, 1);
  });
});
