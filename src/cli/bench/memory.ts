/**
 * Bench part (c): worker memory — M lostDealReactivation workflows sleeping in one worker (this
 * file run as a child process with `--memory-child`: real workflow code, stub activities), RSS and
 * heap, then all wake at once → completions/s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { LostPlan, PrepareResult } from '../../activities/contracts';
import { createStarter, firstAttempt } from '../../temporal/starter';
import { createWorker } from '../../worker';

import { mb, pool, progress, round, sleep, type BenchOptions } from './support';

// (c) worker memory with M sleeping workflows (child process)

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export interface MemoryResult {
  workflows: number;
  startConcurrency: number;
  startsPerSecond: number;
  maxCachedWorkflows: number;
  beforeWorker: MemorySample;
  workerIdle: MemorySample;
  sleeping: MemorySample;
  measuredBeforeWake: boolean;
  perWorkflowKb: { rss: number; heap: number };
  wakeUpsPerSecond: number | null;
  wakeSeconds: number | null;
}

export const MEMORY_QUEUE = 'bench-memory';

export function memorySample(): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external) };
}

/** The child: one product worker (real workflow bundle) whose activities answer at once. */
export async function memoryChild(): Promise<void> {
  const { address } = JSON.parse(process.env.BENCH_MEMORY_CHILD ?? '{}') as { address: string };
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } } });
  const send = (msg: unknown) => process.send?.(msg);
  const beforeWorker = memorySample();
  let wakeAt = new Date(Date.now() + 3600_000).toISOString();
  let planned = 0;
  let woke = 0;
  let lastWake = 0;
  const activities = {
    async planLostReactivation(): Promise<LostPlan> {
      planned++;
      return {
        decision: 'reactivate',
        why: 'bench',
        reason: { stageId: 'LOSE', name: 'Дорого' },
        returnAt: wakeAt,
        basis: 'static',
        maxAttempts: 1,
        managerDateBounds: { minAheadMs: 0, maxAheadMs: 365 * 86_400_000 },
        remindAt: [],
        followUpCheckMs: 3600_000,
        responsibleId: 3,
        title: 'bench',
        lossKey: 'LOSE@bench',
      };
    },
    async notifyLost(): Promise<void> {},
    async prepareReactivation(): Promise<PrepareResult> {
      woke++;
      lastWake = Date.now();
      return { proceed: false, why: 'bench: woke up' };
    },
  };
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({ connection, taskQueue: MEMORY_QUEUE, activities });
  const running = worker.run();
  const workerIdle = memorySample();
  process.on('message', (msg: { type: string; wakeAt?: string }) => {
    if (msg.type === 'wakeAt') {
      wakeAt = msg.wakeAt!;
      send({ type: 'ok' });
    } else if (msg.type === 'measure') {
      send({ type: 'memory', sample: memorySample(), planned, woke });
    } else if (msg.type === 'stop') {
      worker.shutdown();
      void running.finally(async () => {
        await connection.close();
        process.exit(0);
      });
    }
  });
  setInterval(() => send({ type: 'progress', planned, woke, lastWake }), 250).unref();
  send({ type: 'ready', beforeWorker, workerIdle, maxCachedWorkflows: worker.options.maxCachedWorkflows });
  await running;
}

