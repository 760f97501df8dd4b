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
 * dev server); a second start reuses DATA_DIR. Exit codes: 0 stopped, 1 failed, 2 bad config
 * or arguments (also a webhook that lacks a scope the rules need, checked before Temporal).
 * This file owns the command line, the order of the phases (startService) and the embedded
 * sandbox; the other phases are in src/cli/start/ (portal permissions, Temporal, rules, worker,
 * API).
 */
import path from 'node:path';
import { z } from 'zod';
import type { SandboxHandle } from '@b24r/sandbox';
import { createBitrix24Client } from '../bitrix24';
import { describeEnv, EnvError, loadEnv, redactUrl, ROLES, type AppEnv } from '../config/env';
import { OUTGOING_WEBHOOK_EVENTS } from '../domain/routing';
import { createLogger, type Logger } from '../shared/log';
import { readCommandLine, runMain } from './args';
import { removeSandboxAdminInfo, writeSandboxAdminInfo } from './sandbox-admin';
import { Closers, ConfigError, persistentToken, StartError, type StartContext } from './start/lifecycle';
import { checkWebhookPermissions } from './start/permissions';
import { startApi, startWorker, watchRules } from './start/roles';
import { connectTemporal, installSdkLogger } from './start/temporal';

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

// ---------------------------------------------------------------------------------------------

export interface RunningService {
  urls: Record<string, string>;
  /** Resolves when the service stops by itself (a failed worker); rejects with the failure. */
  done: Promise<void>;
  stop(): Promise<void>;
  /** The embedded Bitrix24 sandbox, when B24_WEBHOOK_URL is unset (tests act on its portal). */
  sandbox?: SandboxHandle;
}

/** Where the service reaches Bitrix24, and the tokens of its two doors. */
interface Portal {
  webhookUrl: string;
  caCertPem?: string;
  appToken?: string;
  apiToken: string;
  sandbox?: SandboxHandle;
}

/**
 * The embedded sandbox with the SANDBOX_PROFILE portal, its state in DATA_DIR (saved when it
 * stops): one state file per profile, so switching the profile switches the portal.
 */
