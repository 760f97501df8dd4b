/**
 * Names shared by the worker, the API, the CLI and the workflows.
 * Workflow ids are built here and only here, from business keys, so that a repeated webhook,
 * the reconciler and a manager always reach the same execution.
 */

export const TASK_QUEUE = 'reactivation';

/** How the service names itself to Bitrix24: ORIGINATOR_ID of what it creates, CLIENT_ID of notification tags. */
export const SERVICE_ID = 'b24-reactivation';

export type CrmEntity = 'deal' | 'lead';
export type ClientKind = 'company' | 'contact';

/** One lost deal (or lead) = one reactivation workflow. */
export function lostWorkflowId(entity: CrmEntity, id: number | string): string {
  return `reactivation-${entity}-${id}`;
}

/**
 * The durable inbox of one CRM element: every Bitrix24 event (webhook, reconciliation) for
 * deal 1234 goes to `crm-events-deal-1234`, which reads the element once and starts or signals
 * the scenario workflows.
 */
export function crmEventsWorkflowId(entity: CrmEntity, id: number | string): string {
  return `crm-events-${entity}-${id}`;
}

/** One client = one purchase-cycle workflow. */
export function clientWorkflowId(kind: ClientKind, id: number | string): string {
  return `client-${kind}-${id}`;
}

/** One expiry date of one sold deal = one reminder workflow. */
export function expiryWorkflowId(dealId: number | string): string {
  return `expiry-deal-${dealId}`;
}

/**
 * Custom search attributes the product registers on the namespace and upserts from workflows.
 * Ops filter the Temporal Web UI by them, e.g. `DealId = 1234` or `Phase = "waiting"`.
 */
export const SEARCH_ATTRIBUTES = {
  DealId: 'Int',
  LeadId: 'Keyword',
  ClientId: 'Keyword',
  LossReason: 'Keyword',
  Responsible: 'Int',
  Phase: 'Keyword',
  NextWakeUp: 'Datetime',
  Attempt: 'Int',
  Scenario: 'Keyword',
  Products: 'KeywordList',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
