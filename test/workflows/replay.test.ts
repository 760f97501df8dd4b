/**
 * Replay of recorded histories: a change to a workflow that would break executions already
 * running in production (non-determinism) fails here. Histories (binary protobuf) live in
 * test/fixtures/histories; `RECORD_HISTORIES=1 npm test` re-records them from the time-skipping
 * tests after a deliberate change (use patched() for changes old executions must survive).
 */
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { recordedHistories } from '../support/histories';
import { workflowBundle } from '../support/temporal';

describe('workflow replay (recorded histories)', function () {
  this.timeout(120_000);
  const histories = recordedHistories();

  it('has recorded histories of every long-running workflow', () => {
    const names = histories.map((h) => h.name);
    for (const prefix of ['lost-deal', 'client', 'expiry']) assert.ok(names.some((n) => n.startsWith(prefix)), `no ${prefix} history in ${names.join(', ')}`);
  });

  for (const { name, history } of histories) {
    it(`replays ${name} with the current workflow code`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, name);
    });
  }
});
