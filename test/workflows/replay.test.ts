/**
 * Replay of recorded histories: a change to a workflow that would break executions already
 * running in production (non-determinism) fails here. Histories live in test/fixtures/histories;
 * `RECORD_HISTORIES=1 npm test` re-records them from the time-skipping tests after a deliberate,
 * versioned change (use patched() for changes that must keep old executions replaying).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { workflowBundle } from '../support/temporal';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

export async function recordHistory(name: string, history: temporal.api.history.v1.IHistory): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, `${name}.binpb`), temporal.api.history.v1.History.encode(history).finish());
}

describe('workflow replay (recorded histories)', function () {
  this.timeout(120_000);
  const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => f.endsWith('.binpb')) : [];

  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 2, `expected recorded histories in ${DIR}`);
  });

  for (const file of files) {
    it(`replays ${file} with the current workflow code`, async () => {
      const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(DIR, file)));
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file.replace(/\.binpb$/, ''));
    });
  }
});
