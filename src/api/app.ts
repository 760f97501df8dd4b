/**
 * The HTTP API: the Bitrix24 webhook bridge, the manager API and the analytics. createApp(deps)
 * builds an express app that tests drive without listen().
 */
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from '../shared/log';
import { TASK_QUEUE } from '../shared/names';
import type { AnalyticsReader } from '../analytics/reader';
import { createAnalyticsRouter } from './analytics';
import { createEventBridge, type BridgeCounters } from './bitrix24-events';
import { createManagerRouter } from './manager';

export interface ApiDeps {
  temporal: Client;
  /** B24_APP_TOKEN: the application_token every outbound event must carry. */
  appToken: string;
  /** API_TOKEN: bearer token of the manager API. */
  apiToken: string;
  log: Logger;
  taskQueue?: string;
  /** Reads the analytics' data (Bitrix24 + Temporal); without it /analytics answers 503. */
  analytics?: AnalyticsReader;
}

export interface Api {
  app: Express;
  counters: BridgeCounters;
}

export function createApp(deps: ApiDeps): Api {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const taskQueue = deps.taskQueue ?? TASK_QUEUE;
  const bridge = createEventBridge({ ...deps, taskQueue });

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/b24', bridge.router);
  app.use(createAnalyticsRouter({ apiToken: deps.apiToken, reader: deps.analytics, log: deps.log }));
  app.use('/api', createManagerRouter({ ...deps, taskQueue }));
  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route ${req.method} ${req.path}` });
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status >= 500) deps.log.error('request failed', { path: req.path, error: err });
    const message = status === 500 ? 'internal error' : String(err?.message ?? 'bad request');
    res.status(status).json({ error: status === 500 ? 'internal' : 'bad_request', message });
  };
  app.use(onError);
  return { app, counters: bridge.counters };
}
