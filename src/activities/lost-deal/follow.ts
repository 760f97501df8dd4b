/**
 * Step "follow" of the lost-deal reactivation: what became of the reactivation (won, lost
 * again, deleted, open), and the forgotten client's element moved to its «Забытый клиент»
 * stage or status at the limit.
 */
import { forgottenStep, reactivationOutcome } from '../../domain';
import type { ElementOutcome, ForgetRequest } from '../contracts';
import type { CrmEntity } from '../../shared/names';
import type { ActivityDeps } from '../shared';
import { moveDeal } from './create';
import { nowOf, readElement } from './element';

export function createFollowActivities(deps: ActivityDeps) {
  async function readOutcome({ entity, elementId }: { entity: CrmEntity; elementId: number }): Promise<ElementOutcome> {
    const record = entity === 'deal' ? await deps.crm.getDeal(elementId) : await deps.crm.getLead(elementId);
    return reactivationOutcome(record, nowOf(deps));
  }

  async function markForgotten(req: ForgetRequest): Promise<void> {
    const element = await readElement(deps, req.entity, req.elementId);
    if (!element) return;
    const step = forgottenStep(deps.rules(), element);
    if (step.step === 'setStatus') await deps.crm.updateLead(req.elementId, { STATUS_ID: step.statusId });
    if (step.step === 'setStage') await deps.crm.updateDeal(req.elementId, { STAGE_ID: step.stageId });
    if (step.step === 'movePipeline') await moveDeal(deps, req.elementId, step);
  }

  return { readOutcome, markForgotten };
}
