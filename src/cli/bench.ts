/**
 * `npm run bench` — what the service sustains on this machine, against the real Temporal dev
 * server (started by startService exactly as `npm start` does: its own temp SQLite db, WAL) and
 * the embedded Bitrix24 sandbox with its REST limits on.
 *
 *   (a) webhook bridge: requests/s and p50/p95/p99 latency of POST /b24/events — the accept
 *       path (token, payload, signal-with-start) — with C concurrent clients. Its inbox
 *       workflows go to a task queue no worker polls, so downstream REST work does not disturb it.
 *   (b) lost-deal reactivations end to end: N deals (fresh clients) lost at once with a short
 *       period → time until every reactivation deal exists with its to-do; reactivations/s after
 *       the due time; REST calls per reactivation (sandbox call log). Per portal limit preset:
 *       standard (2 req/s, burst 50: REST is the bottleneck), enterprise (5/s, 250), off (the
 *       service's own ceiling). The service's client bucket is switched with the portal.
 *   (c) worker memory: M lostDealReactivation workflows sleeping in one worker (own process, real
 *       workflow code, stub activities): RSS and heap, then all wake at once → completions/s.
 *       Compared with the dev-server ceilings of docs/temporal.md (~130 starts/s, ~28 wake-ups/s
 *       on 2 cores with WAL).
 *
 *   npm run bench -- [--only bridge,lost,memory] [--bridge-requests 1000] [--concurrency 16]
 *                    [--deals standard=6,enterprise=20,off=100 | --deals N] [--presets standard,enterprise,off]
 *                    [--period 5] [--sleeping 1000] [--out-dir .data/bench]
 *
 * Prints a compact table and writes it as JSON to <out-dir>/<timestamp>.json. Not part of npm test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import YAML from 'yaml';
import type { LostPlan, PrepareResult } from '../activities/contracts';
import { createApp } from '../api/app';
import { sharedRateLimiter, type LimitPreset } from '../bitrix24/rate-limit';
import { loadEnv } from '../config/env';
import { loadRulesText } from '../config/rules';
import { DEMO, type SandboxHandle } from '@b24r/sandbox';
import { freePort } from '../shared/dev-server';
import { createMemoryLogger } from '../shared/log';
import { lostWorkflowId, SERVICE_ID } from '../shared/names';
import { temporalCliPath } from '../shared/toolchain';
import { createWorker } from '../worker';
import type { LostDealInput } from '../workflows/lost-deal.messages';
import { sandboxAdmin } from './sandbox-admin';
import { startService, type RunningService } from './start';

type Preset = 'standard' | 'enterprise' | 'off';

interface BenchOptions {
  only: Set<'bridge' | 'lost' | 'memory'>;
  bridgeRequests: number;
  concurrency: number;
  deals: Record<Preset, number>;
  presets: Preset[];
  periodSeconds: number;
  sleeping: number;
  outDir: string;
  runTimeoutSeconds: number;
}

const USAGE = `usage: npm run bench -- [--only bridge,lost,memory] [--bridge-requests N] [--concurrency C]
                        [--deals standard=6,enterprise=20,off=100 | --deals N] [--presets standard,enterprise,off]
                        [--period SECONDS] [--sleeping M] [--run-timeout SECONDS] [--out-dir DIR]`;

function parseArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = {
    only: new Set(['bridge', 'lost', 'memory']),
    bridgeRequests: 1000,
    concurrency: 16,
    deals: { standard: 6, enterprise: 20, off: 100 },
    presets: ['standard', 'enterprise', 'off'],
    periodSeconds: 5,
    sleeping: 1000,
    outDir: path.join('.data', 'bench'),
    runTimeoutSeconds: 240,
  };
  const positive = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a whole number above 0`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--only': {
        const parts = value().split(',').map((s) => s.trim());
        for (const p of parts) if (!['bridge', 'lost', 'memory'].includes(p)) throw new Error(`--only: unknown part "${p}"`);
        opts.only = new Set(parts as ('bridge' | 'lost' | 'memory')[]);
        break;
      }
      case '--bridge-requests':
        opts.bridgeRequests = positive(flag, value());
        break;
      case '--concurrency':
        opts.concurrency = positive(flag, value());
        break;
      case '--deals': {
        const v = value();
        if (/^\d+$/.test(v)) {
          const n = positive(flag, v);
          opts.deals = { standard: n, enterprise: n, off: n };
        } else {
          for (const part of v.split(',')) {
            const [k, n] = part.split('=');
            if (!['standard', 'enterprise', 'off'].includes(k)) throw new Error(`--deals: unknown preset "${k}"`);
            opts.deals[k as Preset] = positive(flag, n ?? '');
          }
        }
        break;
      }
      case '--presets': {
        const parts = value().split(',').map((s) => s.trim());
        for (const p of parts) if (!['standard', 'enterprise', 'off'].includes(p)) throw new Error(`--presets: unknown preset "${p}"`);
        opts.presets = parts as Preset[];
        break;
      }
      case '--period':
        opts.periodSeconds = positive(flag, value());
        break;
      case '--sleeping':
        opts.sleeping = positive(flag, value());
        break;
      case '--run-timeout':
        opts.runTimeoutSeconds = positive(flag, value());
        break;
      case '--out-dir':
        opts.outDir = value();
        break;
      default:
        throw new Error(`unknown argument "${argv[i]}"`);
    }
  }
  // Standard first: its bucket starts empty; later presets have more room, so what the previous
  // run left in the buckets does not hold them back.
  const order: Preset[] = ['standard', 'enterprise', 'off'];
  opts.presets.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return opts;
}

// ---------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 1024 / 1024, 1);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Runs `task(i)` for i in [0, n) with at most `limit` at a time. */
async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await task(i);
      }
    }),
  );
}

