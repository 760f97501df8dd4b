/**
 * State save/load (stateFile option, handle.save/load, /_sandbox/save|load) and the admin API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO, type SandboxHandle } from '../src';
import { admin, call, sandbox } from './helpers';

describe('sandbox: state and admin API', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'b24-sandbox-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('save() writes the state file; a new sandbox on the same file has the same data, ids and webhook code', async () => {
    const file = path.join(dir, 'portal.json');
    const a = await sandbox({ stateFile: file });
    let id: number;
    let webhook: string;
    try {
      id = (await call(a, 'crm.deal.add', { fields: { TITLE: 'Сохранённая сделка' } })).body.result;
      webhook = a.webhookUrl.replace(/:\d+\//, ':PORT/');
      assert.equal(await a.save(), file);
    } finally {
      await a.close();
    }
    const b = await sandbox({ stateFile: file });
    try {
      assert.equal(b.webhookUrl.replace(/:\d+\//, ':PORT/'), webhook);
      assert.equal((await call(b, 'crm.deal.get', { id })).body.result.TITLE, 'Сохранённая сделка');
      const next = (await call(b, 'crm.deal.add', { fields: { TITLE: 'следующая' } })).body.result;
      assert.equal(next, id + 1, 'sequences continue');
    } finally {
      await b.close();
    }
  });

  it('load() replaces the state; reset goes back to the seed', async () => {
    const file = path.join(dir, 'snapshot.json');
    const sb = await sandbox();
    try {
      sb.portal.save(file);
      sb.portal.loseDeal(101);
      assert.equal(sb.portal.get('deal', 101)!.STAGE_SEMANTIC_ID, 'F');
      await sb.load(file);
      assert.equal(sb.portal.get('deal', 101)!.STAGE_SEMANTIC_ID, 'P');
      const viaHttp = await admin(sb, 'POST', 'save', { file: path.join(dir, 'http.json') });
      assert.equal(viaHttp.status, 200);
      sb.portal.createDeal({ TITLE: 'x' });
      assert.equal((await admin(sb, 'POST', 'load', { file: path.join(dir, 'http.json') })).status, 200);
      assert.equal(sb.portal.state.deals.length, 17);
      await admin(sb, 'POST', 'reset', { seed: 'empty' });
      assert.equal(sb.portal.state.deals.length, 0);
    } finally {
      await sb.close();
    }
  });

  it('the demo seed is deterministic: same ids, stages and records on every start', async () => {
    const shape = async () => {
      const s = await sandbox();
      try {
        const deals = (await call(s, 'crm.deal.list', { select: ['ID', 'TITLE', 'STAGE_ID', 'CATEGORY_ID', 'ASSIGNED_BY_ID', 'OPPORTUNITY'] })).body.result;
        const leads = (await call(s, 'crm.lead.list', { select: ['ID', 'STATUS_ID'] })).body.result;
        const stages = (await call(s, 'crm.status.list', {})).body.result.map((x: { ENTITY_ID: string; STATUS_ID: string }) => `${x.ENTITY_ID}/${x.STATUS_ID}`);
        return JSON.stringify({ deals, leads, stages });
      } finally {
        await s.close();
      }
    };
    assert.equal(await shape(), await shape());
  });

  describe('admin HTTP', () => {
    let sb: SandboxHandle;
    before(async () => {
      sb = await sandbox();
    });
    after(async () => {
      await sb.close();
    });

    it('needs the admin token (default: the webhook code)', async () => {
      assert.equal((await admin(sb, 'GET', '', undefined, 'wrong')).status, 401);
      const ok = await admin(sb, 'GET', '');
      assert.equal(ok.status, 200);
      assert.ok(ok.body.endpoints.length > 10);
      assert.equal(ok.body.summary.counts.deals, 17);
      const r = await fetch(`${sb.adminUrl}state?token=${sb.adminToken}`);
      assert.equal(r.status, 200);
    });

    it('moves, loses (by reason name), wins deals and sets fields; events and DATE_MODIFY follow', async () => {
      const before = sb.portal.get('deal', 102)!.DATE_MODIFY;
      sb.portal.advanceClock(60_000);
      const lost = await admin(sb, 'POST', 'deals/102/lose', { reason: 'Нет нужного товара в наличии' });
      assert.equal(lost.body.stageId, 'UC_NOSTOCK');
      assert.equal(lost.body.deal.STAGE_SEMANTIC_ID, 'F');
      assert.equal(lost.body.deal.CLOSED, 'Y');
      assert.notEqual(lost.body.deal.DATE_MODIFY, before);
      const moved = await admin(sb, 'POST', 'deals/102/move', { stageId: 'EXECUTING' });
      assert.equal(moved.body.CLOSED, 'N');
      const won = await admin(sb, 'POST', 'deals/102/win');
      assert.equal(won.body.deal.STAGE_ID, 'WON');
      const field = await admin(sb, 'POST', 'deals/102/field', { field: DEMO.userFields.licenceEnd, value: '2030-01-31' });
      assert.equal(field.body[DEMO.userFields.licenceEnd], '2030-01-31T00:00:00+03:00');
      assert.equal((await admin(sb, 'POST', 'deals/102/move', { stageId: 'C1:NEW' })).status, 400, 'a stage of another pipeline');
      const created = await admin(sb, 'POST', 'deals', { fields: { TITLE: 'Из админки', CATEGORY_ID: 1 } });
      assert.equal(created.status, 201);
      assert.equal(sb.portal.get('deal', created.body.id)!.STAGE_ID, 'C1:NEW');
      const lead = await admin(sb, 'POST', `leads/${DEMO.leads.new}/status`, { status: 'Некачественный лид' });
      assert.equal(lead.body.lead.STATUS_SEMANTIC_ID, 'F');
    });

    it('call log over HTTP, records, clock', async () => {
      await admin(sb, 'DELETE', 'calls');
      await call(sb, 'crm.deal.get', { id: 101 });
      const calls = await admin(sb, 'GET', 'calls?method=crm.deal.get');
      assert.equal(calls.body.count, 1);
      assert.equal(calls.body.entries[0].httpStatus, 200);
      await call(sb, 'tasks.task.add', { fields: { TITLE: 'Позвонить', RESPONSIBLE_ID: 3 } });
      const tasks = await admin(sb, 'GET', 'records/tasks');
      assert.equal(tasks.body.length, 1);
      assert.equal((await admin(sb, 'GET', 'records/credentials')).status, 404);
      const clock = await admin(sb, 'POST', 'clock', { advanceDays: 30 });
      assert.ok(Date.parse(clock.body.now) > Date.now() + 29 * 86_400_000);
      const t = (await call(sb, 'server.time')).body.result as string;
      assert.ok(Date.parse(t) > Date.now() + 29 * 86_400_000, 'portal time moved');
    });
  });
});
