/**
 * event.bind / unbind / get and event.offline.get / clear / list / error
 * (api-reference/events/event-*.md, offline-events.md).
 *
 * All of them work ONLY with application (OAuth) authorization: through an inbound webhook the
 * portal answers 403 WRONG_AUTH_TYPE (event-bind.md: "The method works only within the context
 * of application authorization"). An integration that calls through an inbound webhook receives
 * events through an OUTGOING webhook configured in the portal UI — in the sandbox: the
 * `outgoingWebhooks` option, `portal.addOutgoingWebhook()` or POST /_sandbox/outgoing-webhooks.
 * Offline events and the offline queue need an administrator.
 */
import { Errors, RestError } from '../errors';
import { BINDABLE_EVENTS } from '../events';
import { compileFilter, compileOrder, paginate, type FieldDef } from '../query';
import { lookupOf } from '../crm/fields';
import { nextId, randomHex, type OfflineEventRec } from '../store';
import { formatDateTime, isPhpArray, isPlainObject, phpValues, toInt, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

function upperKeys(p: Params): Params {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k.toUpperCase(), v]));
}
function lowerKeys(p: Params): Params {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k.toLowerCase(), v]));
}

function eventType(q: Params): 'online' | 'offline' {
  const t = String(q.EVENT_TYPE ?? '').toLowerCase();
  if (t === '') return 'online';
  if (t !== 'online' && t !== 'offline') throw Errors.argument('Value must be one of {online|offline}');
  return t;
}