/** Rules for (b): the demo rules with «Дорого» after `period` seconds and no follow-up polling. */
function benchRules(periodSeconds: number): string {
  const source = path.resolve(__dirname, '..', '..', 'config', 'rules.demo.yaml');
  const rules = YAML.parse(fs.readFileSync(source, 'utf8')) as {
    lostDeals: { followUpEvery: string; pipelines: { reasons: { stageId: string; returnPeriod?: unknown }[] }[] };
    clients?: { enabled?: boolean };
    expiry?: { enabled?: boolean };
  };
  const reason = rules.lostDeals.pipelines.flatMap((p) => p.reasons).find((r) => r.stageId === 'LOSE');
  if (!reason) throw new Error('config/rules.demo.yaml has no reason for stage LOSE');
  reason.returnPeriod = `${periodSeconds} seconds`;
  // A followed reactivation is re-read every followUpEvery: with the demo's 10 s, 20 followed
  // deals alone would take a standard portal's whole 2 requests/s. Events cover the bench.
  rules.lostDeals.followUpEvery = '1 hour';
  const text = YAML.stringify(rules);
  loadRulesText(text, 'bench rules'); // valid, or fail now
  return text;
}

// ---------------------------------------------------------------------------------------------
// (a) the webhook bridge

interface BridgeResult {
  mode: string;
  requests: number;
  concurrency: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
}

