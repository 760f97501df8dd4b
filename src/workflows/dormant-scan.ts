/**
 * Dormant clients (run by a Temporal Schedule): start the purchase cycle of every client whose
 * latest purchase has no running workflow — clients who bought before installation, or whose
 * event was lost. A dry run only reports.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { DispatchActivities, DormantReport } from '../activities/dispatch';
import { crmScan, failRun } from './common';

const { scanDormantClients } = proxyActivities<DispatchActivities>(crmScan);

export async function dormantScan({ dryRun = false }: { dryRun?: boolean } = {}): Promise<DormantReport> {
  try {
    return await scanDormantClients({ dryRun });
  } catch (error) {
    throw failRun(error, 'the dormant client scan', () => undefined);
  }
}
