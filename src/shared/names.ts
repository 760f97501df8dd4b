/**
 * Names shared by the worker, the API, the CLI and the workflows.
 * Workflow ids and the ORIGIN_ID keys of what the service creates are built and parsed here and
 * only here, from business keys, so that a repeated webhook, the reconciler and a manager always
 * reach the same execution. Pure (no I/O): workflows and domain code import it too.
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

/** `company-5` / `contact-9`: how texts and plans name a client (the client cycle id without its prefix). */
export function clientKeyOf(kind: ClientKind, id: number | string): string {
  return `${kind}-${id}`;
}

/** The scenario a workflow id belongs to, with its business key. */
export type WorkflowKey =
  | { scenario: 'lost'; entity: CrmEntity; id: number }
  | { scenario: 'inbox'; entity: CrmEntity; id: number }
  | { scenario: 'client'; kind: ClientKind; id: number }
  | { scenario: 'expiry'; entity: 'deal'; id: number };

const WORKFLOW_ID = /^(reactivation|crm-events|client|expiry)-(deal|lead|company|contact)-(\d+)$/;

/** The inverse of the builders above; undefined for any other id (bench, tests, Schedules). */
export function parseWorkflowId(workflowId: string): WorkflowKey | undefined {
  const m = WORKFLOW_ID.exec(workflowId);
  if (!m) return undefined;
  const [, prefix, kind, digits] = m as unknown as [string, string, string, string];
  const id = Number(digits);
  const entity = kind === 'deal' || kind === 'lead' ? kind : undefined;
  if (prefix === 'reactivation' && entity) return { scenario: 'lost', entity, id };
  if (prefix === 'crm-events' && entity) return { scenario: 'inbox', entity, id };
  if (prefix === 'client' && (kind === 'company' || kind === 'contact')) return { scenario: 'client', kind, id };
  if (prefix === 'expiry' && kind === 'deal') return { scenario: 'expiry', entity: kind, id };
  return undefined;
}

/**
 * ORIGIN_ID of an element the service creates (with ORIGINATOR_ID = SERVICE_ID):
 * `<workflow id>#<step>`, unique per created element and stable across activity retries, so a
 * retry after a lost response finds the element instead of making a second one.
 */
export function originKey(workflowId: string, step: string | number): string {
  return `${workflowId}#${step}`;
}

/** The step of a lost deal's "the client came back" trace (comment, to-do, notice): `<attempt>-client-back`. */
export function clientBackStep(attempt: number): string {
  return `${attempt}-client-back`;
}

/** The step of a client-cycle touch: `p<purchase deal>-<cycle>-<touch key>`. */
export function clientTouchStep(purchaseDealId: number, cycle: number, touchKey: string): string {
  return `p${purchaseDealId}-${cycle}-${touchKey}`;
}

/**
 * TAG of one notice to one recipient: `<notice key>:u<user id>`. Bitrix24 keeps a TAG unique
 * "within the application": a notification with an existing TAG removes the earlier ones
 * (chats/notifications/im-notify-system-add.md; whether per recipient is not documented). So
 * each recipient gets a tag of their own — the manager's notice survives the head's — and a
 * repeat of the same notice to the same person (an activity retry) replaces it instead of
 * adding a second one.
 */
export function notificationTag(noticeKey: string, userId: number): string {
  return `${noticeKey}:u${userId}`;
}

export interface OriginKey {
  workflowId: string;
  step: string;
  /** The workflow the id names, when it is one of the product's scenarios. */
  workflow?: WorkflowKey;
  /** Lost deal: the attempt (`#2`); client cycle: the cycle of the touch step; else null. */
  attempt: number | null;
}

/** The inverse of originKey (and of clientTouchStep inside it). */
export function parseOriginKey(originId: string | null | undefined): OriginKey | undefined {
  const m = originId ? /^([a-z-]+-\d+)#(.+)$/.exec(originId) : null;
  if (!m) return undefined;
  const [, workflowId, step] = m as unknown as [string, string, string];
  const workflow = parseWorkflowId(workflowId);
  const n = workflow?.scenario === 'lost' ? /^(\d+)$/.exec(step)?.[1] : workflow?.scenario === 'client' ? /^p\d+-(\d+)-/.exec(step)?.[1] : undefined;
  return { workflowId, step, workflow, attempt: n ? Number(n) : null };
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
