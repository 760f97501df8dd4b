/**
 * The admin API under /_sandbox/* (JSON), for the demo script and a human. Guarded by a token —
 * by default the webhook secret — sent as `X-Sandbox-Token: <token>`, `Authorization: Bearer
 * <token>` or `?token=<token>`. It is a local development tool: never expose it.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { CallLog } from './calllog';
import { RestError } from './errors';
import type { Faults } from './faults';
import type { LimitsConfig } from './limits';
import type { Portal } from './portal';
import type { SandboxLimitsOptions } from './types';

export interface AdminDeps {
  portal: Portal;
  callLog: CallLog;
  faults: Faults;
  token(): string;
  limits(): LimitsConfig;
  setLimits(patch: Partial<SandboxLimitsOptions>): LimitsConfig;
  resetLimits(): void;
}

const ENDPOINTS = [
  'GET    /_sandbox/                      this index + state summary',
  'GET    /_sandbox/state[?full=1]        summary (or the whole state)',
  'GET    /_sandbox/calls[?method=m]      call log; DELETE clears it',
  'GET    /_sandbox/faults                PUT {latencyMs,errorRate,outageSeconds,outageStatus,dropEventsPct,lostResponsePct,methods}; DELETE resets',
  'GET    /_sandbox/limits                PUT {enabled,preset,drainPerSecond,burst,operatingBudgetSeconds,operatingCostSeconds}; DELETE resets counters',
  'GET    /_sandbox/events                handlers, outgoing webhooks, deliveries, offline queue size',
  'POST   /_sandbox/outgoing-webhooks     {handler, events[]} → {id, applicationToken}; DELETE /_sandbox/outgoing-webhooks/:id',
  'POST   /_sandbox/deals                 {fields} → {id}',
  'GET    /_sandbox/deals/:id             the deal as crm.deal.get prints it',
  'PATCH  /_sandbox/deals/:id             {fields}',
  'POST   /_sandbox/deals/:id/move        {stageId}',
  'POST   /_sandbox/deals/:id/lose        {reason?: stage id or name}',
  'POST   /_sandbox/deals/:id/win',
  'POST   /_sandbox/deals/:id/field       {field, value}',
  'PUT    /_sandbox/deals/:id/productrows {rows: [{PRODUCT_ID, QUANTITY?, PRICE?}]} (PRICE default: the catalogue price)',
  'POST   /_sandbox/companies             {fields} → {id}; POST /_sandbox/contacts {fields} → {id}',
  'DELETE /_sandbox/deals/:id',
  'POST   /_sandbox/leads                 {fields} → {id}; PATCH /_sandbox/leads/:id {fields}',
  'POST   /_sandbox/leads/:id/status      {status: id or name}',
  'GET    /_sandbox/records/:collection   raw records (activities, tasks, notifications, comments, bizprocRuns, offlineEvents, ...)',
  'POST   /_sandbox/clock                 {advanceSeconds | advanceDays}',
  'POST   /_sandbox/save | /load          {file?}',
  'GET    /_sandbox/settings              portal settings; PATCH {closeDateSync, timeZone, utcOffsetMinutes, wrongWebhookCodeError}',
  'PATCH  /_sandbox/users/:id             {active: false} deactivates a user (the webhook user: REST answers 403 INVALID_CREDENTIALS)',
  'POST   /_sandbox/reset                 {seed?: "demo" | "empty", profile?: "demo" | "real-world"}',
];

function same(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

function idOf(req: Request): number {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id <= 0) throw new Error('id must be a positive integer');
  return id;
}

type Body = Record<string, unknown>;

const body = (req: Request): Body => (req.body && typeof req.body === 'object' ? (req.body as Body) : {});

/** `{fields: {...}}` or the fields themselves. */
const fieldsOf = (req: Request): Body => {
  const b = body(req);
  return (b.fields ?? b) as Body;
};

