/**
 * The one starter: which Temporal calls it makes, with which options. A recording fake client
 * stands in for the cluster here; the real-server tests (e2e, faults, backfill) run it for real.
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createStarter, firstAttempt } from '../../src/temporal/starter';

type Call = { op: string; workflowId: string; options?: Record<string, unknown>; signal?: unknown };

/** A run as describe() tells it; `input` is what its start event carries (for a restart). */
type FakeRun = { status: string; memo?: Record<string, unknown>; type?: string; runId?: string; input?: unknown[] };

function fakeClient(runs: Record<string, FakeRun>) {
  const calls: Call[] = [];
  const client = {
    options: { loadedDataConverter: { payloadConverter: defaultPayloadConverter } },
    workflow: {
      getHandle: (workflowId: string, runId?: string) => ({
        async describe() {
          const run = runs[workflowId];
          if (!run) throw new WorkflowNotFoundError('not found', workflowId, undefined);
          return { workflowId, runId: run.runId ?? 'run-1', type: run.type ?? 'lostDealReactivation', status: { name: run.status }, memo: run.memo };
        },
        async fetchHistory() {
          const run = runs[workflowId]!;
          calls.push({ op: 'fetchHistory', workflowId, options: { runId } });
          const payloads = (run.input ?? []).map((v) => defaultPayloadConverter.toPayload(v));
          return { events: [{ workflowExecutionStartedEventAttributes: { input: { payloads } } }] };
        },
        async signal(def: { name: string }, ...args: unknown[]) {
          calls.push({ op: 'signal', workflowId, signal: [def.name, ...args] });
        },
      }),
      async start(type: string, options: Record<string, unknown> & { workflowId: string }) {
        calls.push({ op: `start ${type}`, workflowId: options.workflowId, options });
      },
      async signalWithStart(type: string, options: Record<string, unknown> & { workflowId: string }) {
        calls.push({ op: `signalWithStart ${type}`, workflowId: options.workflowId, options });
      },
    },
  } as unknown as Client;
  return { client, calls };
}

const loss = { entity: 'deal' as const, id: 110, lossKey: 'LOSE@2026-01-01T10:00:00+03:00', trigger: 'webhook' as const, why: 'reason Дорого' };

