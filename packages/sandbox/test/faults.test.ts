/**
 * Fault injection: 500s (system-errors.md INTERNAL_SERVER_ERROR), outage windows, latency,
 * dropped event deliveries, and writes whose answer is lost after the commit.
 */
import assert from 'node:assert/strict';
import type { SandboxHandle } from '../src';
import { admin, call, receiver, sandbox } from './helpers';

describe('sandbox: faults', () => {
  let sb: SandboxHandle;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.close();
  });

  it('errorRate=1 answers 500 INTERNAL_SERVER_ERROR before any work (system-errors.md)', async () => {
    const before = sb.portal.state.deals.length;
    sb.faults.set({ errorRate: 1 });
    const a = await call(sb, 'crm.deal.add', { fields: { TITLE: 'x' } });
    assert.equal(a.status, 500);
    assert.deepEqual(a.body, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
    assert.equal(sb.portal.state.deals.length, before, 'nothing was written');
    sb.faults.set({ methods: ['crm.deal.add'] });
    assert.equal((await call(sb, 'crm.deal.get', { id: 101 })).status, 200, 'restricted to the listed methods');
    sb.faults.reset();
    assert.equal((await call(sb, 'crm.deal.add', { fields: { TITLE: 'x' } })).status, 200);
  });

  it('an outage window: 503 from the front server (HTML) or 500 JSON, then normal again', async () => {
    sb.faults.outage(60);
    const down = await call(sb, 'crm.deal.get', { id: 101 });
    assert.equal(down.status, 503);
    assert.match(down.contentType, /text\/html/);
    sb.faults.set({ outageStatus: 500 });
    const down500 = await call(sb, 'crm.deal.get', { id: 101 });
    assert.equal(down500.status, 500);
    assert.equal(down500.body.error, 'INTERNAL_SERVER_ERROR');
    sb.faults.set({ outageUntil: null });
    assert.equal((await call(sb, 'crm.deal.get', { id: 101 })).status, 200);
  });

  it('latency delays every answer by at least latencyMs', async () => {
    sb.faults.set({ latencyMs: 150 });
    const t0 = Date.now();
    await call(sb, 'server.time');
    assert.ok(Date.now() - t0 >= 145);
  });

  it('dropEventsPct=100 loses every delivery silently', async () => {
    const rx = await receiver();
    try {
      sb.portal.addOutgoingWebhook(rx.url, ['ONCRMDEALUPDATE']);
      sb.faults.set({ dropEventsPct: 100 });
      await call(sb, 'crm.deal.update', { id: 101, fields: { TITLE: 'y' } });
      await sb.portal.waitForDeliveries();
      assert.equal(rx.received.length, 0);
      assert.equal(sb.portal.deliveries[0].outcome, 'dropped');
    } finally {
      await rx.close();
    }
  });

  it('lostResponsePct=100: a write is committed and its connection destroyed; reads are unaffected', async () => {
    sb.faults.set({ lostResponsePct: 100 });
    const before = sb.portal.state.deals.length;
    await assert.rejects(call(sb, 'crm.deal.add', { fields: { TITLE: 'потерянный ответ', ORIGIN_ID: 'idem-1', ORIGINATOR_ID: 'test' } }));
    assert.equal(sb.portal.state.deals.length, before + 1, 'the deal exists');
    const entry = sb.callLog.calls('crm.deal.add').at(-1)!;
    assert.equal(entry.lostResponse, true);
    assert.equal((await call(sb, 'crm.deal.list', { filter: { ORIGIN_ID: 'idem-1' }, select: ['ID'] })).body.total, 1, 'a retry can find it by ORIGIN_ID');
  });

  it('PUT /_sandbox/faults sets them over HTTP; DELETE resets; bad values are refused', async () => {
    const put = await admin(sb, 'PUT', 'faults', { errorRate: 0.5, dropEventsPct: 10, outageSeconds: 30, outageStatus: 500 });
    assert.equal(put.status, 200);
    assert.equal(put.body.errorRate, 0.5);
    assert.ok(sb.faults.inOutage());
    assert.equal((await admin(sb, 'PUT', 'faults', { errorRate: 2 })).status, 400);
    const del = await admin(sb, 'DELETE', 'faults');
    assert.equal(del.body.errorRate, 0);
    assert.equal(del.body.outageUntil, null);
  });

  it('draws are seeded: the same faultSeed gives the same sequence', async () => {
    const run = async (seed: number) => {
      const s = await sandbox({ seed: 'empty', faultSeed: seed });
      try {
        s.faults.set({ errorRate: 0.5 });
        const out: number[] = [];
        for (let i = 0; i < 12; i++) out.push((await call(s, 'server.time')).status);
        return out;
      } finally {
        await s.close();
      }
    };
    const a = await run(7);
    assert.deepEqual(await run(7), a);
    assert.ok(a.includes(200) && a.includes(500));
  });
});
