// The worker's workflowsPath: every workflow type the task queue serves.
import type { ClientWorkflow } from './client.messages';
import type { CrmEventsWorkflow } from './crm-events.messages';
import type { ExpiryWorkflow } from './expiry.messages';
import type { LostDealWorkflow } from './lost-deal.messages';
import type { clientReactivation } from './client';
import type { crmEvents } from './crm-events';
import type { expiryReminders } from './expiry';
import type { lostDealReactivation } from './lost-deal';

export { crmEvents } from './crm-events';
export { lostDealReactivation } from './lost-deal';
export { clientReactivation } from './client';
export { expiryReminders } from './expiry';
export { reconcile } from './reconcile';
export { dormantScan } from './dormant-scan';

/**
 * Compile-time check: each body has the signature its contract (`*.messages.ts`) promises, so
 * the starters (src/temporal/starter.ts), which call workflows by type name without importing
 * their code, cannot drift from them.
 */
type Implements<Contract, Body extends Contract> = Body;
export type WorkflowContracts = [
  Implements<CrmEventsWorkflow, typeof crmEvents>,
  Implements<LostDealWorkflow, typeof lostDealReactivation>,
  Implements<ClientWorkflow, typeof clientReactivation>,
  Implements<ExpiryWorkflow, typeof expiryReminders>,
];