describe('starter: one place that starts and signals workflows', () => {
  it('starts a new loss with USE_EXISTING and the loss in the memo', async () => {
    const { client, calls } = fakeClient({});
    const action = await createStarter(client, 'q').ensureLost(loss);
    assert.deepEqual(action, { kind: 'started', workflowId: 'reactivation-deal-110', why: 'reason Дорого' });
    assert.equal(calls[0]!.op, 'start lostDealReactivation');
    assert.equal(calls[0]!.options!.workflowIdConflictPolicy, 'USE_EXISTING');
    assert.deepEqual(calls[0]!.options!.memo, { lossKey: loss.lossKey });
    assert.deepEqual(calls[0]!.options!.args, [firstAttempt('deal', 110, 'webhook')]);
  });

  it('tells a running reactivation, and starts nothing for a loss a closed run handled', async () => {
    const running = fakeClient({ 'reactivation-deal-110': { status: 'RUNNING' } });
    assert.equal((await createStarter(running.client, 'q').ensureLost(loss)).kind, 'signalled');
    assert.deepEqual(running.calls[0]!.signal, ['crmChanged', { source: 'webhook' }]);
    const closed = fakeClient({ 'reactivation-deal-110': { status: 'COMPLETED', memo: { lossKey: loss.lossKey } } });
    assert.equal((await createStarter(closed.client, 'q').ensureLost(loss)).kind, 'none');
    assert.equal(closed.calls.length, 0);
    const newLoss = fakeClient({ 'reactivation-deal-110': { status: 'COMPLETED', memo: { lossKey: 'LOSE@earlier' } } });
    assert.equal((await createStarter(newLoss.client, 'q').ensureLost(loss)).kind, 'started');
  });

  it('the manager API start fails when a run exists (no conflict policy), with the chosen date', async () => {
    const { client, calls } = fakeClient({});
    await createStarter(client, 'q').startLostRun(firstAttempt('deal', 7, 'api', '2026-12-15T10:00:00+03:00'), { failIfRunning: true });
    assert.equal(calls[0]!.options!.workflowIdConflictPolicy, undefined);
    assert.equal((calls[0]!.options!.args as { managerReturnAt?: string }[])[0]!.managerReturnAt, '2026-12-15T10:00:00+03:00');
  });

  it('a purchase reaches the client cycle unless a closed run already had a newer one', async () => {
    const client = { kind: 'company' as const, id: 5 };
    const purchase = { dealId: 120, at: '2026-02-01T10:00:00.000Z', categoryId: 0, amount: 0, items: [] };
    const fresh = fakeClient({});
    assert.equal((await createStarter(fresh.client, 'q').ensureClient(client, purchase, 120)).kind, 'started');
    assert.equal(fresh.calls[0]!.op, 'signalWithStart clientReactivation');
    assert.deepEqual(fresh.calls[0]!.options!.memo, { purchaseAt: purchase.at });
    const handled = fakeClient({ 'client-company-5': { status: 'COMPLETED', memo: { purchaseAt: '2026-03-01T00:00:00.000Z' } } });
    assert.equal((await createStarter(handled.client, 'q').ensureClient(client, purchase, 120)).kind, 'none');
    assert.equal(await createStarter(handled.client, 'q').purchaseHandled(client, purchase.at), true);
  });

  it('signals only what runs', async () => {
    const { client, calls } = fakeClient({ 'expiry-deal-3': { status: 'RUNNING' } });
    const starter = createStarter(client, 'q');
    assert.equal(await starter.lostChanged('deal', 3, 'the deal was deleted'), undefined);
    assert.deepEqual(await starter.expiryChanged(3, 'the deal was deleted'), { kind: 'signalled', workflowId: 'expiry-deal-3', why: 'the deal was deleted' });
    assert.deepEqual(calls.map((c) => c.workflowId), ['expiry-deal-3']);
  });

  describe('a run that did not finish handled nothing (issue 12: failures are recoverable)', () => {
    const failedInput = { ...firstAttempt('deal', 110, 'webhook'), attempt: 2, lostElementId: 900, history: [{ attempt: 1, elementId: 900, createdAt: '2026-01-02T00:00:00Z', outcome: 'lost' }] };
    const failedRun = (status: string, memo: Record<string, unknown> = { lossKey: loss.lossKey, failure: { type: 'PortalMismatch', reason: 'stage missing', at: 'x' } }) => ({
      'reactivation-deal-110': { status, memo, runId: 'run-failed', input: [failedInput] },
    });

    for (const status of ['FAILED', 'TERMINATED', 'TIMED_OUT']) {
      it(`a ${status} run of the same loss is restarted from its own input, keeping the loss key, dropping the failure`, async () => {
        const { client, calls } = fakeClient(failedRun(status));
        const starter = createStarter(client, 'q');
        assert.equal(await starter.lossState('deal', 110, loss.lossKey), undefined, 'not handled');
        const action = await starter.ensureLost(loss);
        assert.equal(action.kind, 'started');
        assert.match(action.why, new RegExp(`ended ${status.toLowerCase()}: restarted`));
        const start = calls.find((c) => c.op === 'start lostDealReactivation')!;
        assert.equal(start.workflowId, 'reactivation-deal-110');
        assert.equal(start.options!.workflowIdConflictPolicy, 'USE_EXISTING');
        assert.deepEqual(start.options!.memo, { lossKey: loss.lossKey });
        assert.deepEqual(start.options!.args, [{ ...failedInput, restartOf: 'run-failed' }], 'the failed attempt 2 again, not attempt 1; its loss is not announced again');
        assert.deepEqual(calls.find((c) => c.op === 'fetchHistory')!.options, { runId: 'run-failed' });
      });
    }

    it('a failed run of an earlier loss: the new loss starts from its first attempt', async () => {
      const { client, calls } = fakeClient(failedRun('FAILED', { lossKey: 'LOSE@earlier' }));
      assert.equal((await createStarter(client, 'q').ensureLost(loss)).kind, 'started');
      assert.deepEqual(calls.at(-1)!.options!.args, [firstAttempt('deal', 110, 'webhook')]);
      assert.deepEqual(calls.at(-1)!.options!.memo, { lossKey: loss.lossKey });
    });

    it('a completed or cancelled run handled its loss', async () => {
      for (const status of ['COMPLETED', 'CANCELLED']) {
        const { client, calls } = fakeClient(failedRun(status, { lossKey: loss.lossKey }));
        assert.equal(await createStarter(client, 'q').lossState('deal', 110, loss.lossKey), 'handled', status);
        assert.equal((await createStarter(client, 'q').ensureLost(loss)).kind, 'none', status);
        assert.equal(calls.length, 0);
      }
    });

    it('a failed client cycle of the same purchase is restarted; a failed one does not cover the purchase', async () => {
      const client = { kind: 'company' as const, id: 5 };
      const purchase = { dealId: 120, at: '2026-02-01T10:00:00.000Z', categoryId: 0, amount: 0, items: [] };
      const input = { client, purchase, cycle: 2, offersMade: ['repurchase'], history: [] };
      const fake = fakeClient({ 'client-company-5': { status: 'FAILED', type: 'clientReactivation', memo: { purchaseAt: purchase.at }, input: [input] } });
      const starter = createStarter(fake.client, 'q');
      assert.equal(await starter.purchaseHandled(client, purchase.at), false);
      assert.equal((await starter.ensureClient(client, purchase, 120)).kind, 'started');
      const start = fake.calls.find((c) => c.op === 'start clientReactivation')!;
      assert.deepEqual(start.options!.args, [input], 'cycle 2 again, as it was');
    });

    it('failed expiry reminders do not exist for the backfill and are restarted', async () => {
      const fake = fakeClient({ 'expiry-deal-3': { status: 'FAILED', type: 'expiryReminders', input: [{ dealId: 3, done: ['before-6s'] }] } });
      const starter = createStarter(fake.client, 'q');
      assert.equal(await starter.expiryExists(3), false);
      assert.equal((await starter.ensureExpiry(3)).kind, 'started');
      assert.deepEqual(fake.calls.find((c) => c.op === 'start expiryReminders')!.options!.args, [{ dealId: 3, done: ['before-6s'] }]);
    });

    it('an event on the reactivation deal of a failed run restarts it', async () => {
      const fake = fakeClient(failedRun('FAILED'));
      const action = await createStarter(fake.client, 'q').reactivationDealChanged('reactivation-deal-110', 900, 'reactivation deal 900 changed');
      assert.equal(action?.kind, 'started');
    });

    it('restartFailed: a failed inbox gets its element again; what finished is left alone', async () => {
      const fake = fakeClient({ 'crm-events-deal-7': { status: 'FAILED', type: 'crmEvents' }, 'reactivation-deal-8': { status: 'COMPLETED' } });
      const starter = createStarter(fake.client, 'q');
      assert.equal((await starter.restartFailed('crm-events-deal-7')).kind, 'started');
      assert.equal(fake.calls[0]!.op, 'signalWithStart crmEvents');
      assert.deepEqual(await starter.restartFailed('reactivation-deal-8'), { kind: 'none', workflowId: 'reactivation-deal-8', why: 'its latest run is completed' });
      assert.equal((await starter.restartFailed('reactivation-deal-9')).why, 'no such workflow');
    });
  });
});
