/**
 * `npm start`'s phases after Temporal and Bitrix24: the rules (re-read on SIGHUP), the worker
 * with the Schedules (ROLE all|worker) and the HTTP API (ROLE all|api).
 */
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createAnalyticsReader } from '../../analytics/reader';
import { createApp } from '../../api/app';
import { createCrmApi, type Bitrix24Client } from '../../bitrix24';
import type { TemporalConnectionConfig } from '../../config/env';
import { loadRules, type Rules } from '../../config/rules';
import { TASK_QUEUE } from '../../shared/names';
import { retryInBackground } from '../../shared/retry';
import { ensureSchedules } from '../../temporal/schedules';
import { createWorker } from '../../worker';
import type { StartContext } from './lifecycle';

/**
 * 3. The rules (the worker plans with them, the API's analytics read their mark fields).
 * `kill -HUP <pid>` re-reads them; running workflows use them at their next planning step.
 */
export function watchRules({ env, log, closers }: StartContext): () => Rules {
  let rules: Rules = loadRules(env.RULES_FILE);
  const rulesLog = log.child({ component: 'rules' });
  rulesLog.info('rules loaded', { file: env.RULES_FILE });
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
  return () => rules;
}

export interface WorkerDeps {
  client: Client;
  connectionConfig: TemporalConnectionConfig;
  b24: Bitrix24Client;
  rules: () => Rules;
  /** Called when the running worker fails (the service then stops). */
  onFailure: (err: unknown) => void;
}

/** 4. The worker, and the Schedules it serves. */
export async function startWorker({ env, log, closers, urls }: StartContext, deps: WorkerDeps): Promise<void> {
  const { client, b24 } = deps;
  const activities = createActivities({
    b24,
    crm: createCrmApi(b24),
    rules: deps.rules,
    temporal: client,
    taskQueue: TASK_QUEUE,
    log: log.child({ component: 'activities' }),
    portalUrl: b24.origin,
  });
  const native = await NativeConnection.connect(deps.connectionConfig);
  closers.push({ name: 'worker connection', close: () => native.close() });
  const worker: Worker = await createWorker({ connection: native, namespace: env.TEMPORAL_NAMESPACE, activities });
  const running = worker.run();
  running.catch((err) => deps.onFailure(err));
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

export interface ApiDeps {
  client: Client;
  b24: Bitrix24Client;
  rules: () => Rules;
  appToken: string | undefined;
  apiToken: string;
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** 5. The HTTP API. Returns the URL of its Bitrix24 event handler. */
export async function startApi({ env, log, closers, urls }: StartContext, deps: ApiDeps): Promise<{ eventsUrl: string }> {
  const apiLog = log.child({ component: 'api' });
  const analytics = createAnalyticsReader({ crm: createCrmApi(deps.b24), temporal: deps.client, rules: deps.rules, log: apiLog });
  const { app } = createApp({ temporal: deps.client, appToken: deps.appToken ?? '', apiToken: deps.apiToken, log: apiLog, analytics });
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
  return { eventsUrl: `${base}/b24/events` };
}
