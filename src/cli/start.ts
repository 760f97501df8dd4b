/**
 * `npm start`: the whole service in one process tree.
 *
 *   TEMPORAL_ADDRESS unset  → an embedded Temporal dev server (Temporal CLI, child process) with
 *                             its SQLite file in DATA_DIR; set → that cluster (TLS / API key).
 *   B24_WEBHOOK_URL unset   → the embedded Bitrix24 sandbox (@b24r/sandbox), in process.
 *   ROLE=all|worker|api     → which of the Temporal worker and the HTTP API this process runs
 *                             (`--role worker` overrides; containers run one role each).
 *
 * Prints the URLs once everything answers. SIGINT/SIGTERM stop it all (API, worker, sandbox,
 * dev server); a second start reuses DATA_DIR. Exit codes: 0 stopped, 1 failed, 2 bad config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel as SdkLogLevel, type Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createAnalyticsReader } from '../analytics/reader';
import { createApp } from '../api/app';
import { DEAL_EVENTS, LEAD_EVENTS } from '../api/schemas';
import type { SandboxHandle } from '@b24r/sandbox';
import { createBitrix24Client, createCrmApi } from '../bitrix24';
import { describeEnv, EnvError, loadEnv, redactUrl, temporalConnectionConfig, type AppEnv, type Role } from '../config/env';
import { loadRules, type Rules } from '../config/rules';
import { createLogger, type Logger } from '../shared/log';
import { ensureSearchAttributes, portInUse, spawnDevServer, waitForTemporal } from '../shared/dev-server';
import { TASK_QUEUE } from '../shared/names';
import { findTemporalCli, temporalCliPath } from '../shared/toolchain';
import { createWorker } from '../worker';
import { ensureSchedules } from '../schedules';
import { retryInBackground } from '../shared/retry';
import { removeSandboxAdminInfo, writeSandboxAdminInfo } from './sandbox-admin';

/** The directory holding package.json (the repo, or /app in the image; src/cli or dist/src/cli below it). */
function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The Bitrix24 sandbox (packages/sandbox), loaded by its package name and only in sandbox mode:
 * a development package, absent from the production image (there B24_WEBHOOK_URL is required).
 * `require`, not `import()`: the service is CommonJS and its TypeScript runs through tsx's require
 * hook (tests, child processes), which an ESM `import()` of a .ts package would bypass.
 */
function loadSandbox(): typeof import('@b24r/sandbox') {
  try {
    return require('@b24r/sandbox') as typeof import('@b24r/sandbox');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes("'@b24r/sandbox'")) {
      throw new StartError('the Bitrix24 sandbox is not installed in this image: set B24_WEBHOOK_URL to use a real portal');
    }
    throw err;
  }
}

class StartError extends Error {
  override name = 'StartError';
}

// ---------------------------------------------------------------------------------------------

export interface RunningService {
  urls: Record<string, string>;
  /** Resolves when the service stops by itself (a failed worker); rejects with the failure. */
  done: Promise<void>;
  stop(): Promise<void>;
  /** The embedded Bitrix24 sandbox, when B24_WEBHOOK_URL is unset (tests act on its portal). */
  sandbox?: SandboxHandle;
}

/** Something to stop; `prepare` runs for all of them before any `close` (e.g. quieten logs). */
type Closer = { name: string; close: () => Promise<void>; prepare?: () => void };

/** The SDK is chatty at INFO (bundle statistics, state changes): only LOG_LEVEL=debug shows that. */
const sdkLevels: Record<AppEnv['LOG_LEVEL'], SdkLogLevel> = { debug: 'INFO', info: 'WARN', warn: 'WARN', error: 'ERROR' };

function installSdkLogger(env: AppEnv, log: Logger): void {
  const sdkLog = log.child({ component: 'temporal-sdk' });
  try {
    const level = sdkLevels[env.LOG_LEVEL];
    Runtime.install({
      // Native (Rust core) logs go through the same logger instead of straight to the console.
      telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
      logger: new DefaultLogger(level, ({ level, message, meta }) => {
        const fields = meta as Record<string, unknown> | undefined;
        if (level === 'ERROR') sdkLog.error(message, fields);
        else if (level === 'WARN') sdkLog.warn(message, fields);
        else if (level === 'INFO') sdkLog.info(message, fields);
        else sdkLog.debug(message, fields);
      }),
    });
  } catch {
    // Already installed (tests start several services in one process).
  }
}