async function startEmbeddedSandbox({ env, log, closers, urls }: StartContext, appToken: string): Promise<SandboxHandle> {
  const { startSandbox } = loadSandbox();
  const adminToken = persistentToken(env.DATA_DIR, 'sandbox-admin-token');
  const profile = env.SANDBOX_PROFILE;
  const sandbox = await startSandbox({
    host: '127.0.0.1',
    port: env.SANDBOX_PORT,
    applicationToken: appToken,
    adminToken: adminToken.value,
    profile,
    seed: 'demo',
    stateFile: path.resolve(env.DATA_DIR, profile === 'demo' ? 'sandbox.json' : `sandbox-${profile}.json`),
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
  urls['Bitrix24 sandbox portal'] = sandbox.baseUrl;
  urls['Bitrix24 sandbox profile'] = `${sandbox.profile} (SANDBOX_PROFILE; README "Portal profiles of the sandbox")`;
  urls['Bitrix24 sandbox admin'] = `${sandbox.baseUrl}/_sandbox/ (header X-Sandbox-Token: the token in ${adminToken.file})`;
  return sandbox;
}

/** 2. Bitrix24: the portal, or the embedded sandbox; and the manager API token (kept in DATA_DIR when unset). */
async function connectPortal(ctx: StartContext): Promise<Portal> {
  const { env, urls } = ctx;
  let apiToken = env.API_TOKEN;
  if (!apiToken) {
    const token = persistentToken(env.DATA_DIR, 'api-token');
    apiToken = token.value;
    urls['Manager API token'] = `in ${token.file}`;
  }
  let portal: Portal = { webhookUrl: env.B24_WEBHOOK_URL ?? '', appToken: env.B24_APP_TOKEN, apiToken };
  if (!env.B24_WEBHOOK_URL) {
    const appToken = env.B24_APP_TOKEN ?? persistentToken(env.DATA_DIR, 'sandbox-app-token').value;
    const sandbox = await startEmbeddedSandbox(ctx, appToken);
    portal = { webhookUrl: sandbox.webhookUrl, caCertPem: sandbox.caCertPem, appToken, apiToken, sandbox };
  }
  urls['Bitrix24 webhook'] = redactUrl(portal.webhookUrl);
  return portal;
}

/**
 * Demo: the sandbox's outbound webhook to this API, as an integrator would configure it in the
 * portal (once; the sandbox keeps it in its state file). Only the events an outgoing webhook can
 * receive (no ONCRMDEALMOVETOCATEGORY: the reconciliation finds pipeline moves).
 */
function pointSandboxAt(sandbox: SandboxHandle, handler: string, appToken: string | undefined, log: Logger): void {
  const portal = sandbox.portal;
  if (!portal) return;
  const events = [...OUTGOING_WEBHOOK_EVENTS];
  const hooks = portal.summary().outgoingWebhooks;
  // An earlier demo start on another port left its own webhook behind: drop it.
  for (const w of hooks) if (w.handler !== handler && w.handler.endsWith('/b24/events')) portal.removeOutgoingWebhook(w.id);
  if (!hooks.some((w) => w.handler === handler)) {
    portal.addOutgoingWebhook(handler, events, appToken);
    log.info('sandbox outbound webhook registered', { handler, events });
  }
}

/** 6. Demo mode: where `npm run demo:*` finds the sandbox admin API and Temporal (0600; removed at stop). */
function publishSandboxAdminInfo({ env, closers, urls }: StartContext, sandbox: SandboxHandle, temporalAddress: string): void {
  writeSandboxAdminInfo(env.DATA_DIR, {
    adminUrl: sandbox.adminUrl,
    adminToken: sandbox.adminToken,
    caCertPem: sandbox.caCertPem,
    temporalAddress,
    namespace: env.TEMPORAL_NAMESPACE,
    temporalUiUrl: urls['Temporal Web UI'],
    apiUrl: urls['API'],
    pid: process.pid,
    startedAt: new Date().toISOString(),
  });
  closers.push({ name: 'sandbox admin info', close: async () => removeSandboxAdminInfo(env.DATA_DIR) });
}

/**
 * Starts what `env` asks for. Everything started is stopped by stop(), in reverse order; a
 * failure half-way stops what was already started.
 */
export async function startService(env: AppEnv, log: Logger = createLogger({ level: env.LOG_LEVEL })): Promise<RunningService> {
  const ctx: StartContext = { env, log, closers: new Closers(log), urls: {} };
  let failWorker: (err: unknown) => void = () => undefined;
  const workerFailed = new Promise<void>((_, reject) => {
    failWorker = reject;
  });
  workerFailed.catch(() => undefined);
  let sandbox: SandboxHandle | undefined;
  try {
    installSdkLogger(env, log);
    // The portal first: a webhook that lacks a scope the rules need stops start-up before
    // Temporal is started or anything sleeps.
    const portal = await connectPortal(ctx);
    sandbox = portal.sandbox;
    if (sandbox && env.RECONCILE_EVERY === null) {
      // Allowed only with the embedded sandbox (tests, demos); refused with B24_WEBHOOK_URL (env.ts).
      log.warn('RECONCILE_EVERY=off: deals moved to another pipeline (ONCRMDEALMOVETOCATEGORY, which an outgoing webhook never receives) and lost deliveries are not picked up');
    }
    const rules = watchRules(ctx);
    const b24 = createBitrix24Client({ webhookUrl: portal.webhookUrl, caCertPem: portal.caCertPem, logger: log.child({ component: 'bitrix24' }) });
    await checkWebhookPermissions(b24, rules(), log.child({ component: 'bitrix24' }));
    const temporal = await connectTemporal(ctx);
    if (env.ROLE !== 'api') await startWorker(ctx, { ...temporal, b24, rules, onFailure: failWorker });
    if (env.ROLE !== 'worker') {
      const api = await startApi(ctx, { client: temporal.client, b24, rules, appToken: portal.appToken, apiToken: portal.apiToken });
      if (sandbox) pointSandboxAt(sandbox, api.eventsUrl, portal.appToken, log);
    }
    if (sandbox) publishSandboxAdminInfo(ctx, sandbox, temporal.address);
  } catch (err) {
    await ctx.closers.stop();
    throw err;
  }
  return { urls: ctx.urls, done: workerFailed, stop: () => ctx.closers.stop(), sandbox };
}

// ---------------------------------------------------------------------------------------------
// The command.

const startCommand = {
  usage: 'usage: npm start [-- --role all|worker|api]',
  flags: { role: 'string' },
  schema: z.strictObject({ role: z.enum(ROLES, { error: `expected one of ${ROLES.join(', ')}` }).optional() }),
} as const;

/** The configuration: the environment, ROLE overridden by --role; undefined after printing each bad variable (exit 2). */
function readEnv(role: AppEnv['ROLE'] | undefined, processEnv: NodeJS.ProcessEnv): AppEnv | undefined {
  try {
    return loadEnv(role ? { ...processEnv, ROLE: role } : processEnv);
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}

function printUrls(env: AppEnv, urls: Record<string, string>): void {
  const width = Math.max(...Object.keys(urls).map((k) => k.length));
  const lines = Object.entries(urls).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  process.stdout.write(`\nb24-reactivation is running (ROLE=${env.ROLE}):\n${lines.join('\n')}\n\nPress Ctrl+C to stop.\n\n`);
}

export async function main(argv = process.argv.slice(2), processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const line = readCommandLine(startCommand, argv);
  if (!line.ok) return line.exitCode;
  const env = readEnv(line.value.flags.role, processEnv);
  if (!env) return 2;
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
    printUrls(env, service.urls);
    log.info('ready', { urls: service.urls });
    await Promise.race([stopRequested, service.done]);
    await service.stop();
    log.info('stopped');
    return 0;
  } catch (err) {
    log.error(err instanceof StartError ? err.message : 'start failed', { error: err });
    await service?.stop();
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    process.stderr.write(`start failed: ${redactUrl((err as Error)?.message ?? String(err))}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) runMain('start', () => main());
