// The worker's workflowsPath: every workflow type the task queue serves.
export { crmEvents } from './crm-events';
export { lostDealReactivation } from './lost-deal';
export { clientReactivation } from './client';
export { expiryReminders } from './expiry';
export { reconcile } from './reconcile';
export { dormantScan } from './dormant-scan';
