/**
 * Setup phase 4: the outbound event handlers (event.get / event.bind), and the steps for the
 * admin when the portal refuses them to an inbound webhook (an outbound webhook by hand).
 */
import { APPLICATION_ONLY_EVENTS, OUTGOING_WEBHOOK_EVENTS } from '../domain/routing';
import { failure, report, type Run } from './run';

/**
 * The outbound events the bridge (src/api/bitrix24-events.ts) turns into inbox hand-offs, as an
 * outgoing webhook can receive them (src/domain/routing.ts: ONCRMDEALMOVETOCATEGORY is for
 * applications only).
 */
export const REQUIRED_EVENTS = OUTGOING_WEBHOOK_EVENTS;

/** Path of the event handler under PUBLIC_URL (src/api/app.ts mounts the bridge at /b24). */
export const EVENTS_PATH = '/b24/events';

// ---- 4. Event handlers ----------------------------------------------------------------------

export interface EventSetup {
  /** `<PUBLIC_URL>/b24/events`; undefined when PUBLIC_URL is not set. */
  handler?: string;
  /** Why the handlers have to be registered by hand; undefined when they need not be. */
  manual?: string;
}

export async function ensureEventSetup(run: Run): Promise<EventSetup> {
  const { deps, check } = run;
  deps.reporter.line('Event handlers');
  const handler = deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, '')}${EVENTS_PATH}` : undefined;
  let manual: string | undefined;
  if (!handler) {
    report(run, { kind: 'config', subject: 'PUBLIC_URL', status: check ? 'missing' : 'manual', detail: `not set: Bitrix24 needs the public URL of the service to send events to (<PUBLIC_URL>${EVENTS_PATH})` });
    manual = 'PUBLIC_URL is not set';
  } else {
    manual = await ensureEvents(run, handler);
  }
  if (!deps.appTokenSet) {
    report(run, {
      kind: 'config',
      subject: 'B24_APP_TOKEN',
      status: check ? 'missing' : 'manual',
      detail: 'not set: the service accepts events only with the application token of the outbound webhook',
    });
  }
  return { handler, manual };
}

async function ensureEvents(run: Run, url: string): Promise<string | undefined> {
  let bound: { event: string; handler: string }[];
  try {
    bound = await run.deps.crm.eventGet();
  } catch (error) {
    const why = `event.get refused (${failure(error)}): an inbound webhook cannot read or bind event handlers`;
    report(run, { kind: 'events', subject: `${REQUIRED_EVENTS.length} events → ${url}`, status: 'manual', detail: why });
    return why;
  }
  let refused: string | undefined;
  for (const event of REQUIRED_EVENTS) {
    const subject = `${event} → ${url}`;
    if (bound.some((b) => b.event.toUpperCase() === event && sameUrl(b.handler, url))) {
      report(run, { kind: 'events', subject, status: 'ok' });
      continue;
    }
    if (run.check) {
      report(run, { kind: 'events', subject, status: 'missing' });
      continue;
    }
    if (refused) {
      report(run, { kind: 'events', subject, status: 'manual' });
      continue;
    }
    try {
      await run.deps.crm.eventBind({ event, handler: url });
      report(run, { kind: 'events', subject, status: 'created' });
    } catch (error) {
      refused = `event.bind refused (${failure(error)}): only an application may bind events`;
      report(run, { kind: 'events', subject, status: 'manual', detail: refused });
    }
  }
  return refused;
}

/** What the admin does when the webhook may not bind events: an outbound webhook. */
export function outboundWebhookSteps(handler: string | undefined): string[] {
  return [
    '1. Bitrix24 → Applications → Developer resources → Other → Outgoing webhook',
    `2. Handler URL: ${handler ?? `<PUBLIC_URL>${EVENTS_PATH}  (set PUBLIC_URL: the address at which Bitrix24 reaches this service, https)`}`,
    `3. Events: ${REQUIRED_EVENTS.join(', ')}`,
    `   (${APPLICATION_ONLY_EVENTS.join(', ')} — a deal moved to another pipeline — is not available to outgoing webhooks:`,
    '   only an application can subscribe to it. The reconciliation finds those moves, so keep it on: RECONCILE_EVERY must not be off.)',
    '4. Save, copy the webhook\'s "Application token" and set it as B24_APP_TOKEN of the service (then restart it).',
    '   Deliveries lost meanwhile are picked up by the reconciliation; `npm run backfill` imports the history.',
  ];
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
