import assert from 'node:assert/strict';
import { createMemoryLogger } from '../../src/shared/log';
import { retryInBackground } from '../../src/shared/retry';

describe('retryInBackground (src/shared/retry.ts)', () => {
  it('retries a failing step with a doubling delay, logging each failure, until it succeeds', async () => {
    const log = createMemoryLogger();
    let calls = 0;
    const retry = retryInBackground(
      'ensuring the schedules',
      async () => {
        calls++;
        if (calls < 3) throw new Error(`Failed to describe schedule (${calls})`);
        return 'created';
      },
      log,
      { firstDelayMs: 5, maxDelayMs: 8 },
    );
    assert.equal(await retry.done, 'created');
    assert.equal(calls, 3);
    const warnings = log.lines.map((l) => JSON.parse(l));
    assert.deepEqual(
      warnings.map((w) => [w.level, w.msg, w.attempt, w.retryInMs, w.error.message]),
      [
        ['warn', 'ensuring the schedules failed; retrying', 1, 5, 'Failed to describe schedule (1)'],
        ['warn', 'ensuring the schedules failed; retrying', 2, 8, 'Failed to describe schedule (2)'],
      ],
    );
  });

  it('stop() ends the waiting at once: done gives undefined and the step is not called again', async () => {
    const log = createMemoryLogger();
    let calls = 0;
    const retry = retryInBackground(
      'ensuring the schedules',
      async () => {
        calls++;
        throw new Error('unavailable');
      },
      log,
      { firstDelayMs: 60_000 },
    );
    await new Promise((r) => setImmediate(r));
    retry.stop();
    assert.equal(await retry.done, undefined);
    assert.equal(calls, 1);
  });

  it('a step that succeeds at once logs nothing', async () => {
    const log = createMemoryLogger();
    assert.deepEqual(await retryInBackground('x', async () => ({ ok: true }), log).done, { ok: true });
    assert.deepEqual(log.lines, []);
  });
});
