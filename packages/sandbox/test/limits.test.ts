/**
 * REST limits (limits.md): the leaky bucket refuses requests over the burst with HTTP 503
 * QUERY_LIMIT_EXCEEDED (batch = one request); the per-method operating budget answers 429
 * OPERATION_TIME_LIMIT once the summed execution time exceeds it, and successful answers carry
 * time.operating and time.operating_reset_at. No timing asserts: a tiny burst and a drain so slow
 * it never refills during the test.
 */
import assert from 'node:assert/strict';
import { PRESETS, startSandbox, type SandboxHandle } from '../src';
import { call, sandbox } from './helpers';

describe('sandbox: limits', () => {
  describe('leaky bucket', () => {
    let sb: SandboxHandle;
    before(async () => {
      sb = await sandbox({ seed: 'empty', limits: { enabled: true, burst: 3, drainPerSecond: 0.0001 } });
    });
    after(async () => {
      await sb.close();
    });

    it('refuses the request after the burst with 503 QUERY_LIMIT_EXCEEDED (limits.md "Request Rate Limits")', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(sb, 'server.time')).status);
      assert.deepEqual(statuses, [200, 200, 200, 503, 503]);
      const refused = await call(sb, 'server.time');
      assert.deepEqual(refused.body, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    });

    it('batch counts as one request whatever it carries (limits.md)', async () => {
      sb.setLimits({ burst: 2 });
      await (await fetch(sb.adminUrl + 'limits', { method: 'DELETE', headers: { 'x-sandbox-token': sb.adminToken } })).text();
      const cmd = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`t${i}`, 'server.time']));
      assert.equal((await call(sb, 'batch', { cmd })).status, 200);
      assert.equal((await call(sb, 'batch', { cmd })).status, 200);
      assert.equal((await call(sb, 'batch', { cmd })).status, 503);
    });

    it('presets: standard 2/s burst 50, enterprise 5/s burst 250 (limits.md table)', async () => {
      assert.deepEqual(PRESETS.standard, { drainPerSecond: 2, burst: 50 });
      assert.deepEqual(PRESETS.enterprise, { drainPerSecond: 5, burst: 250 });
      const e = await sandbox({ seed: 'empty', limits: { enabled: true, preset: 'enterprise' } });
      try {
        assert.equal(e.limits.burst, 250);
        assert.equal(e.limits.drainPerSecond, 5);
      } finally {
        await e.close();
      }
    });

    it('is on by default (standard preset)', async () => {
      const d = await startSandbox({ protocol: 'http', seed: 'empty' });
      try {
        assert.equal(d.limits.enabled, true);
        assert.equal(d.limits.burst, 50);
        const t0 = Date.now();
        const results = await Promise.all(Array.from({ length: 60 }, () => call(d, 'server.time')));
        const refused = results.filter((r) => r.status === 503).length;
        // 10 over the burst; the bucket drains 2/s meanwhile, so a box slow to serve the 60 sees
        // fewer refused (never none: they are all sent at once).
        const drained = Math.ceil(((Date.now() - t0) / 1000) * 2);
        const least = Math.max(1, Math.min(3, 9 - drained));
        assert.ok(refused >= least && refused <= 10, `about 10 of 60 refused, got ${refused} (at least ${least} after ${Date.now() - t0} ms)`);
      } finally {
        await d.close();
      }
    });
  });

  describe('operating time', () => {
    let sb: SandboxHandle;
    before(async () => {
      sb = await sandbox({ limits: { enabled: true, burst: 1000, operatingBudgetSeconds: 1, operatingCostSeconds: 0.4 } });
    });
    after(async () => {
      await sb.close();
    });

    it('reports operating and operating_reset_at, then blocks the method with 429 OPERATION_TIME_LIMIT (limits.md "Resource Intensity Limits")', async () => {
      const before = Math.floor(Date.now() / 1000);
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await call(sb, 'crm.deal.get', { id: 101 }));
      assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 429]);
      const t = answers[2].body.time;
      assert.ok(Math.abs(t.operating - 1.2) < 1e-9, `operating ${t.operating}`);
      assert.ok(t.operating_reset_at >= before + 590 && t.operating_reset_at <= before + 610, 'the oldest basket drops out 10 minutes after it started');
      assert.deepEqual(answers[3].body, { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' });
      // Other methods keep working: the budget is per method.
      assert.equal((await call(sb, 'crm.deal.list', { select: ['ID'] })).status, 200);
    });

    it('sub-calls of batch count against their own methods and fail per command', async () => {
      const r = (await call(sb, 'batch', { cmd: { a: 'crm.deal.get?id=101', b: 'crm.lead.get?id=501' } })).body.result;
      assert.equal(r.result_error.a.error, 'OPERATION_TIME_LIMIT');
      assert.equal(r.result.b.ID, '501');
    });
  });
});
