/**
 * The durable inbox of one CRM element. The webhook bridge and the reconciler hand every event
 * of deal/lead N to `crm-events-<entity>-N` with signal-with-start and answer at once; this
 * workflow reads the element once per burst of events and starts or signals the scenarios
 * (lost-deal reactivation, client purchase cycle, expiry reminders). Repeated deliveries of
 * one event cost one re-read, never a second scenario workflow.
 */
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DispatchActivities } from '../activities/dispatch';
import type { CrmEventNotice, DispatchReport } from '../activities/contracts';
import { crmEventSignal, crmEventsReportQuery, type CrmEventsInput } from './crm-events.messages';
import { crmCall, failRun } from './common';

const { dispatchCrmEvents } = proxyActivities<DispatchActivities>(crmCall);

export async function crmEvents({ entity, id }: CrmEventsInput): Promise<DispatchReport[]> {
  const inbox: CrmEventNotice[] = [];
  const reports: DispatchReport[] = [];
  setHandler(crmEventSignal, (notice) => {
    inbox.push(notice);
  });
  setHandler(crmEventsReportQuery, () => reports);

  // Started by signal-with-start: the first event arrives with the start.
  await condition(() => inbox.length > 0, '1 minute');
  try {
    do {
      const events = inbox.splice(0);
      reports.push(await dispatchCrmEvents({ entity, id, events }));
    } while (inbox.length > 0);
  } catch (error) {
    // The next event of the element starts a new inbox run (signal-with-start).
    throw failRun(error, `the event inbox of ${entity} ${id}`, () => undefined);
  }
  return reports;
}
