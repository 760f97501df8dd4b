/**
 * Temporal test harness: the servers every non-unit test runs on.
 *
 *   startDevServer()        a real dev server (Temporal CLI) you can SIGKILL and restart on the
 *                           same SQLite file; free ports; the product's search attributes.
 *   createTimeSkippingEnv() the Java time-skipping test server (months pass in seconds), with
 *                           the product's search attributes registered.
 *   createLocalEnv()        a TestWorkflowEnvironment on a harness dev server (no time skipping).
 *   workflowBundle()        src/workflows bundled once per test run (saves ~3 s per worker).
 *
 * Both servers come from `npm run toolchain` (part of `npm test`). Every server started here is
 * also killed when the test process exits, even if a test forgot to stop it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type LogLevel, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ensureSearchAttributes, freePort, portInUse, spawnDevServer, waitForTemporal } from '../../src/shared/dev-server';
import { SEARCH_ATTRIBUTES } from '../../src/shared/names';
import { temporalCliPath, testServerPath } from '../../src/shared/toolchain';
import { WORKFLOWS_PATH } from '../../src/worker';

export const SEARCH_ATTRIBUTE_NAMES = Object.keys(SEARCH_ATTRIBUTES);

/**
 * SDK logs in tests: WARN and up (TEST_LOG_LEVEL=INFO|DEBUG for more), native ones included,
 * minus the Java test server's known-harmless heartbeat-capability warning.
 */
const HARMLESS = /activity_failure_include_heartbeat/;
try {
  const level = (process.env.TEST_LOG_LEVEL?.toUpperCase() ?? 'WARN') as LogLevel;
  Runtime.install({
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
    logger: new DefaultLogger(level, (entry) => {
      if (!HARMLESS.test(entry.message)) console.error(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
    }),
  });
} catch {
  // A Runtime exists already (a test file created one first): keep it.
}

const live = new Set<ChildProcess>();

/**
 * Servers the SDK launched for this process (createTimeSkipping) that are still running: a test
 * process that exits without teardown (a crash, mocha --exit after a failed hook) would orphan
 * them. Linux only (reads /proc); elsewhere nothing.
 */
function sdkLaunchedServers(): number[] {
  if (process.platform !== 'linux') return [];
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('io.temporal.testserver.TestServer') || cmdline.includes('start-dev')) pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const pid of sdkLaunchedServers()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Dev server

export interface DevServerOptions {
  /** SQLite file to keep state in (restart() reuses it). Default: a fresh temp file, removed by stop(). */
  dbFile?: string;
  /** Fixed ports; default: free ones. uiPort null = headless. */
  ports?: { port?: number; uiPort?: number | null };
  namespace?: string;
  /** How long to wait for the server to answer (default 120 s: a cold start on a busy box is slow). */
  readyTimeoutMs?: number;
}

export interface DevServer {
  /** host:port of the frontend, for Connection / NativeConnection. */
  readonly address: string;
  readonly port: number;
  /** http://127.0.0.1:<uiPort> (empty when headless). */
  readonly uiUrl: string;
  readonly namespace: string;
  readonly dbFile: string;
  /** PID of the current server process (undefined while stopped). */
  pid(): number | undefined;
  /** Sends a signal (default SIGKILL: a crash) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts again on the same ports and db file (stops it first if still running). */
  restart(): Promise<void>;
  /** SIGTERM, SIGKILL after 20 s; removes the temp db if the harness created it. Idempotent. */
  stop(): Promise<void>;
  /** The server's recent stdout/stderr, for failure messages. */
  output(): string;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = temporalCliPath();
  const namespace = opts.namespace ?? 'default';
  const tempDir = opts.dbFile ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-devserver-'));
  const dbFile = opts.dbFile ?? path.join(tempDir!, 'temporal.db');
  const fixedPorts = opts.ports?.port !== undefined;
  let port = opts.ports?.port ?? (await freePort());
  let uiPort: number | null = opts.ports?.uiPort === null ? null : (opts.ports?.uiPort ?? (await freePort()));
  let child: ChildProcess | undefined;
  let out = '';

  const launch = async (): Promise<void> => {
    const proc = spawnDevServer(cli, { dbFile, port, uiPort, namespace, logLevel: 'warn' });
    child = proc;
    live.add(proc);
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-16_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => live.delete(proc));
    await waitForTemporal(`127.0.0.1:${port}`, {
      namespace,
      timeoutMs: opts.readyTimeoutMs ?? 120_000,
      searchAttributes: SEARCH_ATTRIBUTE_NAMES,
      abort: () =>
        proc.exitCode !== null || proc.signalCode !== null
          ? `dev server exited (${proc.signalCode ?? proc.exitCode}):\n${out.slice(-4000)}`
          : undefined,
    }).catch(async (err) => {
      proc.kill('SIGKILL');
      await waitExit(proc, 10_000);
      throw err;
    });
  };

  // Free ports can be taken between probing and binding: retry a few times with new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (fixedPorts || attempt >= 3 || !/address already in use|bind/i.test(out)) {
        if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
      if (uiPort !== null) uiPort = await freePort();
      out = '';
    }
  }

  const stopChild = async (signal: NodeJS.Signals, graceMs: number) => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      if (!(await waitExit(proc, graceMs))) {
        proc.kill('SIGKILL');
        await waitExit(proc, 10_000);
      }
    }
  };
  let stopped = false;

  return {
    address: `127.0.0.1:${port}`,
    port,
    uiUrl: uiPort === null ? '' : `http://127.0.0.1:${uiPort}`,
    namespace,
    dbFile,
    pid: () => child?.pid,
    kill: (signal = 'SIGKILL') => stopChild(signal, 20_000),
    restart: async () => {
      await stopChild('SIGTERM', 20_000);
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopChild('SIGTERM', 20_000);
      if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
    },
    output: () => out,
  };
}