const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Every admin route needs the token (X-Sandbox-Token, Authorization: Bearer or ?token=). */
function requireToken(token: () => string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('x-sandbox-token') ?? req.get('authorization')?.replace(/^Bearer\s+/i, '');
    const given = header ?? (typeof req.query.token === 'string' ? req.query.token : '');
    if (!given || !same(given, token())) {
      res.status(401).json({ error: 'unauthorized', hint: 'send X-Sandbox-Token (the admin token printed at start)' });
      return;
    }
    next();
  };
}

/** The sandbox itself: index, state, call log, faults, limits, event subscriptions. */
function sandboxRoutes(r: Router, deps: AdminDeps): void {
  const p = deps.portal;
  r.get('/', (_req, res) => {
    res.json({ endpoints: ENDPOINTS, summary: p.summary() });
  });
  r.get('/state', (req, res) => {
    res.json(req.query.full ? p.state : p.summary());
  });
  r.get('/calls', (req, res) => {
    const method = typeof req.query.method === 'string' ? req.query.method.toLowerCase() : undefined;
    const entries = method ? deps.callLog.calls(method) : deps.callLog.entries;
    res.json({ count: entries.length, httpRequests: deps.callLog.httpRequests().length, counts: deps.callLog.counts(), entries });
  });
  r.delete('/calls', (_req, res) => {
    deps.callLog.clear();
    res.json({ ok: true });
  });
  r.get('/faults', (_req, res) => {
    res.json(deps.faults.snapshot());
  });
  r.put('/faults', (req, res) => {
    res.json(deps.faults.set(body(req)));
  });
  r.delete('/faults', (_req, res) => {
    deps.faults.reset();
    res.json(deps.faults.snapshot());
  });
  r.get('/limits', (_req, res) => {
    res.json(deps.limits());
  });
  r.put('/limits', (req, res) => {
    res.json(deps.setLimits(body(req)));
  });
  r.delete('/limits', (_req, res) => {
    deps.resetLimits();
    res.json(deps.limits());
  });
  r.get('/events', (_req, res) => {
    res.json({
      handlers: p.state.handlers,
      outgoingWebhooks: p.state.outgoingWebhooks.map((w) => ({ id: w.ID, handler: w.HANDLER, events: w.EVENTS })),
      deliveries: p.deliveries.slice(-200),
      offlineQueue: p.state.offlineEvents.length,
    });
  });
  r.post('/outgoing-webhooks', (req, res) => {
    const b = body(req);
    const events = Array.isArray(b.events) ? b.events.map(String) : [];
    const hook = p.addOutgoingWebhook(String(b.handler ?? ''), events, optionalString(b.applicationToken));
    res.status(201).json({ id: hook.ID, handler: hook.HANDLER, events: hook.EVENTS, applicationToken: hook.APPLICATION_TOKEN });
  });
  r.delete('/outgoing-webhooks/:id', (req, res) => {
    res.json({ removed: p.removeOutgoingWebhook(idOf(req)) });
  });
}

/** The sales team's actions on deals. */
function dealRoutes(r: Router, p: Portal): void {
  const dealOut = (req: Request) => p.get('deal', idOf(req));
  r.post('/deals', (req, res) => {
    res.status(201).json({ id: p.createDeal(fieldsOf(req)) });
  });
  r.get('/deals/:id', (req, res) => {
    const d = dealOut(req);
    if (!d) res.status(404).json({ error: 'not found' });
    else res.json(d);
  });
  r.patch('/deals/:id', (req, res) => {
    p.updateDeal(idOf(req), fieldsOf(req));
    res.json(dealOut(req));
  });
  r.delete('/deals/:id', (req, res) => {
    p.deleteDeal(idOf(req));
    res.json({ ok: true });
  });
  r.post('/deals/:id/move', (req, res) => {
    p.moveDeal(idOf(req), String(body(req).stageId ?? ''));
    res.json(dealOut(req));
  });
  r.post('/deals/:id/lose', (req, res) => {
    const stage = p.loseDeal(idOf(req), optionalString(body(req).reason));
    res.json({ stageId: stage, deal: dealOut(req) });
  });
  r.post('/deals/:id/win', (req, res) => {
    const stage = p.winDeal(idOf(req));
    res.json({ stageId: stage, deal: dealOut(req) });
  });
  r.post('/deals/:id/field', (req, res) => {
    const b = body(req);
    p.setDealField(idOf(req), String(b.field ?? ''), b.value);
    res.json(dealOut(req));
  });
  r.put('/deals/:id/productrows', (req, res) => {
    const rows = body(req).rows;
    if (!Array.isArray(rows)) throw new Error('rows must be an array of {PRODUCT_ID, QUANTITY?, PRICE?}');
    p.setDealProductRows(idOf(req), rows as Array<{ PRODUCT_ID: number; QUANTITY?: number; PRICE?: number }>);
    res.json(dealOut(req));
  });
}

