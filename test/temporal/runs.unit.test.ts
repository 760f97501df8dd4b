/**
 * The listing of failed and stuck runs (src/temporal/runs.ts), the `npm run runs` command line
 * and the manager API route over a fake Temporal client. The real-server test
 * (test/e2e/failures.e2e.test.ts) runs them against the dev server.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { createApp } from '../../src/api/app';
import { runsQuerySchema } from '../../src/api/schemas';
import { formatRestarts, formatRows, main, runsCommand, runsFlags } from '../../src/cli/runs';
import { parseCommandLine, parseFlags, readFlags, UsageError } from '../../src/cli/args';
import { createMemoryLogger } from '../../src/shared/log';
import { listRuns, restartFailedRuns } from '../../src/temporal/runs';

type Info = { workflowId: string; runId: string; type: string; status: string; closeTime?: Date; memo?: Record<string, unknown> };

/** Visibility as a list of runs (newest first), describe() = the latest run of an id. */
function fakeTemporal(runs: Info[], opts: { failureOf?: (runId: string) => Error } = {}) {
  const queries: string[] = [];
  const temporal = {
    workflow: {
      async *list({ query }: { query: string }) {
        queries.push(query);
        const wanted = /ExecutionStatus = 'Failed'/.test(query) ? ['FAILED', 'TIMED_OUT', 'TERMINATED'] : /Completed/.test(query) ? ['COMPLETED'] : ['RUNNING'];
        for (const r of runs) {
          if (wanted.includes(r.status)) yield { ...r, status: { name: r.status }, startTime: new Date('2026-03-01T10:00:00Z'), typedSearchAttributes: { get: () => undefined } };
        }
      },
      getHandle: (workflowId: string, runId?: string) => ({
        async describe() {
          const latest = runs.find((r) => r.workflowId === workflowId)!;
          return { ...latest, status: { name: latest.status }, raw: {} };
        },
        async result() {
          throw new WorkflowFailedError('Workflow execution failed', opts.failureOf?.(runId!), RetryState.NON_RETRYABLE_FAILURE);
        },
      }),
    },
  } as unknown as Client;
  return { temporal, queries };
}

const failure = { type: 'PortalMismatch', reason: 'lost deal 5 (attempt 1): step createReactivation failed for good — the target stage C1:X is missing', at: '2026-03-01T10:00:05Z' };