function bind(p: Params, ctx: CallContext): MethodOutput {
  const q = upperKeys(p);
  const event = String(q.EVENT ?? '').toUpperCase();
  const type = eventType(q);
  let authType = toInt(q.AUTH_TYPE ?? 0) || 0;
  let handler = String(q.HANDLER ?? '');
  if (authType > 0 && !ctx.isAdmin && authType !== ctx.userId) throw Errors.accessDenied('Event binding with AUTH_TYPE requires administrator access rights');
  if (authType === 0 && !ctx.isAdmin) authType = ctx.userId;
  if (!event) throw Errors.argumentNull('EVENT');
  if (type === 'offline') {
    if (!ctx.isAdmin) throw Errors.accessDenied('Offline events binding requires administrator access rights');
    handler = '';
    authType = 0;
  } else {
    if (!handler) throw Errors.argumentNull('HANDLER');
    let url: URL | null = null;
    try {
      url = new URL(handler);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new RestError(400, 'ERROR_ARGUMENT', 'Handler URL is invalid');
  }
  if (!BINDABLE_EVENTS.includes(event)) throw new RestError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
  const connector = String(q.AUTH_CONNECTOR ?? '');
  const state = ctx.portal.state;
  const exists = state.handlers.some(
    (h) => h.OWNER === 'app' && h.EVENT_NAME === event && h.HANDLER === handler && h.AUTH_TYPE === authType && h.CONNECTOR_ID === connector && h.OFFLINE === (type === 'offline'),
  );
  if (exists) throw new RestError(400, 'ERROR_HANDLER_ALREADY_EXIST', 'Handler already exists!');
  state.handlers.push({ ID: nextId(state, 'handler'), EVENT_NAME: event, HANDLER: handler, AUTH_TYPE: authType, OFFLINE: type === 'offline', CONNECTOR_ID: connector, OWNER: 'app' });
  return { result: true };
}

function unbind(p: Params, ctx: CallContext): MethodOutput {
  const q = upperKeys(p);
  const event = String(q.EVENT ?? '').toUpperCase();
  const type = eventType(q);
  if (!event) throw Errors.argumentNull('EVENT');
  const handler = type === 'offline' ? '' : String(q.HANDLER ?? '');
  if (type === 'offline' && !ctx.isAdmin) throw Errors.accessDenied('Offline events unbinding requires administrator access rights');
  if (type === 'online' && !handler) throw Errors.argumentNull('HANDLER');
  const connector = String(ctx.raw.auth_connector ?? '');
  let authType: number | undefined;
  if (type === 'online' && q.AUTH_TYPE !== undefined) {
    authType = toInt(q.AUTH_TYPE) || 0;
    if (!ctx.isAdmin && authType !== ctx.userId) throw Errors.accessDenied('Event unbinding with AUTH_TYPE requires administrator access rights');
  } else if (type === 'online' && !ctx.isAdmin) authType = ctx.userId;
  const state = ctx.portal.state;
  const match = (h: (typeof state.handlers)[number]) =>
    h.OWNER === 'app' &&
    h.EVENT_NAME === event &&
    h.HANDLER === handler &&
    h.OFFLINE === (type === 'offline') &&
    (type === 'offline' ? h.CONNECTOR_ID === connector : authType === undefined || h.AUTH_TYPE === authType);
  const count = state.handlers.filter(match).length;
  state.handlers = state.handlers.filter((h) => !match(h));
  return { result: { count } };
}

function get(_p: Params, ctx: CallContext): MethodOutput {
  const list = ctx.portal.state.handlers
    .filter((h) => h.OWNER === 'app' && (ctx.isAdmin || h.AUTH_TYPE === ctx.userId))
    .sort((a, b) => a.ID - b.ID)
    .map((h) =>
      h.OFFLINE
        ? { event: h.EVENT_NAME, connector_id: h.CONNECTOR_ID, offline: 1 }
        : { event: h.EVENT_NAME, handler: h.HANDLER, auth_type: String(h.AUTH_TYPE), offline: 0 },
    );
  return { result: list };
}

// --- offline queue -------------------------------------------------------------------------------

const OFFLINE_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'TIMESTAMP_X', type: 'datetime', title: 'TIMESTAMP_X' },
  { name: 'EVENT_NAME', type: 'string', title: 'EVENT_NAME' },
  { name: 'MESSAGE_ID', type: 'string', title: 'MESSAGE_ID' },
  { name: 'PROCESS_ID', type: 'string', title: 'PROCESS_ID' },
  { name: 'ERROR', type: 'integer', title: 'ERROR' },
];
const GET_FILTERABLE = new Set(['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'MESSAGE_ID']);

function sanitize(v: unknown, allowed: Set<string>): Record<string, unknown> {
  if (!isPlainObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([k]) => allowed.has(k.replace(/^[!<>=@%]+/, ''))));
}

function offlineOut(e: OfflineEventRec, tz: number, extended = false): Record<string, unknown> {
  return {
    ID: String(e.ID),
    TIMESTAMP_X: formatDateTime(e.TIMESTAMP_X, tz),
    EVENT_NAME: e.EVENT_NAME,
    EVENT_DATA: e.EVENT_DATA,
    EVENT_ADDITIONAL: e.EVENT_ADDITIONAL,
    MESSAGE_ID: e.MESSAGE_ID,
    ...(extended ? { PROCESS_ID: e.PROCESS_ID, ERROR: String(e.ERROR) } : {}),
  };
}

function requireAdmin(ctx: CallContext): void {
  if (!ctx.isAdmin) throw Errors.accessDenied();
}

function offlineGet(p: Params, ctx: CallContext): MethodOutput {
  requireAdmin(ctx);
  const q = lowerKeys(p);
  const clear = q.clear === undefined ? 1 : toInt(q.clear) || 0;
  let processId = q.process_id !== undefined ? String(q.process_id).trim() : null;
  const limit = q.limit !== undefined ? toInt(q.limit) : 50;
  if (!(limit > 0)) throw Errors.argument('Value must be positive integer');
  const getErrors = toInt(q.error ?? 0) === 1;
  const connector = String(q.auth_connector ?? '');
  const lookup = lookupOf(OFFLINE_DEFS);
  const qc = { tzOffsetMinutes: ctx.portal.tz };
  const pred = compileFilter(sanitize(q.filter, GET_FILTERABLE), lookup, qc);
  const order = sanitize(q.order, GET_FILTERABLE);
  const sorter = compileOrder(Object.keys(order).length ? order : { TIMESTAMP_X: 'ASC' }, lookup, qc);
  const state = ctx.portal.state;
  let returnProcessId = !clear;
  const base = (e: OfflineEventRec) => e.CONNECTOR_ID === connector && e.ERROR === (getErrors ? 1 : 0);
  if (processId === null) {
    // Mark a fresh set of unclaimed records with a new process id.
    processId = randomHex(16);
    const pick = state.offlineEvents.filter((e) => base(e) && e.PROCESS_ID === '' && pred(e as unknown as Record<string, unknown>)).sort((a, b) => sorter(a as never, b as never)).slice(0, limit);
    for (const e of pick) e.PROCESS_ID = processId;
  } else {
    returnProcessId = true;
  }
  const pid = processId;
  const events = state.offlineEvents
    .filter((e) => base(e) && e.PROCESS_ID === pid)
    .sort((a, b) => sorter(a as never, b as never))
    .slice(0, limit);
  const result = events.map((e) => offlineOut(e, ctx.portal.tz));
  if (clear && events.length) {
    const ids = new Set(events.map((e) => e.ID));
    state.offlineEvents = state.offlineEvents.filter((e) => !ids.has(e.ID));
  }
  return { result: { process_id: returnProcessId ? pid : null, events: result }, rows: events.length };
}

function offlineClear(p: Params, ctx: CallContext): MethodOutput {
  requireAdmin(ctx);
  const q = lowerKeys(p);
  if (q.process_id === undefined) throw Errors.argumentNull('PROCESS_ID');
  const processId = String(q.process_id).trim();
  const connector = String(q.auth_connector ?? '');
  let ids: Set<number> | null = null;
  let messageIds: Set<string> | null = null;
  if (q.message_id !== undefined) {
    if (!isPhpArray(q.message_id)) throw Errors.argument('Value must be array of MESSAGE_ID values');
    messageIds = new Set(phpValues(q.message_id).map((m) => String(m).trim()));
    for (const m of messageIds) if (m.length !== 32) throw Errors.argument('Value must be array of MESSAGE_ID values');
  } else if (q.id !== undefined) {
    if (!isPhpArray(q.id)) throw Errors.argument('Value must be array of integers');
    ids = new Set(phpValues(q.id).map(toInt));
    for (const i of ids) if (!(i > 0)) throw Errors.argument('Value must be array of integers');
  }
  const state = ctx.portal.state;
  state.offlineEvents = state.offlineEvents.filter(
    (e) => !(e.PROCESS_ID === processId && e.CONNECTOR_ID === connector && (!ids || ids.has(e.ID)) && (!messageIds || messageIds.has(e.MESSAGE_ID))),
  );
  return { result: true };
}

function offlineError(p: Params, ctx: CallContext): MethodOutput {
  requireAdmin(ctx);
  const q = lowerKeys(p);
  if (q.process_id === undefined) throw Errors.argumentNull('PROCESS_ID');
  if (!isPhpArray(q.message_id)) throw Errors.argument('Value must be array of MESSAGE_ID values');
  const processId = String(q.process_id).trim();
  const ids = new Set(phpValues(q.message_id).map(String));
  for (const e of ctx.portal.state.offlineEvents) if (e.PROCESS_ID === processId && ids.has(e.MESSAGE_ID)) e.ERROR = 1;
  return { result: true };
}

function offlineList(p: Params, ctx: CallContext): MethodOutput {
  requireAdmin(ctx);
  const q = lowerKeys(p);
  const all = new Set(OFFLINE_DEFS.map((d) => d.name));
  const lookup = lookupOf(OFFLINE_DEFS);
  const qc = { tzOffsetMinutes: ctx.portal.tz };
  const connector = String(q.auth_connector ?? '');
  const rows = ctx.portal.state.offlineEvents
    .filter((e) => e.CONNECTOR_ID === connector)
    .filter((e) => compileFilter(sanitize(q.filter, all), lookup, qc)(e as unknown as Record<string, unknown>))
    .sort((a, b) => compileOrder(sanitize(q.order, all), lookup, qc)(a as never, b as never));
  const page = paginate(rows, q.start);
  return { result: page.rows.map((e) => offlineOut(e, ctx.portal.tz, true)), total: page.total, next: page.next, rows: page.rows.length };
}

const app = { scope: 'basic' as const, appOnly: true };

export const eventMethods: MethodTable = {
  'event.bind': { ...app, write: true, run: bind },
  'event.unbind': { ...app, write: true, run: unbind },
  'event.get': { ...app, run: get },
  'event.offline.get': { ...app, write: true, run: offlineGet },
  'event.offline.clear': { ...app, write: true, run: offlineClear },
  'event.offline.error': { ...app, write: true, run: offlineError },
  'event.offline.list': { ...app, run: offlineList },
};
