/**
 * The product's core promise: a reactivation that sleeps does not stall silently. Here the
 * worker process is SIGKILLed and the dev server is SIGKILLed and restarted on the same SQLite
 * file while a lost-deal workflow sleeps until its return date (an hour away, so the crash is
 * certainly mid-sleep). After both come back a manager moves the date to "in 2 seconds" (the
 * setReturnDate update); the workflow wakes, creates the reactivation exactly once, and completes
 * once. No assertion depends on how fast this machine is.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { lostWorkflowId, TASK_QUEUE } from '../src/shared/names';
import type { lostDealReactivation } from '../src/workflows/lost-deal';
import { lostDealStatusQuery, setReturnDateUpdate, type LostDealInput } from '../src/workflows/lost-deal.messages';
import { runTs, type TsProcess } from './support/processes';
import { startDevServer, workflowBundle, type DevServer } from './support/temporal';

const WORKER = 'test/support/fixtures/stub-lost-deal-worker.ts';
const RETURN_AFTER_MS = 3_600_000;

interface Call {
  name: string;
  pid: number;
}

describe('durability: worker and dev server crash while a reactivation sleeps', function () {
  this.timeout(600_000);

  let dir: string;
  let server: DevServer | undefined;
  let bundlePath: string;
  const workers: TsProcess[] = [];
  const connections: Connection[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-durability-'));
    bundlePath = path.join(dir, 'workflows.js');
    fs.writeFileSync(bundlePath, (await workflowBundle()).code);
    server = await startDevServer({ dbFile: path.join(dir, 'temporal.db'), ports: { uiPort: null } });
  });

  after(async () => {
    for (const w of workers) await w.kill();
    for (const c of connections) await c.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const callsFile = () => path.join(dir, 'calls.jsonl');
  const calls = (): Call[] =>
    fs.existsSync(callsFile())
      ? fs.readFileSync(callsFile(), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call)
      : [];

  async function startWorker(): Promise<TsProcess> {
    const w = runTs(WORKER, {
      env: {
        TEMPORAL_ADDRESS: server!.address,
        WORKFLOW_BUNDLE: bundlePath,
        CALLS_FILE: callsFile(),
        RETURN_AFTER_MS: String(RETURN_AFTER_MS),
      },
    });
    workers.push(w);
    await w.waitFor(/WORKER_READY/, 180_000);
    return w;
  }

  async function connect(): Promise<Client> {
    const connection = await Connection.connect({ address: server!.address });
    connections.push(connection);
    return new Client({ connection });
  }

  it('completes exactly once after both come back', async () => {
    const workerA = await startWorker();
    let client = await connect();
    const workflowId = lostWorkflowId('deal', 101);
    const input: LostDealInput = {
      entity: 'deal',
      id: 101,
      attempt: 1,
      lostElementId: 101,
      trigger: 'api',
      history: [],
    };
    const handle = await client.workflow.start<typeof lostDealReactivation>('lostDealReactivation', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
    });

    // Wait until it sleeps towards its return date. (A query rides on the first workflow task and
    // fails if the worker, cold on a busy box, does not answer it within the call's deadline: a
    // failed query is asked again, like a status that is not "waiting" yet.)
    let returnAt = '';
    for (let i = 0; ; i++) {
      const status = await handle.query(lostDealStatusQuery).catch((error: Error) => ({ phase: `query failed: ${error.message}`, returnAt: undefined }));
      if (status.phase === 'waiting') {
        returnAt = status.returnAt!;
        break;
      }
      assert.ok(i < 600, `workflow never reached "waiting": ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // Crash both while it sleeps.
    await workerA.kill('SIGKILL');
    await server!.kill('SIGKILL');
    assert.ok(Date.now() < Date.parse(returnAt), 'the crash happens before the return date');
    assert.deepEqual(
      calls().filter((c) => c.name === 'createReactivation'),
      [],
      'nothing was created before the return date',
    );

    // Both come back: the same db file, a new worker process.
    await server!.restart();
    const workerB = await startWorker();
    client = await connect();
    const after = client.workflow.getHandle<typeof lostDealReactivation>(workflowId);
    // The new worker replays the history up to the sleep; a manager brings the date forward.
    const moved = await after.executeUpdate(setReturnDateUpdate, {
      args: [{ returnAt: new Date(Date.now() + 2_000).toISOString(), by: 'test' }],
    });
    assert.ok(Date.parse(moved.returnAt) < Date.parse(returnAt));
    const result = await after.result();

    assert.equal(result.outcome, 'won');
    assert.equal(result.attempts.length, 1);
    const all = calls();
    const created = all.filter((c) => c.name === 'createReactivation');
    assert.equal(created.length, 1, `createReactivation ran ${created.length} times: ${JSON.stringify(all)}`);
    assert.equal(created[0].pid, workerB.pid, 'the new worker process created it');
    const plans = all.filter((c) => c.name === 'planLostReactivation');
    assert.deepEqual(
      plans.map((c) => c.pid),
      [workerA.pid, workerB.pid],
      'planned once before the crash (then replayed from history, not re-run) and once for the new date',
    );

    // One execution of this workflow id, completed; its history schedules the creation once.
    // (Visibility is updated asynchronously: poll until it shows the completion.)
    let runs: { status: { name: string } }[] = [];
    for (let i = 0; i < 600; i++) {
      runs = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf);
      if (runs.length === 1 && runs[0].status.name === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(runs.map((r) => r.status.name), ['COMPLETED']);
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createReactivation',
    );
    assert.equal(scheduled.length, 1);
  });
});
