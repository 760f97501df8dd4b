/**
 * `npm start`'s Temporal phase: the SDK's logs through the service logger, the embedded dev
 * server (Temporal CLI child process, SQLite in DATA_DIR) when TEMPORAL_ADDRESS is unset, else
 * waiting for that cluster; then the client connection and the search attributes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, type LogLevel as SdkLogLevel } from '@temporalio/worker';
import { temporalConnectionConfig, type AppEnv, type TemporalConnectionConfig } from '../../config/env';
import type { Logger } from '../../shared/log';
import { ensureSearchAttributes, portInUse, spawnDevServer, waitForTemporal } from '../../shared/dev-server';
import { findTemporalCli, temporalCliPath } from '../../shared/toolchain';
import { StartError, type Closer, type StartContext } from './lifecycle';

/** The directory holding package.json (the repo, or /app in the image; src/cli/start or dist/src/cli/start below it). */
function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/** The SDK is chatty at INFO (bundle statistics, state changes): only LOG_LEVEL=debug shows that. */
const sdkLevels: Record<AppEnv['LOG_LEVEL'], SdkLogLevel> = { debug: 'INFO', info: 'WARN', warn: 'WARN', error: 'ERROR' };

export function installSdkLogger(env: AppEnv, log: Logger): void {
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

/** Builds the Temporal CLI with scripts/toolchain.mjs when the cache has none. */
async function ensureTemporalCli(log: Logger): Promise<void> {
  if (findTemporalCli()) return;
  const script = path.join(packageRoot(), 'scripts', 'toolchain.mjs');
  if (!fs.existsSync(script)) throw new StartError('no Temporal CLI and no scripts/toolchain.mjs: set TEMPORAL_ADDRESS or TEMPORAL_CLI_PATH');
  log.info('no Temporal CLI yet: running the toolchain (the first build takes about 5 minutes)');
  const code = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, [script, '--cli'], { stdio: 'inherit' }).on('exit', resolve);
  });
  if (code !== 0) throw new StartError('the toolchain could not provide the Temporal CLI (see its output above)');
}

/**
 * The dev server's output into the log: its JSON lines at warn (error for errors), the banner at
 * debug, and everything at debug once it is stopping. `tail()` is the last output, for errors.
 */
function relayDevServerLog(child: ChildProcess, devLog: Logger): { tail: () => string; stopping: () => void } {
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
  return {
    tail: () => tail,
    stopping: () => {
      stopping = true;
    },
  };
}

/** Runs the embedded dev server until stopped; builds the CLI first if the cache has none. */
async function startEmbeddedTemporal(env: AppEnv, log: Logger): Promise<{ address: string; uiUrl: string; closer: Closer }> {
  await ensureTemporalCli(log);
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
  const output = relayDevServerLog(child, log.child({ component: 'temporal-dev-server' }));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const closer: Closer = {
    name: 'Temporal dev server',
    prepare: output.stopping,
    close: async () => {
      output.stopping();
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
      abort: () => (exited() ? `the dev server exited (${child.signalCode ?? child.exitCode}): ${output.tail().slice(-2000)}` : undefined),
    });
  } catch (err) {
    await closer.close();
    throw err;
  }
  return { address, uiUrl: `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`, closer };
}

export interface TemporalConnected {
  address: string;
  connectionConfig: TemporalConnectionConfig;
  client: Client;
}

/** 1. Temporal: the embedded dev server or the configured cluster, the client, the search attributes. */
export async function connectTemporal({ env, log, closers, urls }: StartContext): Promise<TemporalConnected> {
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
  return { address, connectionConfig, client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }) };
}
