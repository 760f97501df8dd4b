/**
 * Outbound events, the way the portal sends them (api-reference/events/index.md):
 *  - an application/x-www-form-urlencoded POST: event, event_handler_id, data[FIELDS][ID], ts,
 *    auth[...] (outgoing webhooks get domain, client_endpoint, server_endpoint, member_id and
 *    application_token; application handlers also get the OAuth token fields);
 *  - through a queue, asynchronously; a failed delivery is logged and DROPPED ("No retries").
 * Offline events (offline-events.md): per binding, one queue record per object and event — a
 * repeated change only refreshes the record's TIMESTAMP_X — read by event.offline.get.
 */
import { createHash } from 'node:crypto';
import type { Origin } from './crm/entities';
import type { HandlerRec, OfflineEventRec, PortalState } from './store';
import { nextId } from './store';
import { buildPhpQuery, type Rng } from './util';

export const BINDABLE_EVENTS = [
  'ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMDEALDELETE', 'ONCRMDEALMOVETOCATEGORY',
  'ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMLEADDELETE',
  'ONCRMCOMPANYADD', 'ONCRMCOMPANYUPDATE', 'ONCRMCOMPANYDELETE',
  'ONCRMCONTACTADD', 'ONCRMCONTACTUPDATE', 'ONCRMCONTACTDELETE',
];

/**
 * Events only an application can subscribe to (event.bind), absent from the outgoing-webhook
 * list of the portal UI: "You can subscribe to the event onCrmDealMoveToCategory only through
 * the application and the method event.bind" (crm/deals/events/index.md; events/index.md: an
 * outgoing webhook gets "Only online events available in the webhook list").
 */
export const APPLICATION_ONLY_EVENTS: readonly string[] = ['ONCRMDEALMOVETOCATEGORY'];

/** What the outgoing-webhook form of the portal UI offers. */
export const OUTGOING_WEBHOOK_EVENTS: readonly string[] = BINDABLE_EVENTS.filter((e) => !APPLICATION_ONLY_EVENTS.includes(e));

export interface Delivery {
  id: number;
  event: string;
  handlerId: number;
  url: string;
  /** The form body that was (or would have been) sent. */
  body: string;
  queuedAt: string;
  finishedAt?: string;
  outcome: 'queued' | 'delivered' | 'failed' | 'dropped';
  httpStatus?: number;
  error?: string;
}

export interface EventBusDeps {
  state(): PortalState;
  now(): number;
  baseUrl(): string;
  dropEventsPct(): number;
  rng: Rng;
  timeoutMs: number;
  concurrency?: number;
}

const MAX_LOG = 5000;

export class EventBus {
  readonly deliveries: Delivery[] = [];
  private queue: Array<{ delivery: Delivery }> = [];
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private controllers = new Set<AbortController>();

  constructor(private readonly deps: EventBusDeps) {}

  /** Called by every CRM change. */
  emit(event: string, data: Record<string, unknown>, origin: Origin): void {
    const state = this.deps.state();
    // A state saved before outgoing webhooks refused application-only events may still hold such
    // a binding: the portal never delivers those events to an outgoing webhook.
    const handlers = state.handlers.filter((h) => h.EVENT_NAME === event && !(h.OWNER === 'webhook' && APPLICATION_ONLY_EVENTS.includes(event)));
    for (const h of handlers) {
      if (h.OFFLINE) this.recordOffline(state, h, event, data, origin);
      else this.enqueue(state, h, event, data);
    }
  }

  private recordOffline(state: PortalState, h: HandlerRec, event: string, data: Record<string, unknown>, origin: Origin): void {
    // A binding made with auth_connector does not see changes made by calls with the same connector.
    if (h.CONNECTOR_ID && origin.connector === h.CONNECTOR_ID) return;
    const messageId = createHash('md5').update(`${event}|${h.CONNECTOR_ID}|${JSON.stringify(data)}`).digest('hex');
    const now = this.deps.now();
    const existing = state.offlineEvents.find((e) => e.MESSAGE_ID === messageId && e.PROCESS_ID === '' && e.CONNECTOR_ID === h.CONNECTOR_ID);
    if (existing) {
      existing.TIMESTAMP_X = now;
      existing.EVENT_ADDITIONAL = { user_id: String(origin.userId) };
      return;
    }
    const rec: OfflineEventRec = {
      ID: nextId(state, 'offlineEvent'),
      TIMESTAMP_X: now,
      EVENT_NAME: event,
      EVENT_DATA: stringifyIds(data),
      EVENT_ADDITIONAL: { user_id: String(origin.userId) },
      MESSAGE_ID: messageId,
      CONNECTOR_ID: h.CONNECTOR_ID,
      PROCESS_ID: '',
      ERROR: 0,
    };
    state.offlineEvents.push(rec);
  }