async function benchBridge(temporal: Client, opts: BenchOptions): Promise<BridgeResult[]> {
  const appToken = 'bench-application-token-0123456789';
  const log = createMemoryLogger('warn');
  // A task queue no worker polls: the accept path only (the inbox workflows wait, untouched).
  const { app } = createApp({ temporal, appToken, apiToken: 'bench-api-token-0123456789', log, taskQueue: 'bench-bridge-unpolled' });
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const post = (dealId: number): Promise<{ ms: number; status: number }> => {
    const body = new URLSearchParams({
      event: 'ONCRMDEALUPDATE',
      'data[FIELDS][ID]': String(dealId),
      ts: String(Math.floor(Date.now() / 1000)),
      'auth[application_token]': appToken,
      'auth[domain]': 'bench.bitrix24.ru',
    }).toString();
    const started = process.hrtime.bigint();
    return new Promise((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/b24/events', method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode ?? 0 }));
        },
      );
      req.on('error', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: 0 }));
      req.end(body);
    });
  };
  const results: BridgeResult[] = [];
  const modes: { mode: string; dealOf: (i: number) => number }[] = [
    // Every event for another deal: signal-with-start STARTS a workflow each time.
    { mode: 'new deal each (start+signal)', dealOf: (i) => 1_000_000 + i },
    // Bursts on 20 deals: signal-with-start finds the running inbox and only SIGNALS it.
    { mode: 'same 20 deals (signal)', dealOf: (i) => 1_000_000 + (i % 20) },
  ];
  try {
    for (const { mode, dealOf } of modes) {
      await post(dealOf(0)); // warm: connection, express, first workflow
      const latencies: number[] = [];
      let errors = 0;
      const t0 = Date.now();
      await pool(opts.bridgeRequests, opts.concurrency, async (i) => {
        const r = await post(dealOf(i + 1));
        latencies.push(r.ms);
        if (r.status !== 200) errors++;
      });
      const seconds = (Date.now() - t0) / 1000;
      latencies.sort((a, b) => a - b);
      const r: BridgeResult = {
        mode,
        requests: opts.bridgeRequests,
        concurrency: opts.concurrency,
        seconds: round(seconds, 2),
        requestsPerSecond: round(opts.bridgeRequests / seconds),
        p50Ms: round(percentile(latencies, 50)),
        p95Ms: round(percentile(latencies, 95)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies[latencies.length - 1] ?? NaN),
        errors,
      };
      progress(`bridge ${mode}: ${r.requestsPerSecond} req/s, p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, errors ${errors}`);
      results.push(r);
    }
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// (b) lost-deal reactivations end to end

interface LostRunResult {
  preset: Preset;
  limits: string;
  deals: number;
  periodSeconds: number;
  done: number;
  allDoneSeconds: number | null;
  firstDealSeconds: number | null;
  afterDueSeconds: number | null;
  reactivationsPerSecond: number | null;
  latencyP50Seconds: number | null;
  latencyP95Seconds: number | null;
  httpRequests: number;
  httpRequestsPerReactivation: number;
  restCallsPerReactivation: number;
  refused503: number;
  refused429: number;
  serviceWarnings: number;
  /** What the portal's drain rate allows at this cost, once the burst is spent (null: limits off). */
  restBoundPerSecond: number | null;
  restBoundPerDay: number | null;
}

type Rec = Record<string, unknown>;

async function benchLost(service: RunningService, temporal: Client, logLines: string[], opts: BenchOptions): Promise<LostRunResult[]> {
  const sandbox = service.sandbox as SandboxHandle;
  const portal = sandbox.portal;
  const origin = new URL(sandbox.baseUrl).origin;
  const results: LostRunResult[] = [];
  const resetPortalCounters = () => sandboxAdmin(sandbox)('DELETE', 'limits');

  for (const preset of opts.presets) {
    const n = opts.deals[preset];
    sandbox.setLimits(preset === 'off' ? { enabled: false } : { enabled: true, preset });
    const limiter = sharedRateLimiter(origin, preset as LimitPreset);
    await resetPortalCounters();
    // What an earlier run left in the service's own bucket must drain first.
    while (limiter.config && limiter.level() > 1) await sleep(250);

    // N fresh clients, each with one open deal (no other open deal holds a reactivation back),
    // made while the outbound webhook is off so that their creation costs no REST reads.
    const hooks = portal.summary().outgoingWebhooks;
    for (const h of hooks) portal.removeOutgoingWebhook(h.id);
    const dealIds: number[] = [];
    for (let i = 0; i < n; i++) {
      const manager = DEMO.managers[i % DEMO.managers.length];
      const companyId = portal.createCompany({ TITLE: `ООО «Бенч ${preset} ${i + 1}»`, ASSIGNED_BY_ID: manager, COMPANY_TYPE: 'CUSTOMER' });
      const dealId = portal.createDeal({ TITLE: `Бенч: мешки, партия ${i + 1}`, CATEGORY_ID: 0, STAGE_ID: 'NEW', ASSIGNED_BY_ID: manager, COMPANY_ID: companyId });
      portal.setDealProductRows(dealId, [{ PRODUCT_ID: 1, QUANTITY: 1000 + i }]);
      dealIds.push(dealId);
    }
    await portal.waitForDeliveries();
    for (const h of hooks) portal.addOutgoingWebhook(h.handler, h.events, sandbox.app.applicationToken);

    const warnBefore = logLines.length;
    sandbox.callLog.clear();
    progress(`lost (${preset}): losing ${n} deals at once, period ${opts.periodSeconds} s`);
    const t0 = Date.now();
    for (const id of dealIds) portal.loseDeal(id, 'LOSE');

    const doneAt = new Map<number, number>();
    const prefixOf = new Map(dealIds.map((id) => [`${lostWorkflowId('deal', id)}#`, id]));
    const deadline = t0 + opts.runTimeoutSeconds * 1000;
    let lastReport = 0;
    while (doneAt.size < n && Date.now() < deadline) {
      const copies = (portal.records('deals') as Rec[]).filter((d) => d.ORIGINATOR_ID === SERVICE_ID && typeof d.ORIGIN_ID === 'string');
      const todoOwners = new Set((portal.records('activities') as Rec[]).filter((a) => Number(a.OWNER_TYPE_ID) === 2).map((a) => Number(a.OWNER_ID)));
      for (const c of copies) {
        const source = prefixOf.get(String(c.ORIGIN_ID).replace(/#.*$/, '#'));
        if (source !== undefined && !doneAt.has(source) && todoOwners.has(Number(c.ID))) doneAt.set(source, Date.now());
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        progress(`lost (${preset}): ${doneAt.size}/${n} reactivation deals with their to-do after ${round((Date.now() - t0) / 1000)} s`);
      }
      await sleep(100);
    }
    const entries = sandbox.callLog.entries;
    const http = entries.filter((e) => !e.viaBatch);
    const batches = http.filter((e) => e.method === 'batch').length;
    const restCalls = http.length - batches + entries.filter((e) => e.viaBatch).length;
    const times = [...doneAt.values()].map((t) => (t - t0) / 1000).sort((a, b) => a - b);
    const last = times[times.length - 1];
    // The return date counts from MOVED_TIME, which the portal prints in whole seconds.
    const due = (Math.floor(t0 / 1000) * 1000 + opts.periodSeconds * 1000 - t0) / 1000;
    const limits = preset === 'off' ? 'off' : `${sandbox.limits.drainPerSecond}/s, burst ${sandbox.limits.burst}`;
    const done = doneAt.size;
    const r: LostRunResult = {
      preset,
      limits,
      deals: n,
      periodSeconds: opts.periodSeconds,
      done,
      allDoneSeconds: done === n ? round(last, 2) : null,
      firstDealSeconds: times.length ? round(times[0], 2) : null,
      afterDueSeconds: done === n ? round(Math.max(0, last - due), 2) : null,
      reactivationsPerSecond: done === n ? round(n / Math.max(0.001, last - Math.min(due, times[0])), 2) : null,
      latencyP50Seconds: times.length ? round(percentile(times, 50), 2) : null,
      latencyP95Seconds: times.length ? round(percentile(times, 95), 2) : null,
      httpRequests: http.length,
      httpRequestsPerReactivation: round(http.length / Math.max(1, done), 1),
      restCallsPerReactivation: round(restCalls / Math.max(1, done), 1),
      refused503: http.filter((e) => e.httpStatus === 503).length,
      refused429: entries.filter((e) => e.httpStatus === 429).length,
      serviceWarnings: logLines.slice(warnBefore).length,
      restBoundPerSecond: preset === 'off' || done === 0 ? null : round(sandbox.limits.drainPerSecond / (http.length / done), 3),
      restBoundPerDay: preset === 'off' || done === 0 ? null : Math.round((sandbox.limits.drainPerSecond / (http.length / done)) * 86_400),
    };
    progress(
      `lost (${preset}): ${done}/${n} in ${r.allDoneSeconds ?? 'timeout'} s; ${r.reactivationsPerSecond ?? '-'} reactivations/s after the due time; ` +
        `${r.httpRequestsPerReactivation} HTTP requests per reactivation; 503s ${r.refused503}`,
    );
    results.push(r);

    // Stop the N workflows (they follow their deals) and let the portal's echo events settle.
    await pool(n, 16, async (i) => {
      const handle = temporal.workflow.getHandle(lostWorkflowId('deal', dealIds[i]));
      await handle.signal('cancel', { reason: 'bench run over', by: 'bench' }).catch(() => undefined);
    });
    await portal.waitForDeliveries();
    let size = -1;
    while (size !== sandbox.callLog.size) {
      size = sandbox.callLog.size;
      await sleep(2000);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// (c) worker memory with M sleeping workflows (child process)

interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

interface MemoryResult {
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

const MEMORY_QUEUE = 'bench-memory';

function memorySample(): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external) };
}

/** The child: one product worker (real workflow bundle) whose activities answer at once. */
async function memoryChild(): Promise<void> {
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

async function benchMemory(address: string, temporal: Client, opts: BenchOptions): Promise<MemoryResult> {
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
    const t0 = Date.now();
    await pool(m, 32, async (i) => {
      const input: LostDealInput = { entity: 'deal', id: 9_000_000 + i, attempt: 1, lostElementId: 9_000_000 + i, lossKey: 'LOSE@bench', trigger: 'webhook', history: [] };
      await temporal.workflow.start('lostDealReactivation', { workflowId: `bench-sleep-${runTag}-${i}`, taskQueue: MEMORY_QUEUE, args: [input] });
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

// ---------------------------------------------------------------------------------------------

function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || (typeof c === 'number' && Number.isNaN(c)) ? '—' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

async function main(): Promise<number> {
  if (process.argv.includes('--memory-child')) {
    await memoryChild();
    return 0;
  }
  let opts: BenchOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-bench-'));
  const rulesFile = path.join(dataDir, 'rules.bench.yaml');
  fs.writeFileSync(rulesFile, benchRules(opts.periodSeconds));
  const temporalPort = await freePort();
  const uiPort = await freePort();
  const env = loadEnv({
    DATA_DIR: dataDir,
    RULES_FILE: rulesFile,
    PORT: '0',
    SANDBOX_PORT: '0',
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    RECONCILE_EVERY: 'off',
    DORMANT_SCAN_EVERY: 'off',
    LOG_LEVEL: 'warn',
  });
  const log = createMemoryLogger('warn');
  progress(`starting the service (dev server on SQLite+WAL in ${dataDir}, sandbox, worker, API)`);
  const service = await startService(env, log);
  const address = `127.0.0.1:${temporalPort}`;
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection });
  const report: Record<string, unknown> = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: round(os.totalmem() / 1024 ** 3, 1), node: process.version, platform: `${os.platform()} ${os.release()}` },
    temporal: { cli: temporalCliPath(), storage: 'SQLite file, journal_mode=wal, synchronous=normal (as npm start)' },
    options: { ...opts, only: [...opts.only] },
    devServerCeilings: { source: 'docs/temporal.md (team docs), 2 cores, WAL', startsPerSecond: 130, wakeUpsPerSecond: 28 },
  };
  let code = 0;
  try {
    if (opts.only.has('bridge')) report.bridge = await benchBridge(temporal, opts);
    if (opts.only.has('lost')) report.lostDeals = await benchLost(service, temporal, log.lines, opts);
    if (opts.only.has('memory')) report.memory = await benchMemory(address, temporal, opts);
  } catch (error) {
    code = 1;
    report.error = (error as Error).message;
    process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  } finally {
    await connection.close().catch(() => undefined);
    await service.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  // ---- the table ----
  const out: string[] = [];
  const m = report.machine as { cpus: number; node: string };
  out.push('', `b24-reactivation bench — ${String(report.at)} — ${m.cpus} cores, Node ${m.node}, Temporal dev server (SQLite, WAL)`);
  if (report.bridge) {
    out.push('', `(a) webhook bridge: POST /b24/events, accept path (token, payload, signal-with-start)`);
    out.push(
      table(
        ['events', 'requests', 'conc.', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'],
        (report.bridge as BridgeResult[]).map((b) => [b.mode, b.requests, b.concurrency, b.requestsPerSecond, b.p50Ms, b.p95Ms, b.p99Ms, b.errors]),
      ),
    );
  }
  if (report.lostDeals) {
    out.push('', `(b) lost-deal reactivations end to end: N deals lost at once, «Дорого» after ${opts.periodSeconds} s → reactivation deal + to-do`);
    out.push('    react./s = N ÷ (last done − due); REST-bound = the portal drain rate ÷ HTTP requests per reactivation (after the burst)');
    out.push(
      table(
        ['portal limits', 'N', 'all done s', 'after due s', 'react./s', 'p50 s', 'p95 s', 'HTTP req/react.', 'REST calls/react.', '503s', 'REST-bound /s', '/day'],
        (report.lostDeals as LostRunResult[]).map((r) => [
          `${r.preset} (${r.limits})`,
          r.done === r.deals ? r.deals : `${r.done}/${r.deals}`,
          r.allDoneSeconds,
          r.afterDueSeconds,
          r.reactivationsPerSecond,
          r.latencyP50Seconds,
          r.latencyP95Seconds,
          r.httpRequestsPerReactivation,
          r.restCallsPerReactivation,
          r.refused503,
          r.restBoundPerSecond,
          r.restBoundPerDay,
        ]),
      ),
    );
  }
  if (report.memory) {
    const r = report.memory as MemoryResult;
    out.push('', `(c) one worker with M sleeping lostDealReactivation workflows (own process, stub activities; cache ${r.maxCachedWorkflows}; idle = after bundling)`);
    out.push(
      table(
        ['M', 'starts/s', 'RSS idle MB', 'RSS M MB', 'heap idle MB', 'heap M MB', 'KB/wf RSS', 'KB/wf heap', 'wake→done /s'],
        [[r.workflows, r.startsPerSecond, r.workerIdle.rssMb, r.sleeping.rssMb, r.workerIdle.heapUsedMb, r.sleeping.heapUsedMb, r.perWorkflowKb.rss, r.perWorkflowKb.heap, r.wakeUpsPerSecond]],
      ),
    );
    if (!r.measuredBeforeWake) out.push('  (memory measured after some workflows had woken)');
  }
  out.push('', '  dev-server ceilings here (docs/temporal.md, minimal workflow, WAL): ~130 starts/s, ~28 wake-ups/s');
  fs.mkdirSync(opts.outDir, { recursive: true });
  const file = path.join(opts.outDir, `${String(report.at).replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  out.push(`  JSON: ${file}`, '');
  process.stdout.write(out.join('\n') + '\n');
  return code;
}

if (require.main === module) {
  main().then(
    (code) => {
      if (!process.argv.includes('--memory-child')) process.exit(code);
    },
    (error) => {
      process.stderr.write(`bench failed: ${(error as Error)?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
