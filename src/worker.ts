/**
 * The Temporal worker: every workflow in src/workflows and the activities it is given, on the
 * product's task queue. Used by `npm start` (src/cli/start.ts) and by tests.
 *
 * Scaling: run more worker processes on the same task queue (ROLE=worker, `docker compose up
 * --scale worker=N`); Temporal spreads the tasks. See README "Scaling".
 */
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { TASK_QUEUE } from './shared/names';

/** The worker's workflowsPath: src/workflows/index.ts (dist/src/workflows/index.js when built). */
export const WORKFLOWS_PATH = require.resolve('./workflows');

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** The object returned by createActivities(deps) (src/activities). */
  activities: object;
  taskQueue?: string;
  /** A prebundled workflow bundle (tests: bundleWorkflowCode once per run); default: bundle WORKFLOWS_PATH at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  /** Other worker options (tuning: maxCachedWorkflows, maxConcurrent*, shutdownGraceTime...). */
  tuning?: Omit<WorkerOptions, 'connection' | 'namespace' | 'taskQueue' | 'activities' | 'workflowsPath' | 'workflowBundle' | 'identity'>;
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    ...(opts.identity ? { identity: opts.identity } : {}),
    shutdownGraceTime: '10s',
    ...opts.tuning,
  });
}
