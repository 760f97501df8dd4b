/**
 * Step "plan" of the lost-deal reactivation: the return date of the element's current loss
 * (the domain's planReturn over the CRM facts), with the bounds of a manager's date.
 */
import { durationMs, managerDateBoundsMs, planReturn } from '../../domain';
import type { LostPlan, LostPlanRequest } from '../contracts';
import { lossKeyOf } from '../loss-key';
import type { ActivityDeps } from '../shared';
import { loadElement, nowOf } from './element';
import { createLearnedReader, sectionsOf } from './learned';
import { clientKeyOf } from '../../shared/names';

export function createPlanActivities(deps: ActivityDeps) {
  const pastConversionsOf = createLearnedReader(deps);

  async function planLostReactivation(req: LostPlanRequest): Promise<LostPlan> {
    const loaded = await loadElement(deps, req.entity, req.lostElementId);
    if (!loaded) return { decision: 'skip', why: `${req.entity} ${req.lostElementId} was deleted` };
    const { element, found, facts: f } = loaded;
    if ('why' in found) return { decision: 'skip', why: found.why };
    const { rule } = found;
    const at = nowOf(deps);
    const plan = planReturn(
      rule,
      {
        lostAt: f.lostAt ? new Date(f.lostAt) : undefined,
        amount: f.amount,
        sourceId: f.sourceId,
        fields: f.fields,
        sectionIds: await sectionsOf(deps, f.productIds, rule),
        pastConversionsMs: await pastConversionsOf(rule, at),
        managerReturnAt: req.managerReturnAt,
      },
      at,
    );
    const zone = rule.calendar.timeZone;
    return {
      decision: 'reactivate',
      why: plan.explanation,
      reason: { stageId: rule.reason.key, name: rule.reason.name },
      returnAt: plan.returnAt.toISOString(),
      basis: plan.basis,
      maxAttempts: rule.maxReactivations,
      managerDateBounds: managerDateBoundsMs(rule.managerDates, at, zone),
      remindAt: plan.remindAt.map((d) => d.toISOString()),
      followUpCheckMs: durationMs(rule.followUpEvery, at, zone),
      responsibleId: f.managerId ?? 0,
      title: f.title,
      clientKey: f.client ? clientKeyOf(f.client.kind, f.client.id) : undefined,
      lossKey: lossKeyOf(element.entity === 'deal' ? element.ctx.deal : element.lead),
    };
  }

  return { planLostReactivation };
}
