/**
 * The one starter: which Temporal calls it makes, with which options. A recording fake client
 * stands in for the cluster here; the real-server tests (e2e, faults, backfill) run it for real.
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createStarter, firstAttempt } from '../../src/temporal/starter';

type Call = { op: string; workflowId: string; options?: Record<string, unknown>; signal?: unknown };

function fakeClient(runs: Record<string, { status: string; memo?: Record<string, unknown> }>) {
  const calls: Call[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        async describe() {
          const run = runs[workflowId];
          if (!run) throw new WorkflowNotFoundError('not found', workflowId, undefined);
          return { status: { name: run.status }, memo: run.memo };
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
});
