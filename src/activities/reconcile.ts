/**
 * Reconciliation: list the deals and leads changed since the watermark (paged by ID, within
 * the REST limits), read the offline-event queue where the portal keeps one, and hand every
 * element that may concern a scenario (src/domain/routing.ts) to its inbox workflow through the
 * one starter — the same hand-off as the webhook.
 */
import { heartbeat } from '@temporalio/activity';
import { restDateTime } from '../bitrix24';
import { entityOfEvent, mayConcern } from '../domain/routing';
import type { CrmEntity } from '../shared/names';
import { createStarter } from '../temporal/starter';
import type { ReconcileReport } from './contracts';
import { ORIGINATOR, withTaxonomy, type ActivityDeps } from './shared';

/** Changes made just before a watermark may become visible late: look this far back again. */
const OVERLAP_MS = 2 * 60 * 1000;

export function createReconcileActivities(deps: ActivityDeps & { offlineEvents?: boolean }) {
  const now = () => deps.now?.() ?? new Date();
  const starter = createStarter(deps.temporal, deps.taskQueue);

  async function reconcileChanges({ since }: { since: string }): Promise<ReconcileReport> {
    const startedAt = now();
    const from = restDateTime(Date.parse(since) - OVERLAP_MS);
    const before = deps.b24.requestCount;
    const elements = new Map<string, { entity: CrmEntity; id: number }>();
    const report: ReconcileReport = { watermark: startedAt.toISOString(), since, scanned: { deals: 0, leads: 0, offlineEvents: 0 }, handedOff: 0, sample: [], restCalls: 0 };

    for await (const page of deps.b24.iterate<{ ID: string; STAGE_SEMANTIC_ID?: string; ORIGINATOR_ID?: string | null }>(
      'crm.deal.list',
      { filter: { '>=DATE_MODIFY': from }, select: ['ID', 'STAGE_SEMANTIC_ID', 'ORIGINATOR_ID'] },
      { fastById: true },
    )) {
      report.scanned.deals += page.length;
      for (const row of page) {
        if (mayConcern('deal', { semantic: row.STAGE_SEMANTIC_ID, ours: row.ORIGINATOR_ID === ORIGINATOR })) {
          elements.set(`deal-${row.ID}`, { entity: 'deal', id: Number(row.ID) });
        }
      }
      heartbeat(report.scanned);
    }
    for await (const page of deps.b24.iterate<{ ID: string; STATUS_SEMANTIC_ID?: string }>(
      'crm.lead.list',
      { filter: { '>=DATE_MODIFY': from }, select: ['ID', 'STATUS_SEMANTIC_ID'] },
      { fastById: true },
    )) {
      report.scanned.leads += page.length;
      for (const row of page) if (mayConcern('lead', { semantic: row.STATUS_SEMANTIC_ID })) elements.set(`lead-${row.ID}`, { entity: 'lead', id: Number(row.ID) });
      heartbeat(report.scanned);
    }
    if (deps.offlineEvents) {
      const { events } = await deps.crm.eventOfflineGet({ clear: true, limit: 1000 });
      report.scanned.offlineEvents = events.length;
      for (const event of events) {
        const id = Number((event.data as { FIELDS?: { ID?: unknown } } | null)?.FIELDS?.ID);
        const entity = entityOfEvent(event.event);
        if (!Number.isInteger(id) || id <= 0 || !entity) continue;
        elements.set(`${entity}-${id}`, { entity, id });
      }
    }
    for (const [key, { entity, id }] of elements) {
      await starter.handOffEvent(entity, id, { event: 'RECONCILE', at: startedAt.toISOString(), source: 'reconcile' });
      report.handedOff++;
      if (report.sample.length < 100) report.sample.push(key);
    }
    report.restCalls = deps.b24.requestCount - before;
    deps.log.info('reconciliation done', { since, handedOff: report.handedOff, scanned: report.scanned, restCalls: report.restCalls });
    return report;
  }

  return withTaxonomy({ reconcileChanges }, deps.log);
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
