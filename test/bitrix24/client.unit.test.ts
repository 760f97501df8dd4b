import assert from 'node:assert/strict';
import { Bitrix24Error, createBitrix24Client, createRateLimiter, isReadOnlyCall, type Bitrix24Client } from '../../src/bitrix24';
import { createMemoryLogger } from '../../src/shared/log';
import { fail, fakeClock, ok, scriptedTransport, type FakeClock, type Handler } from './support';

function setup(handler: Handler, opts: { preset?: 'standard' | 'off'; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? fakeClock();
  const transport = scriptedTransport(handler);
  const logger = createMemoryLogger('debug');
  const client: Bitrix24Client = createBitrix24Client({
    webhookUrl: 'https://fake.bitrix24.test/rest/1/x/',
    transport,
    clock,
    preset: opts.preset ?? 'off',
    logger,
  });
  return { client, transport, clock, logger };
}

async function rejects(p: Promise<unknown>): Promise<Bitrix24Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Bitrix24Error, `expected Bitrix24Error, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('bitrix24 client (scripted transport, fake clock)', () => {
  describe('call / callEnvelope', () => {
    it('returns the result; the envelope carries total, next and time', async () => {
      const { client } = setup(() => ok([{ ID: '1' }], { total: 75, next: 50, time: { operating: 0.1 } }));
      assert.deepEqual(await client.call('crm.deal.list'), [{ ID: '1' }]);
      assert.deepEqual(await client.callEnvelope('crm.deal.list'), { result: [{ ID: '1' }], total: 75, next: 50, time: { operating: 0.1 } });
    });
  });

  describe('retry policy', () => {
    it('503 QUERY_LIMIT_EXCEEDED: backs off, retries (even a write: nothing ran), then succeeds', async () => {
      const { client, transport, clock } = setup((_m, _p, n) => (n <= 2 ? fail('QUERY_LIMIT_EXCEEDED', 503, 'crm.deal.add') : ok(42)));
      assert.equal(await client.call('crm.deal.add', { fields: {} }), 42);
      assert.equal(transport.sent.length, 3);
      assert.equal(clock.sleeps.length, 2);
      assert.ok(clock.sleeps[1]! > clock.sleeps[0]!, 'backoff grows');
    });

    it('503 QUERY_LIMIT_EXCEEDED forever: gives up as retryable with retryAfterMs', async () => {
      const { client, transport } = setup(() => fail('QUERY_LIMIT_EXCEEDED', 503, 'crm.deal.list'));
      const e = await rejects(client.call('crm.deal.list'));
      assert.equal(e.kind, 'retryable');
      assert.equal(e.code, 'QUERY_LIMIT_EXCEEDED');
      assert.ok(e.retryAfterMs !== undefined && e.retryAfterMs > 0);
      assert.equal(transport.sent.length, 6);
    });

    it('503 fills the shared bucket so that the next request waits', async () => {
      const clock = fakeClock();
      const limiter = createRateLimiter('standard', clock.now);
      const transport = scriptedTransport((_m, _p, n) => (n === 1 ? fail('QUERY_LIMIT_EXCEEDED', 503) : ok(true)));
      const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock, limiter });
      await client.call('crm.deal.get', { id: 1 });
      assert.ok(limiter.level() >= 44, `bucket level ${limiter.level()}`);
    });

    it('429 OPERATION_TIME_LIMIT with a long reset: no in-process sleep, retryable with retryAfterMs', async () => {
      const { client, transport, clock } = setup(() =>
        new Bitrix24Error({ code: 'OPERATION_TIME_LIMIT', description: 'blocked', httpStatus: 429, method: 'crm.deal.list', retryAfterMs: 120_000 }),
      );
      const e = await rejects(client.call('crm.deal.list'));
      assert.equal(e.kind, 'retryable');
      assert.equal(e.code, 'OPERATION_TIME_LIMIT');
      assert.ok(e.retryAfterMs! >= 120_000 && e.retryAfterMs! <= 122_000, String(e.retryAfterMs));
      assert.equal(transport.sent.length, 1);
      assert.deepEqual(clock.sleeps, []);
    });

    it('429 without timing: uses the operating_reset_at seen on an earlier answer of that method', async () => {
      const clock = fakeClock();
      const resetAt = Math.floor(clock.now() / 1000) + 300;
      const { client } = setup(
        (_m, _p, n) => (n === 1 ? ok([], { time: { operating: 470, operating_reset_at: resetAt } }) : fail('OPERATION_TIME_LIMIT', 429, 'crm.deal.list')),
        { clock },
      );
      await client.call('crm.deal.list');
      const e = await rejects(client.call('crm.deal.list'));
      assert.ok(e.retryAfterMs! >= 300_000 && e.retryAfterMs! <= 302_000, String(e.retryAfterMs));
    });

    it('429 with a short reset: waits in-process and retries', async () => {
      const { client, transport, clock } = setup((_m, _p, n) =>
        n === 1 ? new Bitrix24Error({ code: 'OPERATION_TIME_LIMIT', description: '', httpStatus: 429, method: 'crm.deal.get', retryAfterMs: 1500 }) : ok({ ID: '1' }),
      );
      assert.deepEqual(await client.call('crm.deal.get', { id: 1 }), { ID: '1' });
      assert.equal(transport.sent.length, 2);
      assert.equal(clock.sleeps.length, 1);
      assert.ok(clock.sleeps[0]! >= 1500);
    });

    it('a read that meets a 500 is retried with backoff, then succeeds', async () => {
      const { client, transport } = setup((_m, _p, n) => (n === 1 ? fail('INTERNAL_SERVER_ERROR', 500) : ok({ ID: '9' })));
      assert.deepEqual(await client.call('crm.deal.get', { id: 9 }), { ID: '9' });
      assert.equal(transport.sent.length, 2);
    });

    it('a read in a long outage: 3 attempts, then retryable', async () => {
      const { client, transport } = setup(() => fail('HTTP_503', 503, 'crm.deal.get', 'Service Unavailable'));
      const e = await rejects(client.call('crm.deal.get', { id: 9 }));
      assert.equal(e.kind, 'retryable');
      assert.equal(transport.sent.length, 3);
    });

    it('a write whose answer was lost (reset) is NOT re-sent: retryable, for the caller’s idempotency', async () => {
      const { client, transport } = setup(() => fail('ECONNRESET', 0, 'crm.deal.add', 'socket hang up'));
      const e = await rejects(client.call('crm.deal.add', { fields: { TITLE: 't' } }));
      assert.equal(e.kind, 'retryable');
      assert.equal(transport.sent.length, 1);
    });

    it('a write that could not connect at all is re-sent (nothing reached the portal)', async () => {
      const { client, transport } = setup((_m, _p, n) => (n === 1 ? fail('ECONNREFUSED', 0, 'crm.deal.add') : ok(5)));
      assert.equal(await client.call('crm.deal.add', { fields: {} }), 5);
      assert.equal(transport.sent.length, 2);
    });

    it('final and not_found errors are never retried', async () => {
      for (const err of [fail('INVALID_CREDENTIALS', 401), fail('HTTP_400', 400, 'crm.deal.get', 'Not found'), fail('ERROR_METHOD_NOT_FOUND', 404)]) {
        const { client, transport } = setup(() => err);
        const e = await rejects(client.call('crm.deal.get', { id: 1 }));
        assert.equal(e, err);
        assert.equal(transport.sent.length, 1);
      }
    });

    it('a batch of reads is retried like a read; a batch with a write is not', async () => {
      const reads = setup((_m, _p, n) => (n === 1 ? fail('HTTP_502', 502, 'batch') : ok({ result: { a: 1 }, result_error: [] })));
      await reads.client.batch({ a: { method: 'crm.deal.get', params: { id: 1 } } });
      assert.equal(reads.transport.sent.length, 2);
      const writes = setup(() => fail('HTTP_502', 502, 'batch'));
      await rejects(writes.client.batch({ a: { method: 'crm.deal.get' }, b: { method: 'crm.deal.update', params: { id: 1, fields: {} } } }));
      assert.equal(writes.transport.sent.length, 1);
    });
  });

  describe('client-side rate limit', () => {
    it('55 quick calls: the first 45 go at once, the rest are spaced 500 ms apart (standard)', async () => {
      const { client, clock } = setup(() => ok(true), { preset: 'standard' });
      const t0 = clock.now();
      for (let i = 0; i < 55; i++) await client.call('crm.deal.get', { id: i });
      assert.equal(clock.sleeps.length, 10);
      assert.ok(clock.sleeps.every((s) => s > 0 && s <= 500));
      assert.equal(clock.now() - t0, 5000);
    });

    it('fails fast as retryable when the queue is longer than maxQueueWaitMs', async () => {
      const clock = fakeClock();
      const limiter = createRateLimiter({ burst: 1, drainPerSecond: 0.01, headroom: 0 }, clock.now);
      const transport = scriptedTransport(() => ok(true));
      const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock, limiter, retry: { maxQueueWaitMs: 1000, maxAttempts: 1 } });
      await client.call('a.b.get');
      const e = await rejects(client.call('a.b.get'));
      assert.equal(e.code, 'CLIENT_RATE_LIMIT_QUEUE');
      assert.equal(e.kind, 'retryable');
      assert.ok(e.retryAfterMs! > 1000);
      assert.equal(transport.sent.length, 1);
    });
  });

  describe('listAll', () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ ID: String(i + 1) }));

    it('pages by `next` (start = 0, 50, 100)', async () => {
      const { client, transport } = setup((_m, p) => {
        const start = Number(p.start);
        const page = rows.slice(start, start + 50);
        return ok(page, { total: rows.length, ...(start + 50 < rows.length ? { next: start + 50 } : {}) });
      });
      const all = await client.listAll<{ ID: string }>('crm.deal.list', { filter: { STAGE_SEMANTIC_ID: 'F' } });
      assert.equal(all.length, 120);
      assert.deepEqual(transport.sent.map((s) => s.params.start), [0, 50, 100]);
      assert.deepEqual(transport.sent[0]!.params.filter, { STAGE_SEMANTIC_ID: 'F' });
    });

    it('respects max (stops fetching)', async () => {
      const { client, transport } = setup((_m, p) => {
        const start = Number(p.start);
        return ok(rows.slice(start, start + 50), { total: 120, next: start + 50 });
      });
      const some = await client.listAll('crm.deal.list', {}, { max: 60 });
      assert.equal(some.length, 60);
      assert.equal(transport.sent.length, 2);
    });

    it('fastById: start -1, order ID ASC, filter >ID = last id; stops on a short page', async () => {
      const { client, transport } = setup((_m, p) => {
        const after = Number((p.filter as Record<string, unknown>)['>ID']);
        return ok(rows.filter((r) => Number(r.ID) > after).slice(0, 50));
      });
      const all = await client.listAll<{ ID: string }>('crm.deal.list', { filter: { CATEGORY_ID: 3 }, order: { DATE_CREATE: 'DESC' } }, { fastById: true });
      assert.equal(all.length, 120);
      assert.deepEqual(
        transport.sent.map((s) => [s.params.start, (s.params.filter as Record<string, unknown>)['>ID'], s.params.order]),
        [
          [-1, 0, { ID: 'ASC' }],
          [-1, 50, { ID: 'ASC' }],
          [-1, 100, { ID: 'ASC' }],
        ],
      );
      assert.equal((transport.sent[0]!.params.filter as Record<string, unknown>).CATEGORY_ID, 3);
    });

    it('reads rows from an object answer (crm.category.list → categories)', async () => {
      const { client } = setup(() => ok({ categories: [{ id: 0 }, { id: 3 }] }, { total: 2 }));
      assert.deepEqual(await client.listAll('crm.category.list', { entityTypeId: 2 }), [{ id: 0 }, { id: 3 }]);
    });
  });

  describe('logging', () => {
    it('logs method, status and timing — never params or the webhook', async () => {
      const { client, logger } = setup((_m, _p, n) => (n === 1 ? fail('QUERY_LIMIT_EXCEEDED', 503, 'crm.deal.add') : ok(1)));
      await client.call('crm.deal.add', { fields: { TITLE: 'Private client name' } });
      const text = logger.lines.join('\n');
      assert.match(text, /bitrix24 call retried/);
      assert.match(text, /crm\.deal\.add/);
      assert.ok(!text.includes('Private client name'));
    });
  });

  describe('isReadOnlyCall', () => {
    it('knows reads from writes', () => {
      for (const m of ['crm.deal.get', 'crm.deal.list', 'crm.deal.fields', 'user.get', 'department.get', 'crm.deal.productrows.get', 'crm.deal.contact.items.get', 'event.get']) {
        assert.equal(isReadOnlyCall(m), true, m);
      }
      for (const m of ['crm.deal.add', 'crm.deal.update', 'crm.deal.productrows.set', 'im.notify.system.add', 'bizproc.workflow.start', 'event.bind', 'tasks.task.add']) {
        assert.equal(isReadOnlyCall(m), false, m);
      }
      assert.equal(isReadOnlyCall('event.offline.get'), false, 'clears by default');
      assert.equal(isReadOnlyCall('event.offline.get', { clear: 0 }), true);
    });
  });
});
