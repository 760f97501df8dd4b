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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { loadEnv } from '../config/env';
import { freePort } from '../shared/dev-server';
import { createMemoryLogger } from '../shared/log';
import { temporalCliPath } from '../shared/toolchain';
import { flagValue, readCommandLine } from './args';
import { startService } from './start';
import { benchBridge, type BridgeResult } from './bench/bridge';
import { benchLost, type LostRunResult } from './bench/lost';
import { benchMemory, type MemoryResult } from './bench/memory';
import { benchRules, progress, round, table, type BenchOptions, type Preset } from './bench/support';

const PARTS = ['bridge', 'lost', 'memory'] as const;
const PRESETS = ['standard', 'enterprise', 'off'] as const;

const positive = () => flagValue.number('expected a whole number above 0', (n) => Number.isInteger(n) && n > 0);

/** A comma-separated list of `allowed` words. */
const listOf = <T extends string>(allowed: readonly T[], what: string) =>
  z.string().transform((text, ctx) => {
    const parts = text.split(',').map((s) => s.trim());
    for (const p of parts) if (!(allowed as readonly string[]).includes(p)) ctx.addIssue({ code: 'custom', message: `unknown ${what} "${p}"` });
    return parts as T[];
  });

/** `N` (every preset) or `standard=6,enterprise=20,...` (the presets named). */
const dealsPerPreset = z.string().transform((text, ctx) => {
  const count = (v: string) => positive().safeParse(v);
  const out: Partial<Record<Preset, number>> = {};
  const pairs = /^\d+$/.test(text) ? PRESETS.map((k) => [k, text]) : text.split(',').map((part) => part.split('='));
  for (const [k, n] of pairs) {
    if (!(PRESETS as readonly string[]).includes(k)) ctx.addIssue({ code: 'custom', message: `unknown preset "${k}"` });
    const parsed = count(n ?? '');
    if (parsed.success) out[k as Preset] = parsed.data;
    else ctx.addIssue({ code: 'custom', message: 'expected a whole number above 0' });
  }
  return out;
});

const benchCommand = {
  usage: `usage: npm run bench -- [--only bridge,lost,memory] [--bridge-requests N] [--concurrency C]
                        [--deals standard=6,enterprise=20,off=100 | --deals N] [--presets standard,enterprise,off]
                        [--period SECONDS] [--sleeping M] [--run-timeout SECONDS] [--out-dir DIR]`,
  flags: {
    only: 'string',
    'bridge-requests': 'string',
    concurrency: 'string',
    deals: 'string',
    presets: 'string',
    period: 'string',
    sleeping: 'string',
    'run-timeout': 'string',
    'out-dir': 'string',
  },
  schema: z.strictObject({
    only: listOf(PARTS, 'part').optional(),
    'bridge-requests': positive().optional(),
    concurrency: positive().optional(),
    deals: dealsPerPreset.optional(),
    presets: listOf(PRESETS, 'preset').optional(),
    period: positive().optional(),
    sleeping: positive().optional(),
    'run-timeout': positive().optional(),
    'out-dir': flagValue.text().optional(),
  }),
} as const;

function benchOptions(flags: z.output<typeof benchCommand.schema>): BenchOptions {
  // Standard first: its bucket starts empty; later presets have more room, so what the previous
  // run left in the buckets does not hold them back.
  const presets = [...(flags.presets ?? PRESETS)].sort((a, b) => PRESETS.indexOf(a) - PRESETS.indexOf(b));
  return {
    only: new Set(flags.only ?? PARTS),
    bridgeRequests: flags['bridge-requests'] ?? 1000,
    concurrency: flags.concurrency ?? 16,
    deals: { standard: 6, enterprise: 20, off: 100, ...flags.deals },
    presets,
    periodSeconds: flags.period ?? 5,
    sleeping: flags.sleeping ?? 1000,
    outDir: flags['out-dir'] ?? path.join('.data', 'bench'),
    runTimeoutSeconds: flags['run-timeout'] ?? 240,
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const line = readCommandLine(benchCommand, process.argv.slice(2));
  if (!line.ok) return line.exitCode;
  const opts = benchOptions(line.value.flags);

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
      process.exit(code);
    },
    (error) => {
      process.stderr.write(`bench failed: ${(error as Error)?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
