/**
 * createActivities(deps): every activity the worker serves, as thin adapters over the one
 * Bitrix24 client (src/bitrix24) and the pure rules (src/domain).
 */
import { createClientActivities } from './client';
import { createDispatchActivities } from './dispatch';
import { createExpiryActivities } from './expiry';
import { createLostDealActivities } from './lost-deal';
import { createReconcileActivities } from './reconcile';
import type { ActivityDeps } from './shared';

export type { ActivityDeps } from './shared';

export function createActivities(deps: ActivityDeps & { offlineEvents?: boolean }) {
  return {
    ...createDispatchActivities(deps),
    ...createLostDealActivities(deps),
    ...createClientActivities(deps),
    ...createExpiryActivities(deps),
    ...createReconcileActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
