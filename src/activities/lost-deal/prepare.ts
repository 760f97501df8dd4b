/**
 * Step "prepare" of the lost-deal reactivation, at the return date: is the loss still there and
 * the client free (no active deal, no purchase since), who takes it, and does the responsible's
 * daily cap move it to a later slot.
 */
import { DateTime } from 'luxon';
import type { Deal } from '../../bitrix24';
import { restDateTime } from '../../bitrix24';
import { applyDailyCap, clientBusy, clientOfDeal, localDay, type EffectiveLostRule } from '../../domain';
import type { PrepareRequest, PrepareResult } from '../contracts';
import { clientFilter } from '../purchases';
import { originKey } from '../../shared/names';
import { assign, ORIGINATOR, type ActivityDeps } from '../shared';
import { loadElement, nowOf } from './element';

export function createPrepareActivities(deps: ActivityDeps) {
  async function prepareReactivation(req: PrepareRequest): Promise<PrepareResult> {
    const loaded = await loadElement(deps, req.entity, req.lostElementId);
    if (!loaded) return { proceed: false, why: `${req.entity} ${req.lostElementId} was deleted meanwhile` };
    const { element, found, facts: f } = loaded;
    if ('why' in found) return { proceed: false, why: `${found.why} (changed meanwhile)` };
    const { rule } = found;
    const existing = req.entity === 'deal' ? await deps.crm.findDealByOrigin(ORIGINATOR, originKey(req.workflowId, req.attempt)) : null;
    if (!existing && element.entity === 'deal') {
      const busy = await clientActivity(deps, element.ctx.deal);
      if (busy) return { proceed: false, why: busy };
    }
    const decision = await assign(deps, rule.responsible, f.managerId);
    if (!decision.decided) return { proceed: false, why: `nobody to assign: ${decision.why}` };
    if (existing || rule.dailyCap === null) return { proceed: true, responsibleId: decision.userId, responsibleWhy: decision.why };
    const slot = await dailyCapSlot(deps, rule, rule.dailyCap, decision.userId);
    return {
      proceed: true,
      responsibleId: decision.userId,
      responsibleWhy: decision.why,
      ...(slot.moved ? { notBefore: slot.at.toISOString() } : {}),
    };
  }

  return { prepareReactivation };
}

/** "The client has an active deal / bought since": one batch request, or undefined. */
async function clientActivity(deps: ActivityDeps, deal: Deal): Promise<string | undefined> {
  const ref = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, 'companyOrContact');
  if (!ref) return undefined;
  const client = clientFilter(ref);
  const since = deal.movedAt ?? deal.modifiedAt ?? deal.createdAt;
  const { results } = await deps.b24.batch<unknown[]>(
    {
      open: { method: 'crm.deal.list', params: { filter: { ...client, CLOSED: 'N', '!ID': deal.id }, select: ['ID', 'ORIGINATOR_ID'] } },
      won: {
        method: 'crm.deal.list',
        params: { filter: { ...client, STAGE_SEMANTIC_ID: 'S', ...(since ? { '>CLOSEDATE': since } : {}) }, select: ['ID'] },
      },
    },
    { allOrThrow: true },
  );
  const open = (results.open ?? []) as { ID: string; ORIGINATOR_ID?: string | null }[];
  const won = (results.won ?? []) as { ID: string }[];
  return clientBusy(
    open.map((d) => ({ id: d.ID, ours: d.ORIGINATOR_ID === ORIGINATOR })),
    won.map((d) => ({ id: d.ID })),
  );
}

/** The first slot the responsible's daily cap allows: today's count of our deals is one request. */
async function dailyCapSlot(deps: ActivityDeps, rule: EffectiveLostRule, cap: number, userId: number) {
  const at = nowOf(deps);
  const zone = rule.calendar.timeZone;
  const today = localDay(at, zone);
  const startOfDay = DateTime.fromJSDate(at, { zone }).startOf('day').toJSDate();
  const created = await deps.b24.callEnvelope<unknown[]>('crm.deal.list', {
    filter: { ORIGINATOR_ID: ORIGINATOR, ASSIGNED_BY_ID: userId, '>=DATE_CREATE': restDateTime(startOfDay) },
    select: ['ID'],
  });
  return applyDailyCap(at, { [today]: created.total ?? created.result.length }, cap, rule.calendar);
}
