/**
 * Webhook bridge: Bitrix24 outbound events → the element's durable inbox workflow.
 *
 * Bitrix24 does not retry a failed delivery and slows down slow handlers, so the handler only
 * checks the application token, validates the payload and hands the event to Temporal with
 * signal-with-start (durable once it returns) before it answers. No Bitrix24 REST call here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import type { Client } from '@temporalio/client';
import { entityOfEvent } from '../domain/routing';
import type { Logger } from '../shared/log';
import { createStarter } from '../temporal/starter';
import { bitrix24EventSchema, describeIssues } from './schemas';

export interface BridgeCounters {
  accepted: number;
  rejectedToken: number;
  rejectedPayload: number;
  failedHandOff: number;
}

export interface BridgeDeps {
  temporal: Client;
  appToken: string;
  log: Logger;
  taskQueue: string;
}

/** Constant-time comparison of the application token (hashing makes the lengths equal). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

export function createEventBridge(deps: BridgeDeps): { router: Router; counters: BridgeCounters } {
  const counters: BridgeCounters = { accepted: 0, rejectedToken: 0, rejectedPayload: 0, failedHandOff: 0 };
  const starter = createStarter(deps.temporal, deps.taskQueue);
  const router = Router();
  router.use(express.urlencoded({ extended: true, limit: '64kb', parameterLimit: 200 }));
  router.use(express.json({ limit: '64kb' }));

  router.get('/events/stats', (_req, res) => {
    res.json(counters);
  });

  router.post('/events', async (req, res) => {
    const body: unknown = req.body;
    const token = readToken(body);
    if (token === undefined || !tokenMatches(token, deps.appToken)) {
      counters.rejectedToken++;
      deps.log.warn('bitrix24 event rejected: application token missing or wrong', { event: readEventName(body) });
      res.status(401).json({ error: 'invalid_token', message: 'auth[application_token] is missing or does not match' });
      return;
    }
    const parsed = bitrix24EventSchema.safeParse(body);
    if (!parsed.success) {
      counters.rejectedPayload++;
      const issues = describeIssues(parsed.error);
      deps.log.warn('bitrix24 event rejected: malformed payload', { issues });
      res.status(400).json({ error: 'invalid_event', issues });
      return;
    }
    const event = parsed.data;
    // The schema admits deal and lead events only.
    const entity = entityOfEvent(event.event) ?? 'deal';
    const id = event.data.FIELDS.ID;
    const at = event.ts ? new Date(event.ts * 1000).toISOString() : new Date().toISOString();
    try {
      const workflowId = await starter.handOffEvent(entity, id, { event: event.event, at, source: 'webhook' });
      counters.accepted++;
      deps.log.info('bitrix24 event handed to temporal', { event: event.event, entity, id, workflowId });
      res.json({ ok: true, workflowId });
    } catch (error) {
      counters.failedHandOff++;
      deps.log.error('bitrix24 event could not be handed to temporal; reconciliation will pick it up', { event: event.event, entity, id, error });
      res.status(503).json({ error: 'unavailable', message: 'the event could not be stored; try again' });
    }
  });
  return { router, counters };
}

function readToken(body: unknown): string | undefined {
  const auth = (body as { auth?: { application_token?: unknown } } | undefined)?.auth;
  return typeof auth?.application_token === 'string' ? auth.application_token : undefined;
}

function readEventName(body: unknown): string | undefined {
  const event = (body as { event?: unknown } | undefined)?.event;
  return typeof event === 'string' ? event.slice(0, 64) : undefined;
}
