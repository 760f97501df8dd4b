/**
 * Activity tests run the activities in process against the sandbox (no Temporal): the deps the
 * worker would give them, and a rules header whose calendar never postpones anything.
 */
import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../../src/activities/shared';
import { createBitrix24Client, createCrmApi, type Transport } from '../../src/bitrix24';
import type { Rules } from '../../src/config/rules';
import type { SandboxHandle } from '@b24r/sandbox';
import { createMemoryLogger } from '../../src/shared/log';

/** `version` and a calendar open around the clock, for rules texts in activity tests. */
export const ALWAYS_OPEN = `version: 1
defaults:
  calendar: { timeZone: Europe/Moscow, workingDays: [mon, tue, wed, thu, fri, sat, sun], workingHours: { from: "00:00", to: "24:00" } }`;

/**
 * What the worker gives the activities, on the sandbox portal and its clock. One attempt per
 * REST call (no client-side retries), so that a failure reaches the test as it happens.
 */
export function activityDeps(sb: SandboxHandle, rules: () => Rules, opts: { transport?: Transport; retries?: boolean } = {}): ActivityDeps {
  const b24 = createBitrix24Client({
    webhookUrl: sb.webhookUrl,
    caCertPem: sb.caCertPem,
    preset: 'off',
    ...(opts.transport ? { transport: opts.transport } : {}),
    ...(opts.retries ? {} : { retry: { maxAttempts: 1 } }),
  });
  return {
    b24,
    crm: createCrmApi(b24),
    rules,
    temporal: {} as Client,
    taskQueue: 'test',
    log: createMemoryLogger('warn'),
    portalUrl: sb.baseUrl,
    now: () => new Date(sb.portal.now()),
  };
}
