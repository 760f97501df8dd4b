import assert from 'node:assert/strict';
import { chunkCommands, createBitrix24Client, encodeCommands, encodeQuery, type BatchCommand } from '../../src/bitrix24';
import { parseBatchAnswer, emptyBatchResult, referencedKeys } from '../../src/bitrix24/batch';
import { fakeClock, ok, scriptedTransport } from './support';

/** A fake portal `batch`: answers every command with its key, fails commands named "bad*". */
function batchAnswer(params: Record<string, unknown>) {
  const cmd = params.cmd as Record<string, string>;
  const result: Record<string, unknown> = {};
  const result_error: Record<string, unknown> = {};
  const result_total: Record<string, number> = {};
  const result_next: Record<string, number> = {};
  for (const [key, line] of Object.entries(cmd)) {
    if (key.startsWith('bad')) {
      result_error[key] = { error: '', error_description: 'Not found' };
      if (params.halt === 1) break;
      continue;
    }
    result[key] = { key, line };
    if (line.startsWith('crm.deal.list')) {
      result_total[key] = 120;
      result_next[key] = 50;
    }
  }
  return ok({ result, result_error, result_total, result_next, result_time: [] });
}

describe('bitrix24 batch', () => {
  it('encodes params PHP-style, URL-encoded, for the cmd lines', () => {
    assert.equal(
      encodeQuery({ id: 5, filter: { '>ID': 10, '@STAGE_ID': ['C1:LOSE', 'LOSE'] }, select: ['ID', 'UF_*'], flag: true, none: null, skip: undefined }),
      'id=5&filter%5B%3EID%5D=10&filter%5B%40STAGE_ID%5D%5B0%5D=C1%3ALOSE&filter%5B%40STAGE_ID%5D%5B1%5D=LOSE&select%5B0%5D=ID&select%5B1%5D=UF_*&flag=1&none=',
    );
    const [c] = encodeCommands([{ method: 'crm.deal.get', params: { id: 7 } }]);
    assert.deepEqual(c, { key: '0', method: 'crm.deal.get', line: 'crm.deal.get?id=7' });
    assert.equal(encodeCommands({ me: { method: 'user.current' } })[0]!.line, 'user.current');
  });

  it('finds $result references (also URL-encoded)', () => {
    const [c] = encodeCommands([{ method: 'user.get', params: { ID: '$result[deal][ASSIGNED_BY_ID]' } }]);
    assert.deepEqual(referencedKeys(c!.line), ['deal']);
  });

  it('chunks 120 commands into 3 requests of 50, 50, 20 and merges the results', async () => {
    const transport = scriptedTransport((method, params) => {
      assert.equal(method, 'batch');
      return batchAnswer(params);
    });
    const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off' });
    const cmds: BatchCommand[] = Array.from({ length: 120 }, (_, i) => ({ method: 'crm.deal.get', params: { id: i + 1 } }));
    const out = await client.batch(cmds);
    assert.equal(transport.sent.length, 3);
    assert.deepEqual(
      transport.sent.map((s) => Object.keys(s.params.cmd as object).length),
      [50, 50, 20],
    );
    assert.equal(out.requests, 3);
    assert.equal(Object.keys(out.results).length, 120);
    assert.deepEqual(out.results['119'], { key: '119', line: 'crm.deal.get?id=120' });
    assert.deepEqual(out.errors, {});
    assert.equal(client.requestCount, 3);
  });

  it('refuses a $result reference that would cross a chunk boundary', () => {
    const cmds = encodeCommands(
      Array.from({ length: 51 }, (_, i) =>
        i === 50 ? { method: 'user.get', params: { ID: '$result[0][ASSIGNED_BY_ID]' } } : { method: 'crm.deal.get', params: { id: i } },
      ),
    );
    assert.throws(() => chunkCommands(cmds), /references \$result\[0\].*within one batch request only/);
    // within one chunk it is fine
    assert.equal(chunkCommands(cmds.slice(0, 50).concat()).length, 1);
  });

  it('rejects a reference to a later command and duplicate or nested commands', () => {
    assert.throws(() => chunkCommands(encodeCommands({ a: { method: 'user.get', params: { ID: '$result[b][ID]' } }, b: { method: 'crm.deal.get' } })), /references/);
    assert.throws(() => encodeCommands([{ method: 'batch' }]), /nested/);
    assert.throws(() => encodeCommands([{ method: 'crm.deal.get?id=1' }]), /REST method name/);
  });

  it('reports per-command errors classified, totals and nexts', async () => {
    const transport = scriptedTransport((_m, params) => batchAnswer(params));
    const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off' });
    const out = await client.batch({
      list: { method: 'crm.deal.list', params: { filter: {} } },
      badDeal: { method: 'crm.deal.get', params: { id: 999 } },
      good: { method: 'crm.deal.get', params: { id: 1 } },
    });
    assert.equal(out.errors.badDeal?.kind, 'not_found');
    assert.equal(out.errors.badDeal?.method, 'crm.deal.get');
    assert.equal(out.errors.badDeal?.command, 'badDeal');
    assert.deepEqual(out.totals, { list: 120 });
    assert.deepEqual(out.nexts, { list: 50 });
    assert.ok(out.results.good);
  });

  it('a command blocked by OPERATION_TIME_LIMIT gets retryAfterMs from the last operating_reset_at of its method', async () => {
    const clock = fakeClock();
    const resetAt = Math.floor(clock.now() / 1000) + 200;
    const transport = scriptedTransport((_m, _p, n) =>
      n === 1
        ? ok({ result: { a: [] }, result_error: [], result_time: { a: { operating: 470, operating_reset_at: resetAt } } })
        : ok({ result: [], result_error: { a: { error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked' } } }),
    );
    const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock, preset: 'off' });
    await client.batch({ a: { method: 'crm.deal.list' } });
    const out = await client.batch({ a: { method: 'crm.deal.list' } });
    assert.equal(out.errors.a?.kind, 'retryable');
    assert.ok(out.errors.a!.retryAfterMs! >= 200_000 && out.errors.a!.retryAfterMs! <= 202_000, String(out.errors.a?.retryAfterMs));
  });

  it('halt: stops at the first failing command and does not send later chunks', async () => {
    const transport = scriptedTransport((_m, params) => batchAnswer(params));
    const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off' });
    const cmds: Record<string, BatchCommand> = {};
    for (let i = 0; i < 70; i++) cmds[i === 10 ? 'bad10' : `c${i}`] = { method: 'crm.deal.get', params: { id: i } };
    const out = await client.batch(cmds, { halt: true });
    assert.equal(transport.sent.length, 1);
    assert.equal(transport.sent[0]!.params.halt, 1);
    assert.equal(Object.keys(out.results).length, 10);
    assert.ok(out.errors.bad10);
    assert.equal(out.skipped.length, 70 - 11);
  });

  it('allOrThrow: a failed command is thrown, not left in errors; without it the others are still read', async () => {
    const transport = scriptedTransport((_m, params) => batchAnswer(params));
    const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off' });
    const cmds = { open: { method: 'crm.deal.list', params: { filter: {} } }, badWon: { method: 'crm.deal.list', params: { filter: {} } } };
    await assert.rejects(client.batch(cmds, { allOrThrow: true }), (e: Error & { command?: string }) => e.command === 'badWon');
    assert.ok((await client.batch(cmds)).errors.badWon);
    assert.ok((await client.batch({ open: cmds.open }, { allOrThrow: true })).results.open);
  });

  it('an empty batch sends nothing', async () => {
    const transport = scriptedTransport(() => ok(null));
    const client = createBitrix24Client({ webhookUrl: 'https://fake.bitrix24.test/rest/1/x/', transport, clock: fakeClock(), preset: 'off' });
    const out = await client.batch([]);
    assert.equal(transport.sent.length, 0);
    assert.equal(out.requests, 0);
  });

  it('parses the portal shapes for "no results" (PHP empty arrays)', () => {
    const into = emptyBatchResult();
    parseBatchAnswer(
      encodeCommands({ a: { method: 'user.current' } }),
      { result: [], result_error: { a: { error: 'insufficient_scope', error_description: '' } }, result_total: [], result_next: [], result_time: [] },
      200,
      into,
    );
    assert.equal(into.errors.a?.kind, 'final');
    assert.equal(into.errors.a?.code, 'insufficient_scope');
  });
});