/** A file in DATA_DIR holding a random token, created once (0600) and reused by later starts. */
function persistentToken(dataDir: string, name: string): { value: string; file: string } {
  const file = path.resolve(dataDir, name);
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (value.length >= 16) return { value, file };
  } catch {
    /* first start */
  }
  const value = crypto.randomBytes(24).toString('hex');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, value + '\n', { mode: 0o600 });
  return { value, file };
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Runs the embedded dev server until stopped; builds the CLI first if the cache has none. */
async function startEmbeddedTemporal(env: AppEnv, log: Logger): Promise<{ address: string; uiUrl: string; closer: Closer }> {
  if (!findTemporalCli()) {
    const script = path.join(packageRoot(), 'scripts', 'toolchain.mjs');
    if (!fs.existsSync(script)) throw new StartError('no Temporal CLI and no scripts/toolchain.mjs: set TEMPORAL_ADDRESS or TEMPORAL_CLI_PATH');
    log.info('no Temporal CLI yet: running the toolchain (the first build takes about 5 minutes)');
    const code = await new Promise<number | null>((resolve) => {
      spawn(process.execPath, [script, '--cli'], { stdio: 'inherit' }).on('exit', resolve);
    });
    if (code !== 0) throw new StartError('the toolchain could not provide the Temporal CLI (see its output above)');
  }
  const cli = temporalCliPath();
  const address = `127.0.0.1:${env.TEMPORAL_PORT}`;
  for (const [name, port] of [['TEMPORAL_PORT', env.TEMPORAL_PORT], ['TEMPORAL_UI_PORT', env.TEMPORAL_UI_PORT]] as const) {
    if (await portInUse(port)) {
      throw new StartError(
        `${name}=${port} is already in use (another \`npm start\`?). Stop it, choose another port, or set ` +
          `TEMPORAL_ADDRESS=127.0.0.1:${env.TEMPORAL_PORT} to use a server that is already running.`,
      );
    }
  }
  const dbFile = path.resolve(env.DATA_DIR, 'temporal.db');
  const child: ChildProcess = spawnDevServer(cli, {
    dbFile,
    port: env.TEMPORAL_PORT,
    uiPort: env.TEMPORAL_UI_PORT,
    namespace: env.TEMPORAL_NAMESPACE,
    logLevel: 'warn',
  });
  const devLog = log.child({ component: 'temporal-dev-server' });
  let tail = '';
  let stopping = false;
  const relay = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      let entry: Record<string, unknown> | undefined;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        /* the plain-text banner (versions, ports) */
      }
      if (!entry) {
        if (!stopping) devLog.debug(line);
        continue;
      }
      const { level, msg, time: _time, ...fields } = entry;
      // While stopping, the server's own services complain about each other going away
      // ("task queue closed" at level error): nothing an operator can act on.
      if (stopping) {
        devLog.debug(String(msg ?? line), fields);
        continue;
      }
      if (/^(error|fatal|panic)$/i.test(String(level))) devLog.error(String(msg ?? line), fields);
      else devLog.warn(String(msg ?? line), fields);
    }
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const closer: Closer = {
    name: 'Temporal dev server',
    prepare: () => {
      stopping = true;
    },
    close: async () => {
      stopping = true;
      if (exited()) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    },
  };
  log.info('starting the Temporal dev server', { address, dbFile });
  try {
    await waitForTemporal(address, {
      namespace: env.TEMPORAL_NAMESPACE,
      timeoutMs: 180_000,
      abort: () => (exited() ? `the dev server exited (${child.signalCode ?? child.exitCode}): ${tail.slice(-2000)}` : undefined),
    });
  } catch (err) {
    await closer.close();
    throw err;
  }
  return { address, uiUrl: `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`, closer };
}

/**
 * Starts what `env` asks for. Everything started is stopped by stop(), in reverse order; a
 * failure half-way stops what was already started.
 */
