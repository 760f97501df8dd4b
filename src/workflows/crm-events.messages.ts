/** The element inbox workflow's contract: its input and messages. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CrmEventNotice, DispatchReport } from '../activities/contracts';
import type { CrmEntity } from '../shared/names';

export interface CrmEventsInput {
  entity: CrmEntity;
  id: number;
}

export const crmEventSignal = defineSignal<[CrmEventNotice]>('crmEvent');
export const crmEventsReportQuery = defineQuery<DispatchReport[]>('report');

/** The workflow type, as its starters (src/temporal/starter.ts) name and call it. */
export const CRM_EVENTS_WORKFLOW = 'crmEvents';
export type CrmEventsWorkflow = (input: CrmEventsInput) => Promise<DispatchReport[]>;
