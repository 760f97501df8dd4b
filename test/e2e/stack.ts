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
import { loadEnv } from '../../src/config/env';
import { startService, type RunningService } from '../../src/cli/start';
import type { SandboxHandle } from '../../src/sandbox';
import { createMemoryLogger } from '../../src/shared/log';
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

export async function startStack(opts: { rulesFile?: string; env?: Record<string, string> } = {}): Promise<Stack> {
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
    ...opts.env,
  });
  const log = createMemoryLogger('info');
  const service = await startService(env, log);
  if (!service.sandbox) throw new Error('startService did not start the embedded sandbox');
  const sandbox = service.sandbox as unknown as SandboxHandle;
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

export async function eventually<T>(what: string, read: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function api(stack: Stack, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
