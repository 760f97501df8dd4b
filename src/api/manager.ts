/**
 * Manager API (bearer API_TOKEN): start a reactivation with a chosen date, read its status,
 * set or postpone the return date, cancel it; the same for a client's purchase cycle; the runs
 * that failed or are stuck (GET /api/runs).
 */
import express, { Router, type Request, type Response } from 'express';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { ZodType } from 'zod';
import {
  cancelSignal,
  lostDealStatusQuery,
  postponeUpdate,
  setReturnDateUpdate,
} from '../workflows/lost-deal.messages';
import { FAILURE_MEMO } from '../shared/failures';
import type { Logger } from '../shared/log';
import type { CancelRequest } from '../workflows/common.messages';
import { listRuns } from '../temporal/runs';
import { createStarter, firstAttempt } from '../temporal/starter';
import { clientCancelSignal, clientPostponeUpdate, clientStatusQuery, setNextDateUpdate } from '../workflows/client.messages';
import { tokenMatches } from './bitrix24-events';
import {
  cancelSchema,
  clientParamsSchema,
  describeIssues,
  entityParamsSchema,
  postponeSchema,
  runsQuerySchema,
  setNextDateSchema,
  setReturnDateSchema,
  startReactivationSchema,
} from './schemas';

export interface ManagerDeps {
  temporal: Client;
  apiToken: string;
  log: Logger;
  taskQueue: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.error));
  }
}

function parse<T>(schema: ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new HttpError(400, { error: 'invalid_request', issues: describeIssues(result.error) });
  return result.data;
}

export function createManagerRouter(deps: ManagerDeps): Router {
  const router = Router();
  const starter = createStarter(deps.temporal, deps.taskQueue);
  router.use(express.json({ limit: '16kb' }));
  router.use((req, res, next) => {
    const header = req.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!tokenMatches(token, deps.apiToken)) {
      res.status(401).json({ error: 'unauthorized', message: 'expected Authorization: Bearer <API_TOKEN>' });
      return;
    }
    next();
  });

  const handle = (fn: (req: Request) => Promise<{ status?: number; body: unknown }>) => async (req: Request, res: Response) => {
    try {
      const { status = 200, body } = await fn(req);
      res.status(status).json(body);
    } catch (error) {
      const mapped = mapError(error);
      if (mapped.status >= 500) deps.log.error('manager api failed', { path: req.path, error });
      res.status(mapped.status).json(mapped.body);
    }
  };

  const handleFor = (req: Request) => {
    const { entity, id } = parse(entityParamsSchema, req.params);
    return starter.lostHandle(entity, id);
  };

  router.post(
    '/reactivations',
    handle(async (req) => {
      const body = parse(startReactivationSchema, req.body);
      const workflowId = await starter.startLostRun(firstAttempt(body.entity, body.id, 'api', body.returnAt), { failIfRunning: true });
      deps.log.info('reactivation started by the manager api', { workflowId });
      return { status: 201, body: { workflowId } };
    }),
  );

  router.get(
    '/reactivations/:entity/:id',
    handle(async (req) => ({ body: await statusOf(handleFor(req), lostDealStatusQuery) })),
  );

  /** A manager's change, validated, sent to the workflow as a Temporal Update: it answers or rejects with the reason. */
  function updateRoute<A, R>(method: 'put' | 'post', path: string, schema: ZodType<A>, handleOf: (req: Request) => WorkflowHandle, update: UpdateDefinition<R, [A]>) {
    router[method](
      path,
      handle(async (req) => ({ body: await handleOf(req).executeUpdate(update, { args: [parse(schema, req.body)] }) })),
    );
  }

  /** Cancel: a signal (the workflow stops at its next step), answered 202. */
  function cancelRoute(path: string, handleOf: (req: Request) => WorkflowHandle, signal: SignalDefinition<[CancelRequest]>) {
    router.post(
      path,
      handle(async (req) => {
        await handleOf(req).signal(signal, parse(cancelSchema, req.body));
        return { status: 202, body: { ok: true } };
      }),
    );
  }

  updateRoute('put', '/reactivations/:entity/:id/return-date', setReturnDateSchema, handleFor, setReturnDateUpdate);
  updateRoute('post', '/reactivations/:entity/:id/postpone', postponeSchema, handleFor, postponeUpdate);
  cancelRoute('/reactivations/:entity/:id/cancel', handleFor, cancelSignal);

  // ---- client purchase cycles ----
  const clientHandle = (req: Request) => {
    const { kind, id } = parse(clientParamsSchema, req.params);
    return starter.clientHandle(kind, id);
  };

  router.get(
    '/clients/:kind/:id',
    handle(async (req) => ({ body: await statusOf(clientHandle(req), clientStatusQuery) })),
  );

  updateRoute('put', '/clients/:kind/:id/next-date', setNextDateSchema, clientHandle, setNextDateUpdate);
  updateRoute('post', '/clients/:kind/:id/postpone', postponeSchema, clientHandle, clientPostponeUpdate);
  cancelRoute('/clients/:kind/:id/cancel', clientHandle, clientCancelSignal);

  // ---- runs that need a person (the same as `npm run runs -- --failed` / `--stuck`) ----
  router.get(
    '/runs',
    handle(async (req) => {
      const q = parse(runsQuerySchema, req.query);
      const runs = await listRuns(deps.temporal, { status: q.status, limit: q.limit, attempts: q.attempts, overdueMs: q.overdueMinutes * 60_000 });
      return { body: { status: q.status, count: runs.length, runs } };
    }),
  );

  return router;
}

/** A running workflow answers its status query; a closed one gives its result. */
async function statusOf<T>(handle: WorkflowHandle, query: QueryDefinition<T>) {
  const description = await handle.describe();
  const running = description.status.name === 'RUNNING';
  const status = running ? await handle.query(query) : undefined;
  const result = running ? undefined : await handle.result().catch(() => undefined);
  // A run that failed for good says why (failRun, src/workflows/common.ts).
  const failure = description.memo?.[FAILURE_MEMO];
  return { workflowId: handle.workflowId, execution: description.status.name, status, result, ...(failure ? { failure } : {}) };
}

function mapError(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof HttpError) return { status: error.status, body: error.body };
  if (error instanceof WorkflowNotFoundError) return { status: 404, body: { error: 'not_found', message: 'no reactivation for this element' } };
  if (error instanceof WorkflowExecutionAlreadyStartedError)
    return { status: 409, body: { error: 'already_started', message: 'a reactivation for this element already runs; use return-date' } };
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause as { message?: string } | undefined;
    return { status: 422, body: { error: 'rejected', message: cause?.message ?? error.message } };
  }
  const name = (error as { name?: string })?.name ?? '';
  if (/NotFound/i.test(name)) return { status: 404, body: { error: 'not_found', message: 'no reactivation for this element' } };
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}