export async function startService(env: AppEnv, log: Logger = createLogger({ level: env.LOG_LEVEL })): Promise<RunningService> {
  let embeddedSandbox: SandboxHandle | undefined;
  const closers: Closer[] = [];
  const urls: Record<string, string> = {};
  let failWorker: (err: unknown) => void = () => undefined;
  const workerFailed = new Promise<void>((_, reject) => {
    failWorker = reject;
  });
  workerFailed.catch(() => undefined);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const c of closers) c.prepare?.();
      for (const c of closers.reverse()) {
        try {
          await c.close();
        } catch (err) {
          log.warn(`stopping ${c.name} failed`, { error: err });
        }
      }
    })());

  try {
    installSdkLogger(env, log);
    const runWorker = env.ROLE !== 'api';
    const runApi = env.ROLE !== 'worker';

    // 1. Temporal
    let address = env.TEMPORAL_ADDRESS;
    if (!address) {
      const dev = await startEmbeddedTemporal(env, log);
      closers.push(dev.closer);
      address = dev.address;
      urls['Temporal Web UI'] = dev.uiUrl;
    }
    urls['Temporal'] = `${address} (namespace ${env.TEMPORAL_NAMESPACE})`;
    const connectionConfig = temporalConnectionConfig(env, address);
    if (env.TEMPORAL_ADDRESS) {
      // In containers the cluster may still be starting: wait for it (up to 5 minutes).
      log.info('connecting to Temporal', { address, namespace: env.TEMPORAL_NAMESPACE, tls: !!connectionConfig.tls });
      const { address: _a, ...connectionOptions } = connectionConfig;
      await waitForTemporal(address, { namespace: env.TEMPORAL_NAMESPACE, timeoutMs: 300_000, connection: connectionOptions });
    }
    const connection = await Connection.connect({ ...connectionConfig, connectTimeout: '30s' });
    closers.push({ name: 'Temporal client connection', close: () => connection.close() });
    const sa = await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
    if (sa.refused) {
      log.warn('could not register the search attributes; register them on the namespace yourself (README "Running against a real Temporal cluster")', {
        reason: sa.refused,
      });
    } else if (sa.added.length) {
      log.info('registered search attributes', { added: sa.added });
    }
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });

    // 2. Bitrix24: the portal, or the embedded sandbox.
    let webhookUrl = env.B24_WEBHOOK_URL;
    let caCertPem: string | undefined;
    let appToken = env.B24_APP_TOKEN;
    let apiToken = env.API_TOKEN;
    if (!apiToken) {
      const token = persistentToken(env.DATA_DIR, 'api-token');
      apiToken = token.value;
      urls['Manager API token'] = `in ${token.file}`;
    }
    if (!webhookUrl) {
      appToken ??= persistentToken(env.DATA_DIR, 'sandbox-app-token').value;
      const { startSandbox } = loadSandbox();
      const adminToken = persistentToken(env.DATA_DIR, 'sandbox-admin-token');
      const sandbox = await startSandbox({
        host: '127.0.0.1',
        port: env.SANDBOX_PORT,
        applicationToken: appToken,
        adminToken: adminToken.value,
        seed: 'demo',
        stateFile: path.resolve(env.DATA_DIR, 'sandbox.json'),
      });
      closers.push({
        name: 'Bitrix24 sandbox',
        close: async () => {
          try {
            await sandbox.save();
          } catch (err) {
            log.warn('could not save the sandbox state', { error: err });
          }
          await sandbox.close();
        },
      });
      embeddedSandbox = sandbox;
      webhookUrl = sandbox.webhookUrl;
      caCertPem = sandbox.caCertPem;
      urls['Bitrix24 sandbox portal'] = sandbox.baseUrl;
      urls['Bitrix24 sandbox admin'] = `${sandbox.baseUrl}/_sandbox/ (header X-Sandbox-Token: the token in ${adminToken.file})`;
    }
    urls['Bitrix24 webhook'] = redactUrl(webhookUrl);

    // 3. The rules (the worker plans with them, the API's analytics read their mark fields) and
    // the one Bitrix24 client.
    let rules: Rules = loadRules(env.RULES_FILE);
    const rulesLog = log.child({ component: 'rules' });
    rulesLog.info('rules loaded', { file: env.RULES_FILE });
    // `kill -HUP <pid>` re-reads the rules; running workflows use them at their next planning step.
    const reload = () => {
      try {
        rules = loadRules(env.RULES_FILE);
        rulesLog.info('rules reloaded', { file: env.RULES_FILE });
      } catch (err) {
        rulesLog.error('rules not reloaded: the file is invalid; the previous rules stay in force', { error: err });
      }
    };
    process.on('SIGHUP', reload);
    closers.push({ name: 'rules reload', close: async () => void process.off('SIGHUP', reload) });
    const b24 = createBitrix24Client({ webhookUrl, caCertPem, logger: log.child({ component: 'bitrix24' }) });

    // 4. The worker.
    if (runWorker) {
      const activities = createActivities({
        b24,
        crm: createCrmApi(b24),
        rules: () => rules,
        temporal: client,
        taskQueue: TASK_QUEUE,
        log: log.child({ component: 'activities' }),
        portalUrl: b24.origin,
      });
      const native = await NativeConnection.connect(connectionConfig);
      closers.push({ name: 'worker connection', close: () => native.close() });
      const worker: Worker = await createWorker({ connection: native, namespace: env.TEMPORAL_NAMESPACE, activities });
      const running = worker.run();
      running.catch((err) => failWorker(err));
      closers.push({
        name: 'worker',
        close: async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running.catch(() => undefined);
        },
      });
      urls['Worker'] = `task queue "${TASK_QUEUE}"`;
      // The Schedules (reconciliation, dormant scan), visible under Schedules in the Web UI. In
      // the background, retried: right after a dev server restart DescribeSchedule can time out
      // for 30 s, and the worker and the API need not wait for the safety net to be in place.
      const schedules = retryInBackground(
        'ensuring the schedules',
        () => ensureSchedules(client, { reconcileEvery: env.RECONCILE_EVERY, dormantScanEvery: env.DORMANT_SCAN_EVERY }),
        log,
      );
      void schedules.done.then((result) => result && log.info('schedules ready', result));
      closers.push({ name: 'schedules', close: async () => schedules.stop() });
    }

    // 5. The HTTP API.
    if (runApi) {
      const apiLog = log.child({ component: 'api' });
      const analytics = createAnalyticsReader({ crm: createCrmApi(b24), temporal: client, rules: () => rules, log: apiLog });
      const { app } = createApp({ temporal: client, appToken: appToken ?? '', apiToken, log: apiLog, analytics });
      const server: Server = await new Promise((resolve, reject) => {
        const s = app.listen(env.PORT, env.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
        s.once('error', reject);
      });
      closers.push({
        name: 'HTTP API',
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      });
      const port = (server.address() as { port: number }).port;
      const base = env.PUBLIC_URL ?? `http://${displayHost(env.HOST)}:${port}`;
      urls['API'] = `http://${displayHost(env.HOST)}:${port}`;
      urls['Analytics'] = `${urls['API']}/analytics (any user name, the manager API token as the password)`;
      urls['Bitrix24 event handler'] = `${base}/b24/events`;
      // Demo: configure the sandbox's outbound webhook to this API, as an integrator would in the
      // portal (once; the sandbox keeps it in its state file).
      const portal = embeddedSandbox?.portal;
      if (portal) {
        const handler = `${base}/b24/events`;
        const events = [...DEAL_EVENTS, ...LEAD_EVENTS];
        const hooks = portal.summary().outgoingWebhooks;
        // An earlier demo start on another port left its own webhook behind: drop it.
        for (const w of hooks) if (w.handler !== handler && w.handler.endsWith('/b24/events')) portal.removeOutgoingWebhook(w.id);
        if (!hooks.some((w) => w.handler === handler)) {
          portal.addOutgoingWebhook(handler, events, appToken);
          log.info('sandbox outbound webhook registered', { handler, events });
        }
      }
    }

    // 6. Demo mode: where `npm run demo:*` finds the sandbox admin API and Temporal (0600; removed at stop).
    if (embeddedSandbox) {
      const sandbox = embeddedSandbox;
      writeSandboxAdminInfo(env.DATA_DIR, {
        adminUrl: sandbox.adminUrl,
        adminToken: sandbox.adminToken,
        caCertPem: sandbox.caCertPem,
        temporalAddress: address,
        namespace: env.TEMPORAL_NAMESPACE,
        temporalUiUrl: urls['Temporal Web UI'],
        apiUrl: urls['API'],
        pid: process.pid,
        startedAt: new Date().toISOString(),
      });
      closers.push({ name: 'sandbox admin info', close: async () => removeSandboxAdminInfo(env.DATA_DIR) });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, done: workerFailed, stop, sandbox: embeddedSandbox };
}