/** Companies, contacts and leads. */
function clientAndLeadRoutes(r: Router, p: Portal): void {
  r.post('/companies', (req, res) => {
    res.status(201).json({ id: p.createCompany(fieldsOf(req)) });
  });
  r.post('/contacts', (req, res) => {
    res.status(201).json({ id: p.createContact(fieldsOf(req)) });
  });
  r.post('/leads', (req, res) => {
    res.status(201).json({ id: p.createLead(fieldsOf(req)) });
  });
  r.patch('/leads/:id', (req, res) => {
    p.updateLead(idOf(req), fieldsOf(req));
    res.json(p.get('lead', idOf(req)));
  });
  r.post('/leads/:id/status', (req, res) => {
    const status = p.setLeadStatus(idOf(req), String(body(req).status ?? ''));
    res.json({ statusId: status, lead: p.get('lead', idOf(req)) });
  });
}

/** Raw records, the clock, and the state as a whole (save, load, reset). */
function portalRoutes(r: Router, deps: AdminDeps): void {
  const p = deps.portal;
  r.get('/records/:collection', (req, res) => {
    const name = String(req.params.collection);
    if (!(name in p.state) || name === 'credentials') {
      res.status(404).json({ error: `no collection ${name}` });
      return;
    }
    res.json(p.records(name as keyof typeof p.state));
  });
  r.post('/clock', (req, res) => {
    const b = body(req);
    const ms = Number(b.advanceSeconds ?? 0) * 1000 + Number(b.advanceDays ?? 0) * 86_400_000;
    if (!Number.isFinite(ms)) throw new Error('advanceSeconds / advanceDays must be numbers');
    p.advanceClock(ms);
    res.json(p.summary().clock);
  });
  r.post('/save', (req, res) => {
    res.json({ file: p.save(optionalString(body(req).file)) });
  });
  r.post('/load', (req, res) => {
    res.json({ file: p.load(optionalString(body(req).file)) });
  });
  r.get('/settings', (_req, res) => {
    res.json(p.settings);
  });
  r.patch('/settings', (req, res) => {
    res.json(p.configure(body(req)));
  });
  r.patch('/users/:id', (req, res) => {
    const active = body(req).active;
    if (typeof active !== 'boolean') throw new Error('active must be true or false');
    p.setUserActive(idOf(req), active);
    res.json({ id: idOf(req), active });
  });
  r.post('/reset', (req, res) => {
    const b = body(req);
    const seed = b.seed === 'empty' ? 'empty' : 'demo';
    p.reset(seed, optionalString(b.profile));
    deps.callLog.clear();
    deps.resetLimits();
    res.json(p.summary());
  });
}

export function adminRouter(deps: AdminDeps): Router {
  const r = Router();
  r.use(express.json({ limit: '5mb' }));
  r.use(requireToken(() => deps.token()));
  sandboxRoutes(r, deps);
  dealRoutes(r, deps.portal);
  clientAndLeadRoutes(r, deps.portal);
  portalRoutes(r, deps);
  r.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const message = err instanceof RestError ? err.description : err instanceof Error ? err.message : String(err);
    res.status(400).json({ error: message });
  });
  return r;
}
