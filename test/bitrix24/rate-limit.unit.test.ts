import assert from 'node:assert/strict';
import { PRESETS, createRateLimiter, sharedRateLimiter, usableBurst } from '../../src/bitrix24';
import { fakeClock } from './support';

describe('bitrix24 client-side leaky bucket', () => {
  it('standard: a burst of 45 (50 minus 10% headroom) at once, then 1/drain apart (500 ms)', () => {
    const clock = fakeClock();
    const bucket = createRateLimiter('standard', clock.now);
    const waits = Array.from({ length: 48 }, () => bucket.reserve());
    assert.deepEqual(waits.slice(0, 45), new Array(45).fill(0));
    assert.deepEqual(waits.slice(45), [500, 1000, 1500]);
  });

  it('headroom is configurable (0 = use the whole burst) and at least 1 by default', () => {
    assert.equal(usableBurst({ burst: 50, drainPerSecond: 2 }), 45);
    assert.equal(usableBurst({ burst: 250, drainPerSecond: 5 }), 225);
    assert.equal(usableBurst({ burst: 5, drainPerSecond: 2 }), 4);
    const clock = fakeClock();
    const exact = createRateLimiter({ burst: 50, drainPerSecond: 2, headroom: 0 }, clock.now);
    const waits = Array.from({ length: 51 }, () => exact.reserve());
    assert.equal(waits[49], 0);
    assert.equal(waits[50], 500);
  });

  it('never lets the counter exceed the burst at send time', () => {
    const clock = fakeClock();
    const bucket = createRateLimiter({ burst: 10, drainPerSecond: 2 }, clock.now);
    // Simulate the portal: its counter drains at the same rate; a request sent at time t adds 1.
    const sendTimes: number[] = [];
    for (let i = 0; i < 40; i++) {
      if (i % 7 === 0) clock.advance(300); // irregular arrivals
      sendTimes.push(clock.now() + bucket.reserve());
    }
    sendTimes.sort((a, b) => a - b);
    let portal = 0;
    let last = sendTimes[0]!;
    for (const t of sendTimes) {
      portal = Math.max(0, portal - ((t - last) / 1000) * 2);
      last = t;
      portal += 1;
      assert.ok(portal <= 10 + 1e-9, `portal counter ${portal} exceeded the burst`);
    }
  });

  it('drains over time: after 5 s of silence 10 more requests pass at once (2/s)', () => {
    const clock = fakeClock();
    const bucket = createRateLimiter('standard', clock.now);
    for (let i = 0; i < 45; i++) bucket.reserve();
    assert.equal(bucket.peek(), 500);
    clock.advance(5000);
    assert.equal(bucket.level(), 35);
    const waits = Array.from({ length: 11 }, () => bucket.reserve());
    assert.deepEqual(waits.slice(0, 10), new Array(10).fill(0));
    assert.equal(waits[10], 500);
  });

  it('enterprise preset: burst 250, 5 per second (200 ms spacing)', () => {
    assert.deepEqual(PRESETS.enterprise, { burst: 250, drainPerSecond: 5 });
    const clock = fakeClock();
    const bucket = createRateLimiter('enterprise', clock.now);
    const waits = Array.from({ length: 227 }, () => bucket.reserve());
    assert.equal(waits[224], 0);
    assert.deepEqual(waits.slice(225), [200, 400]);
  });

  it('markFull aligns with a portal that said 503 (another process used the budget)', () => {
    const clock = fakeClock();
    const bucket = createRateLimiter('standard', clock.now);
    assert.equal(bucket.peek(), 0);
    bucket.markFull();
    assert.equal(bucket.peek(), 500);
  });

  it("'off' never waits", () => {
    const bucket = createRateLimiter('off', fakeClock().now);
    for (let i = 0; i < 1000; i++) assert.equal(bucket.reserve(), 0);
  });

  it('remembers operating_reset_at per method (unix seconds → ms)', () => {
    const bucket = createRateLimiter('standard', fakeClock().now);
    bucket.noteOperatingReset('crm.deal.list', 1_700_000_000);
    assert.equal(bucket.operatingResetAt('crm.deal.list'), 1_700_000_000_000);
    assert.equal(bucket.operatingResetAt('crm.deal.get'), undefined);
  });

  it('one shared bucket per portal origin in the process', () => {
    const a = sharedRateLimiter('https://one.bitrix24.test', 'standard');
    const b = sharedRateLimiter('https://ONE.bitrix24.test', 'standard');
    const c = sharedRateLimiter('https://two.bitrix24.test', 'standard');
    assert.equal(a, b);
    assert.notEqual(a, c);
    sharedRateLimiter('https://one.bitrix24.test', 'enterprise');
    assert.deepEqual(a.config, PRESETS.enterprise);
  });

  it('rejects a nonsense configuration', () => {
    assert.throws(() => createRateLimiter({ burst: 0, drainPerSecond: 2 }), RangeError);
    assert.throws(() => createRateLimiter({ burst: 5, drainPerSecond: 0 }), RangeError);
    assert.throws(() => createRateLimiter({ burst: 5, drainPerSecond: 1, headroom: -1 }), RangeError);
  });
});