function parseRole(argv: string[]): Role | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--role') return argv[i + 1] as Role;
    if (a.startsWith('--role=')) return a.slice('--role='.length) as Role;
  }
  return undefined;
}

export async function main(argv = process.argv.slice(2), processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  let env: AppEnv;
  try {
    const role = parseRole(argv);
    env = loadEnv(role ? { ...processEnv, ROLE: role } : processEnv);
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger({ level: env.LOG_LEVEL, fields: { role: env.ROLE } });
  log.info('starting b24-reactivation', { config: describeEnv(env) });

  let service: RunningService | undefined;
  let signalled: NodeJS.Signals | undefined;
  let wake: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      log.warn(`second ${signal}: exiting now`);
      process.exit(130);
    }
    signalled = signal;
    log.info(`${signal} received: stopping`);
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const starting = startService(env, log);
    service = await Promise.race([starting, stopRequested.then(() => undefined)]);
    if (!service) {
      // A signal during start-up: let start-up finish, then stop what it started.
      await (await starting.catch(() => undefined))?.stop();
      return 0;
    }
    const width = Math.max(...Object.keys(service.urls).map((k) => k.length));
    const lines = Object.entries(service.urls).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
    process.stdout.write(`\nb24-reactivation is running (ROLE=${env.ROLE}):\n${lines.join('\n')}\n\nPress Ctrl+C to stop.\n\n`);
    log.info('ready', { urls: service.urls });
    await Promise.race([stopRequested, service.done]);
    await service.stop();
    log.info('stopped');
    return 0;
  } catch (err) {
    log.error(err instanceof StartError ? err.message : 'start failed', { error: err });
    process.stderr.write(`start failed: ${redactUrl((err as Error)?.message ?? String(err))}\n`);
    await service?.stop();
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`start failed: ${(err as Error)?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