// ---------------------------------------------------------------------------------------------
// TestWorkflowEnvironment flavours

/** An environment on a server started here: its teardown stops the server too, as does a failed connect. */
async function envOn(server: { stop(): Promise<void> }, connect: () => Promise<TestWorkflowEnvironment>): Promise<TestWorkflowEnvironment> {
  let env: TestWorkflowEnvironment;
  try {
    env = await connect();
  } catch (err) {
    await server.stop();
    throw err;
  }
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    try {
      await teardown();
    } finally {
      await server.stop();
    }
  };
  return env;
}

/**
 * The Java time-skipping test server with the product's search attributes registered (it
 * implements OperatorService.AddSearchAttributes, not List). Tear down with env.teardown().
 *
 * The server is started here rather than by TestWorkflowEnvironment.createTimeSkipping: the
 * SDK's launcher gives the JVM 5 s to listen, which a busy 2-core box misses (measured: 1 start
 * in 3 failed with two CPU hogs running); ours waits up to `readyTimeoutMs`.
 */
export async function createTimeSkippingEnv(opts: { readyTimeoutMs?: number } = {}): Promise<TestWorkflowEnvironment> {
  const server = await startTimeSkippingServer(opts.readyTimeoutMs ?? 120_000);
  const env = await envOn(server, () => timeSkippingEnvOn(server.address));
  try {
    const result = await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
    if (result.refused) throw new Error(`the test server refused the search attributes: ${result.refused}`);
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/** The launcher from the toolchain (`<port>`, as the SDK runs it), on a free port, once it listens. */
async function startTimeSkippingServer(readyTimeoutMs: number): Promise<{ address: string; stop(): Promise<void> }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawn(testServerPath(), [String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    let out = '';
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-8000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const exited = () => proc.exitCode !== null || proc.signalCode !== null;
    const stop = async () => {
      if (exited()) return;
      proc.kill('SIGTERM');
      if (!(await waitExit(proc, 10_000))) {
        proc.kill('SIGKILL');
        await waitExit(proc, 10_000);
      }
    };
    const deadline = Date.now() + readyTimeoutMs;
    while (!exited() && Date.now() < deadline && !(await portInUse(port))) await new Promise((r) => setTimeout(r, 100));
    if (!exited() && (await portInUse(port))) return { address: `127.0.0.1:${port}`, stop };
    await stop();
    // The free port was taken between probing and binding: again, on another one.
    if (attempt < 3 && /address already in use|BindException/i.test(out)) continue;
    throw new Error(`the time-skipping test server did not listen on ${port} within ${readyTimeoutMs / 1000} s (${exited() ? `exited ${proc.signalCode ?? proc.exitCode}` : 'still starting'}):\n${out.slice(-4000)}`);
  }
}

/**
 * A time-skipping TestWorkflowEnvironment on a test server already running at `address`. The SDK
 * offers this only through its internal create() (createFromExistingServer turns time skipping
 * off); an SDK update that drops it fails here, by name, rather than in a test.
 */
async function timeSkippingEnvOn(address: string): Promise<TestWorkflowEnvironment> {
  const internal = TestWorkflowEnvironment as unknown as {
    create?: (opts: { server: { type: 'existing' }; address: string; namespace: string; supportsTimeSkipping: boolean }) => Promise<TestWorkflowEnvironment>;
  };
  if (typeof internal.create !== 'function') {
    throw new Error('@temporalio/testing no longer has TestWorkflowEnvironment.create: adapt timeSkippingEnvOn (test/support/temporal.ts)');
  }
  return internal.create({ server: { type: 'existing' }, address, namespace: 'default', supportsTimeSkipping: true });
}

/**
 * A TestWorkflowEnvironment on a real dev server (the cached Temporal CLI, search attributes
 * included; no time skipping). The server is started by startDevServer rather than by
 * TestWorkflowEnvironment.createLocal: the SDK's launcher gives the server 5 s to come up, too
 * little on a busy 2-core box; ours waits up to 2 minutes. env.teardown() also stops the server;
 * `devServer` is exposed for crash tests (kill/restart).
 */
export async function createLocalEnv(opts: DevServerOptions = {}): Promise<TestWorkflowEnvironment & { devServer: DevServer }> {
  const server = await startDevServer(opts);
  const env = await envOn(server, () => TestWorkflowEnvironment.createFromExistingServer({ address: server.address, namespace: server.namespace }));
  // (Not `server`: TestWorkflowEnvironment has a field of that name.)
  return Object.assign(env, { devServer: server });
}

// ---------------------------------------------------------------------------------------------
// Workflow bundle

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/**
 * src/workflows bundled once per test process; pass as `workflowBundle` to Worker.create /
 * createWorker. (Also proves the workflow code bundles: no Node built-ins, no I/O modules.)
 */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: (m, meta) => console.warn(m, meta ?? ''), error: (m, meta) => console.error(m, meta ?? ''), log() {} },
  });
  return bundle;
}
