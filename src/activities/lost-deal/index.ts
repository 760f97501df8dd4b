/**
 * Activities of the lost-deal reactivation, one file per step (plan, notify, prepare, create,
 * follow) over one loader (element.ts): thin adapters between the pure rules (src/domain) and
 * the Bitrix24 client. Each is safe to retry: reads are reads, and every write is keyed
 * (ORIGIN_ID of the reactivation deal, a marker in the to-do) so a retry finds what an earlier
 * try already did. The names of the activities are what workflows and recorded histories call.
 */
import { withTaxonomy, type ActivityDeps } from '../shared';
import { createCreateActivities } from './create';
import { createFollowActivities } from './follow';
import { createNotifyActivities } from './notify';
import { createPlanActivities } from './plan';
import { createPrepareActivities } from './prepare';

export function createLostDealActivities(deps: ActivityDeps) {
  return withTaxonomy({
    ...createPlanActivities(deps),
    ...createNotifyActivities(deps),
    ...createPrepareActivities(deps),
    ...createCreateActivities(deps),
    ...createFollowActivities(deps),
  }, deps.log);
}

export type LostDealActivities = ReturnType<typeof createLostDealActivities>;