describe('runs: failed runs from visibility', () => {
  it('lists the latest failed run of each product workflow with its recorded reason; a run restarted since is not failed', async () => {
    const { temporal, queries } = fakeTemporal([
      { workflowId: 'reactivation-deal-5', runId: 'r5', type: 'lostDealReactivation', status: 'FAILED', closeTime: new Date('2026-03-01T10:00:05Z'), memo: { lossKey: 'LOSE@x', failure } },
      // restarted since: its latest run runs
      { workflowId: 'reactivation-deal-6', runId: 'r6b', type: 'lostDealReactivation', status: 'RUNNING' },
      { workflowId: 'reactivation-deal-6', runId: 'r6', type: 'lostDealReactivation', status: 'FAILED', closeTime: new Date('2026-03-01T09:00:00Z') },
    ]);
    const rows = await listRuns(temporal, { status: 'failed', limit: 10, attempts: 5, overdueMs: 1 });
    assert.deepEqual(rows, [
      {
        workflowId: 'reactivation-deal-5',
        runId: 'r5',
        type: 'lostDealReactivation',
        scenario: 'lost-deal',
        element: 'deal 5',
        state: 'failed',
        at: '2026-03-01T10:00:05.000Z',
        reason: failure.reason,
        failureType: 'PortalMismatch',
      },
    ]);
    assert.match(queries[0]!, /WorkflowType = 'lostDealReactivation' OR .*WorkflowType = 'crmEvents'.*\) AND \(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut' OR ExecutionStatus = 'Terminated'\)/);
  });

  it('without a recorded reason, the close event says why (with its causes)', async () => {
    const cause = ApplicationFailure.create({ type: 'Bitrix24FinalError', message: 'crm.deal.get failed: INVALID_CREDENTIALS' });
    const { temporal } = fakeTemporal([{ workflowId: 'client-company-9', runId: 'c9', type: 'clientReactivation', status: 'TERMINATED', closeTime: new Date('2026-03-02T00:00:00Z') }], {
      failureOf: () => Object.assign(new Error('Activity task failed'), { cause }),
    });
    const [row] = await listRuns(temporal, { status: 'failed', limit: 10, attempts: 5, overdueMs: 1 });
    assert.equal(row!.state, 'terminated');
    assert.equal(row!.element, 'company 9');
    assert.equal(row!.reason, 'Activity task failed: crm.deal.get failed: INVALID_CREDENTIALS');
    assert.equal(row!.failureType, 'Bitrix24FinalError');
  });

  it('restart: a dry run restarts nothing; Schedule runs are left to their Schedule', async () => {
    const { temporal } = fakeTemporal([
      { workflowId: 'reactivation-deal-5', runId: 'r5', type: 'lostDealReactivation', status: 'FAILED', memo: { failure } },
      { workflowId: 'reconcile-2026', runId: 'x', type: 'reconcile', status: 'FAILED' },
    ]);
    const report = await restartFailedRuns(temporal, 'q', { dryRun: true, limit: 10 });
    assert.deepEqual(
      report.actions.map((a) => [a.workflowId, a.outcome]),
      [
        ['reactivation-deal-5', 'would restart'],
        ['reconcile-2026', 'left'],
      ],
    );
    assert.match(formatRestarts(report), /would restart {2}reactivation-deal-5 {2}deal 5: lost deal 5 [^\n]*\nleft {2}reconcile-2026 {2}-: its Schedule runs it again\ndry run: nothing was restarted\n$/);
  });
});

describe('npm run runs: the command line', () => {
  const flags = (...argv: string[]) => parseFlags(runsFlags, readFlags(argv, { ...runsCommand.flags }));
  const problem = (...argv: string[]) => {
    try {
      flags(...argv);
    } catch (error) {
      assert.ok(error instanceof UsageError);
      return error.message;
    }
    assert.fail(`accepted ${argv.join(' ')}`);
  };

  it('reads --failed, --stuck, --restart-failed --dry-run and the numbers (npm passes a leading --)', () => {
    assert.deepEqual(flags('--', '--failed'), { failed: true, stuck: false, 'restart-failed': false, 'dry-run': false, json: false, limit: 100, attempts: 5, overdue: 1_800_000 });
    const stuck = flags('--stuck', '--attempts', '3', '--overdue', '2 hours', '--limit=20', '--json');
    assert.deepEqual([stuck.attempts, stuck.overdue, stuck.limit, stuck.json], [3, 7_200_000, 20, true]);
    assert.equal(flags('--restart-failed', '--dry-run')['dry-run'], true);
  });

  it('names the flag in every problem', () => {
    assert.match(problem(), /^--failed: say what to show/);
    assert.match(problem('--dry-run', '--failed'), /^--dry-run: only with --restart-failed/);
    assert.match(problem('--restart-failed', '--failed'), /^--restart-failed: cannot be combined/);
    assert.match(problem('--failed', '--limit', '0'), /^--limit: expected a number of runs from 1 to 1000/);
    assert.match(problem('--stuck', '--overdue', 'soon'), /^--overdue: expected a duration/);
    assert.match(problem('--faild'), /unknown option --faild/);
  });

  it('--help exits 0, bad arguments exit 2 (before any connection)', async () => {
    assert.throws(() => parseCommandLine(runsCommand, ['--help']), { name: 'HelpRequested' });
    const write = process.stderr.write.bind(process.stderr);
    const out = process.stdout.write.bind(process.stdout);
    let text = '';
    process.stderr.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stderr.write;
    process.stdout.write = ((chunk: string) => ((text += chunk), true)) as typeof process.stdout.write;
    try {
      assert.equal(await main(['--bogus'], {}), 2);
      assert.equal(await main(['--help'], {}), 0);
    } finally {
      process.stderr.write = write;
      process.stdout.write = out;
    }
    assert.match(text, /unknown option --bogus[\s\S]*usage: npm run runs -- --failed/);
  });

  it('prints one block per run: the line to find it by, then the reason', () => {
    const text = formatRows({
      title: 'failed',
      rows: [{ workflowId: 'reactivation-deal-5', runId: 'r', type: 'lostDealReactivation', scenario: 'lost-deal', element: 'deal 5', state: 'failed', at: '2026-03-01T10:00:05.000Z', reason: failure.reason, failureType: 'PortalMismatch' }],
    });
    assert.equal(text, `1 failed run(s):\n\nFAILED  lost-deal  deal 5  reactivation-deal-5  2026-03-01T10:00:05.000Z  PortalMismatch\n  ${failure.reason}\n`);
    assert.equal(formatRows({ title: 'stuck', rows: [] }), 'no stuck runs\n');
  });
});

describe('GET /api/runs', () => {
  it('validates its query', () => {
    assert.deepEqual(runsQuerySchema.parse({}), { status: 'failed', limit: 100, attempts: 5, overdueMinutes: 30 });
    assert.deepEqual(runsQuerySchema.parse({ status: 'stuck', limit: '5', attempts: '3', overdueMinutes: '' }), { status: 'stuck', limit: 5, attempts: 3, overdueMinutes: 30 });
    for (const bad of [{ status: 'broken' }, { limit: '0' }, { limit: 'many' }, { attempts: '1' }, { other: '1' }]) assert.equal(runsQuerySchema.safeParse(bad).success, false, JSON.stringify(bad));
  });

  it('answers the failed runs as JSON to the bearer of API_TOKEN; 401 without it, 400 on a bad query', async () => {
    const { temporal } = fakeTemporal([{ workflowId: 'reactivation-deal-5', runId: 'r5', type: 'lostDealReactivation', status: 'FAILED', closeTime: new Date('2026-03-01T10:00:05Z'), memo: { failure } }]);
    const { app } = createApp({ temporal, appToken: 'app-token-0123456789', apiToken: 'api-token-0123456789', log: createMemoryLogger() });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/runs`;
    const auth = { authorization: 'Bearer api-token-0123456789' };
    try {
      assert.equal((await fetch(`${base}?status=failed`)).status, 401);
      const bad = await fetch(`${base}?status=broken`, { headers: auth });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { issues: { path: string }[] }).issues[0]!.path, 'status');
      const ok = await fetch(`${base}?status=failed`, { headers: auth });
      assert.equal(ok.status, 200);
      const body = (await ok.json()) as { status: string; count: number; runs: { workflowId: string; reason: string }[] };
      assert.equal(body.status, 'failed');
      assert.equal(body.count, 1);
      assert.equal(body.runs[0]!.reason, failure.reason);
    } finally {
      server.close();
    }
  });
});