  private authFor(state: PortalState, h: HandlerRec): Record<string, string> {
    const base = this.deps.baseUrl().replace(/\/+$/, '');
    const domain = base.replace(/^https?:\/\//, '');
    const common = {
      domain,
      client_endpoint: `${base}/rest/`,
      server_endpoint: 'https://oauth.bitrix.info/rest/',
      member_id: state.credentials.memberId,
    };
    if (h.OWNER === 'webhook') {
      const hook = state.outgoingWebhooks.find((w) => w.ID === h.WEBHOOK_ID);
      return { ...common, application_token: hook?.APPLICATION_TOKEN ?? state.credentials.applicationToken };
    }
    return {
      access_token: state.credentials.appAccessToken,
      expires_in: '3600',
      scope: 'crm',
      ...common,
      status: 'L',
      application_token: state.credentials.applicationToken,
    };
  }

  private enqueue(state: PortalState, h: HandlerRec, event: string, data: Record<string, unknown>): void {
    const ts = String(Math.floor(this.deps.now() / 1000));
    const payload = { event, event_handler_id: String(h.ID), data: stringifyIds(data), ts, auth: this.authFor(state, h) };
    const delivery: Delivery = {
      id: this.deliveries.length ? this.deliveries[this.deliveries.length - 1].id + 1 : 1,
      event,
      handlerId: h.ID,
      url: h.HANDLER,
      body: buildPhpQuery(payload),
      queuedAt: new Date().toISOString(),
      outcome: 'queued',
    };
    this.deliveries.push(delivery);
    if (this.deliveries.length > MAX_LOG) this.deliveries.splice(0, this.deliveries.length - MAX_LOG);
    this.queue.push({ delivery });
    setImmediate(() => this.pump());
  }

  private pump(): void {
    const limit = this.deps.concurrency ?? 4;
    while (!this.closed && this.active < limit && this.queue.length) {
      const job = this.queue.shift()!;
      this.active++;
      void this.send(job.delivery).finally(() => {
        this.active--;
        this.pump();
        this.checkIdle();
      });
    }
    this.checkIdle();
  }

  private async send(d: Delivery): Promise<void> {
    if (this.deps.rng.chance(this.deps.dropEventsPct())) {
      d.outcome = 'dropped';
      d.finishedAt = new Date().toISOString();
      return;
    }
    const ctl = new AbortController();
    this.controllers.add(ctl);
    const timer = setTimeout(() => ctl.abort(), this.deps.timeoutMs);
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Bitrix24 Webhook Engine' },
        body: d.body,
        signal: ctl.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      d.httpStatus = res.status;
      d.outcome = res.ok ? 'delivered' : 'failed';
      if (!res.ok) d.error = `HTTP ${res.status}`;
    } catch (err) {
      d.outcome = 'failed';
      d.error = ctl.signal.aborted ? 'timeout' : describe(err);
    } finally {
      clearTimeout(timer);
      this.controllers.delete(ctl);
      d.finishedAt = new Date().toISOString();
    }
  }

  private checkIdle(): void {
    if (this.active === 0 && this.queue.length === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves when every queued delivery has finished (tests). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const c of this.controllers) c.abort();
    for (const job of this.queue) {
      job.delivery.outcome = 'dropped';
      job.delivery.error = 'sandbox closed';
    }
    this.queue = [];
    this.checkIdle();
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

/** Ids travel as strings ("data[FIELDS][ID]": "759"). */
function stringifyIds(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data, (_k, v) => (typeof v === 'number' ? String(v) : v))) as Record<string, unknown>;
}
