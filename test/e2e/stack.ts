/**
 * The whole service for end-to-end tests, started the way `npm start` starts it (startService)
 * against a real Temporal dev server and the embedded Bitrix24 sandbox, with the e2e rules
 * (periods of seconds). Tests act like a user: they lose and win deals in the sandbox, whose
 * outbound events reach the webhook bridge, and they call the manager API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sharedRateLimiter } from '../../src/bitrix24';
import { loadEnv } from '../../src/config/env';
import { OUTGOING_WEBHOOK_EVENTS } from '../../src/domain/routing';
import { startService, type RunningService } from '../../src/cli/start';
import { startSandbox, type SandboxHandle } from '@b24r/sandbox';
import { freePort } from '../../src/shared/dev-server';
import { createMemoryLogger } from '../../src/shared/log';
import { runTs, type TsProcess } from '../support/processes';
import { startDevServer, type DevServer } from '../support/temporal';

export const E2E_RULES = path.resolve(__dirname, '..', 'fixtures', 'rules.e2e.yaml');
export const API_TOKEN = 'e2e-api-token-0123456789';
export const APP_TOKEN = 'e2e-application-token-0123456789';
export const ORIGINATOR = 'b24-reactivation';

export interface Stack {
  dev: DevServer;
  service: RunningService;
  sandbox: SandboxHandle;
  temporal: Client;
  api: string;
  logLines: string[];
  stop(): Promise<void>;
}

export interface StackOptions {
  rulesFile?: string;
  /** More environment variables for the service (RECONCILE_EVERY, DORMANT_SCAN_EVERY, ...). */
  env?: Record<string, string>;
  /**
   * `'portal'` (default): the sandbox's REST limits and the client's bucket as in production
   * (2 requests/s, burst 50). `'off'`: both off, for tests whose subject is not throughput.
   */
  limits?: 'portal' | 'off';
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dev = await startDevServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-e2e-'));
  const env = loadEnv({
    TEMPORAL_ADDRESS: dev.address,
    RULES_FILE: opts.rulesFile ?? E2E_RULES,
    DATA_DIR: dataDir,
    PORT: '0',
    SANDBOX_PORT: '0',
    API_TOKEN,
    B24_APP_TOKEN: APP_TOKEN,
    LOG_LEVEL: 'info',
    // Any e2e file on another portal profile: E2E_SANDBOX_PROFILE=real-world npx mocha ... (default demo).
    ...(process.env.E2E_SANDBOX_PROFILE ? { SANDBOX_PROFILE: process.env.E2E_SANDBOX_PROFILE } : {}),
    ...opts.env,
  });
  const log = createMemoryLogger('info');
  const service = await startService(env, log);
  if (!service.sandbox) throw new Error('startService did not start the embedded sandbox');
  const sandbox = service.sandbox as unknown as SandboxHandle;
  if (opts.limits === 'off') {
    sandbox.setLimits({ enabled: false });
    // The service's client shares this process's bucket for the portal: the last preset wins.
    sharedRateLimiter(new URL(sandbox.baseUrl).origin, 'off');
  }
  const connection = await Connection.connect({ address: dev.address });
  return {
    dev,
    service,
    sandbox,
    temporal: new Client({ connection }),
    api: service.urls['API'],
    logLines: log.lines,
    async stop() {
      await service.stop();
      await connection.close();
      await dev.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Rec = Record<string, unknown>;

/** Deals the service created (ORIGINATOR_ID = ours), as the sandbox stores them. */
export function reactivationDeals(sandbox: SandboxHandle, filter: (d: Rec) => boolean = () => true): Rec[] {
  return (sandbox.portal.records('deals') as Rec[]).filter((d) => d.ORIGINATOR_ID === ORIGINATOR && filter(d));
}

export function todosOf(sandbox: SandboxHandle, ownerTypeId: number, ownerId: number): Rec[] {
  return (sandbox.portal.records('activities') as Rec[]).filter((a) => Number(a.OWNER_TYPE_ID) === ownerTypeId && Number(a.OWNER_ID) === ownerId);
}

export function notificationsTo(sandbox: SandboxHandle, userId: number): Rec[] {
  return (sandbox.portal.records('notifications') as Rec[]).filter((n) => Number(n.USER_ID ?? n.TO_USER_ID) === userId);
}

/** Polls `read` until it returns something other than undefined/false; throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  read: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function api(stack: Pick<Stack, 'api'>, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// ---------------------------------------------------------------------------------------------
// The service in a child process (tests that SIGKILL it)

/** The service process of a ProcessStack: `npm start`'s main() in a child (test/e2e/service-process.ts). */
export interface ServiceProcess {
  /** PID of the running process (undefined while none runs). */
  pid(): number | undefined;
  alive(): boolean;
  /** Processes started so far (the first one included). */
  readonly starts: number;
  /** Sends `signal` (default SIGKILL: a crash) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
  /** Starts a replacement with the same environment and port; resolves once it runs. */
  start(): Promise<void>;
  /** Resolves with the exit code or signal of the current process when it exits. */
  exited(): Promise<number | NodeJS.Signals | null>;
  /** stdout + stderr of the current process. */
  output(): string;
}

export interface ProcessStack extends Omit<Stack, 'service'> {
  service: ServiceProcess;
  /** host:port of the Bitrix24 event handler the sandbox's outgoing webhook calls. */
  eventsUrl: string;
}

/**
 * The production shape on one machine: the Temporal dev server and the Bitrix24 sandbox in this
 * process's harness, and the service — worker and HTTP API, `npm start`'s main() — in a child
 * process configured like a real installation (TEMPORAL_ADDRESS, B24_WEBHOOK_URL, B24_APP_TOKEN,
 * API_TOKEN; the sandbox's CA through NODE_EXTRA_CA_CERTS). The sandbox's outgoing webhook points
 * at the child's API on a fixed port, so a replacement process receives the events again.
 * `logLines` collects the child's stdout lines (JSON log lines) across restarts.
 */
export async function startProcessStack(opts: StackOptions = {}): Promise<ProcessStack> {
  const dev = await startDevServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24r-e2e-'));
  const closers: (() => Promise<void>)[] = [async () => dev.stop(), async () => fs.rmSync(dataDir, { recursive: true, force: true })];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const sandbox = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      applicationToken: APP_TOKEN,
      seed: 'demo',
      stateFile: path.join(dataDir, 'sandbox.json'),
      // A delivery that times out is dropped for good (no retries, like the portal): on a busy box
      // the service may take longer than the default 5 s to store an event, and the test would
      // then wait for a reactivation nobody was told about. The fault tests drop events on purpose
      // (faults.dropEventsPct), never by timeout.
      eventTimeoutMs: 60_000,
      ...(opts.limits === 'off' ? { limits: { enabled: false } } : {}),
    });
    closers.push(() => sandbox.close());
    const caFile = path.join(dataDir, 'sandbox-ca.pem');
    fs.writeFileSync(caFile, sandbox.caCertPem);
    let port = await freePort();
    let apiUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      ROLE: 'all',
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_NAMESPACE: dev.namespace,
      B24_WEBHOOK_URL: sandbox.webhookUrl,
      B24_APP_TOKEN: APP_TOKEN,
      API_TOKEN,
      RULES_FILE: opts.rulesFile ?? E2E_RULES,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      NODE_EXTRA_CA_CERTS: caFile,
      ...(opts.limits === 'off' ? { B24R_TEST_CLIENT_LIMITS: 'off' } : {}),
      ...opts.env,
    };
    loadEnv(env); // a bad option fails here, with the variable's name, not in the child
    const logLines: string[] = [];
    let current: TsProcess | undefined;
    let starts = 0;
    const service: ServiceProcess = {
      pid: () => (current && current.child.exitCode === null && current.child.signalCode === null ? current.pid : undefined),
      alive: () => !!current && current.child.exitCode === null && current.child.signalCode === null,
      get starts() {
        return starts;
      },
      async kill(signal = 'SIGKILL') {
        return current ? current.kill(signal) : null;
      },
      async start() {
        if (service.alive()) throw new Error('the service process is still running');
        const child = runTs('test/e2e/service-process.ts', { env });
        current = child;
        starts++;
        let partial = '';
        child.child.stdout!.on('data', (chunk: Buffer) => {
          const text = partial + chunk.toString();
          const lines = text.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) logLines.push(line);
          if (logLines.length > 200_000) logLines.splice(0, logLines.length - 100_000);
        });
        child.child.stderr!.on('data', (chunk: Buffer) => {
          for (const line of chunk.toString().split('\n')) if (line.trim()) logLines.push(line);
        });
        await child.waitFor(/b24-reactivation is running/, 180_000);
      },
      exited: () => (current ? current.exited() : Promise.resolve(null)),
      output: () => current?.output() ?? '',
    };
    closers.push(async () => {
      // SIGTERM: the service stops its API, worker and connections, like Ctrl+C.
      await service.kill('SIGTERM');
    });
    // A free port can be taken between probing and binding: retry the first start on another.
    for (let attempt = 1; ; attempt++) {
      try {
        await service.start();
        break;
      } catch (err) {
        if (attempt >= 3 || !/EADDRINUSE/.test(service.output())) throw err;
        port = await freePort();
        apiUrl = `http://127.0.0.1:${port}`;
        env.PORT = String(port);
      }
    }
    sandbox.portal.addOutgoingWebhook(`${apiUrl}/b24/events`, [...OUTGOING_WEBHOOK_EVENTS], APP_TOKEN);
    const connection = await Connection.connect({ address: dev.address });
    closers.push(() => connection.close());
    return {
      dev,
      service,
      sandbox,
      temporal: new Client({ connection, namespace: dev.namespace }),
      api: apiUrl,
      eventsUrl: `${apiUrl}/b24/events`,
      logLines,
      stop: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