export async function benchMemory(address: string, temporal: Client, opts: BenchOptions): Promise<MemoryResult> {
  const m = opts.sleeping;
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, '--expose-gc', __filename, '--memory-child'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_MEMORY_CHILD: JSON.stringify({ address }) },
  });
  const messages: { type: string; [k: string]: any }[] = [];
  let latest = { planned: 0, woke: 0, lastWake: 0 };
  child.on('message', (msg: any) => {
    if (msg.type === 'progress') latest = msg;
    else messages.push(msg);
  });
  const next = async (type: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = messages.findIndex((x) => x.type === type);
      if (i >= 0) return messages.splice(i, 1)[0];
      if (child.exitCode !== null) throw new Error(`the memory child exited (${child.exitCode})`);
      if (Date.now() > deadline) throw new Error(`the memory child did not send "${type}"`);
      await sleep(50);
    }
  };
  try {
    const ready = await next('ready');
    // All M wake at one instant, chosen so that they have all been started and have reached
    // their timer by then (start, plan, loss notice: 3 workflow tasks and 2 activities each;
    // measured here ~20 s for 1000) and memory is measured while they sleep.
    const wakeAtMs = Date.now() + Math.max(20_000, (m / 25) * 1000 + 10_000);
    child.send({ type: 'wakeAt', wakeAt: new Date(wakeAtMs).toISOString() });
    await next('ok');
    progress(`memory: starting ${m} lostDealReactivation workflows (all wake at ${new Date(wakeAtMs).toISOString().slice(11, 19)})`);
    const runTag = Date.now().toString(36);
    const starter = createStarter(temporal, MEMORY_QUEUE);
    const t0 = Date.now();
    await pool(m, 32, async (i) => {
      await starter.startLostRun(firstAttempt('deal', 9_000_000 + i, 'webhook'), { workflowId: `bench-sleep-${runTag}-${i}`, taskQueue: MEMORY_QUEUE, failIfRunning: true });
    });
    const startSeconds = (Date.now() - t0) / 1000;
    progress(`memory: ${m} started in ${round(startSeconds, 1)} s (${round(m / startSeconds)} starts/s); waiting until all sleep`);
    while (latest.planned < m && Date.now() < wakeAtMs + 60_000) await sleep(100);
    await sleep(2000); // the loss notice and the timer of the last ones
    child.send({ type: 'measure' });
    const measured = await next('memory');
    const measuredBeforeWake = Date.now() < wakeAtMs && measured.woke === 0;
    progress(`memory: ${m} sleeping: RSS ${measured.sample.rssMb} MB, heap ${measured.sample.heapUsedMb} MB${measuredBeforeWake ? '' : ' (some had woken already)'}`);
    // Wake-ups: from the common instant until every workflow completed.
    while (latest.woke < m && Date.now() < wakeAtMs + opts.runTimeoutSeconds * 1000) await sleep(200);
    let completedAt = Date.now();
    for (;;) {
      const { count } = await temporal.workflow.count(`TaskQueue = "${MEMORY_QUEUE}" AND ExecutionStatus = "Running"`);
      if (count === 0 || Date.now() > wakeAtMs + opts.runTimeoutSeconds * 1000) break;
      completedAt = Date.now();
      await sleep(250);
    }
    const wakeSeconds = latest.woke >= m ? Math.max(0.001, (completedAt - wakeAtMs) / 1000) : null;
    const idle = ready.workerIdle as MemorySample;
    const sleeping = measured.sample as MemorySample;
    const result: MemoryResult = {
      workflows: m,
      startConcurrency: 32,
      startsPerSecond: round(m / startSeconds),
      maxCachedWorkflows: ready.maxCachedWorkflows,
      beforeWorker: ready.beforeWorker,
      workerIdle: idle,
      sleeping,
      measuredBeforeWake,
      perWorkflowKb: { rss: round(((sleeping.rssMb - idle.rssMb) * 1024) / m), heap: round(((sleeping.heapUsedMb - idle.heapUsedMb) * 1024) / m) },
      wakeUpsPerSecond: wakeSeconds ? round(m / wakeSeconds) : null,
      wakeSeconds: wakeSeconds ? round(wakeSeconds, 1) : null,
    };
    progress(`memory: ${m} woke and completed in ${result.wakeSeconds ?? 'timeout'} s (${result.wakeUpsPerSecond ?? '-'} /s)`);
    return result;
  } finally {
    if (child.exitCode === null) {
      child.send({ type: 'stop' });
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }
}

// The child process benchMemory spawns: this file with --memory-child.
if (require.main === module && process.argv.includes('--memory-child')) {
  memoryChild().catch((error: unknown) => {
    process.stderr.write(`bench memory child failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  });
}
