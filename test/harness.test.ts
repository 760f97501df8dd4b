/**
 * The Temporal test harness itself (test/support/temporal.ts): each server flavour starts from
 * the toolchain cache, has the product's search attributes, and goes away when stopped.
 */
import assert from 'node:assert/strict';
import { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { portInUse } from '../src/shared/dev-server';
import { lostWorkflowId, TASK_QUEUE } from '../src/shared/names';
import { SA } from '../src/shared/search-attributes';
import { createWorker } from '../src/worker';
import type { lostDealReactivation } from '../src/workflows/lost-deal';
import { createStubLostDealActivities } from './support/fixtures/stub-lost-deal-worker';
import { createLocalEnv, createTimeSkippingEnv, SEARCH_ATTRIBUTE_NAMES, startDevServer, workflowBundle } from './support/temporal';

const DAY_MS = 86_400_000;

describe('Temporal test harness', function () {
  this.timeout(300_000);

  describe('createTimeSkippingEnv', () => {
    let env: TestWorkflowEnvironment | undefined;
    before(async () => {
      env = await createTimeSkippingEnv();
    });
    after(async () => {
      await env?.teardown();
    });

    it('runs a lost-deal reactivation that sleeps 30 days in seconds, with search attributes', async () => {
      const worker = await createWorker({
        connection: env!.nativeConnection,
        activities: createStubLostDealActivities({ returnAfterMs: 30 * DAY_MS }),
        workflowBundle: await workflowBundle(),
      });
      const workflowId = lostWorkflowId('deal', 7);
      const before = await env!.currentTimeMs();
      const result = await worker.runUntil(
        env!.client.workflow.execute<typeof lostDealReactivation>('lostDealReactivation', {
          taskQueue: TASK_QUEUE,
          workflowId,
          args: [{ entity: 'deal', id: 7, attempt: 1, lostElementId: 7, trigger: 'api', history: [] }],
        }),
      );
      assert.equal(result.outcome, 'won');
      assert.ok((await env!.currentTimeMs()) - before >= 30 * DAY_MS, 'server time moved past the return date');
      const described = await env!.client.workflow.getHandle(workflowId).describe();
      assert.equal(described.typedSearchAttributes.get(SA.DealId), 7);
      assert.equal(described.typedSearchAttributes.get(SA.Phase), 'done');
    });
  });

  describe('createLocalEnv', () => {
    it('runs on the cached CLI with the search attributes registered, and teardown stops the server', async () => {
      const env = await createLocalEnv({ ports: { uiPort: null } });
      try {
        assert.equal(env.supportsTimeSkipping, false);
        const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const name of SEARCH_ATTRIBUTE_NAMES) assert.ok(customAttributes && name in customAttributes, `${name} registered`);
      } finally {
        await env.teardown();
      }
      assert.equal(await portInUse(env.devServer.port), false);
    });
  });

  describe('startDevServer', () => {
    it('serves gRPC and the Web UI on free ports, restarts, and frees the ports when stopped', async () => {
      const server = await startDevServer();
      try {
        const ui = await fetch(server.uiUrl);
        assert.equal(ui.status, 200);
        const pid = server.pid();
        await server.kill('SIGKILL');
        assert.equal(await portInUse(server.port), false);
        await server.restart();
        assert.notEqual(server.pid(), pid);
        const connection = await Connection.connect({ address: server.address });
        try {
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
          assert.deepEqual(Object.keys(customAttributes ?? {}).sort(), [...SEARCH_ATTRIBUTE_NAMES].sort());
        } finally {
          await connection.close();
        }
      } finally {
        await server.stop();
      }
      assert.equal(await portInUse(server.port), false);
      assert.equal(server.pid(), undefined);
    });
  });
});
