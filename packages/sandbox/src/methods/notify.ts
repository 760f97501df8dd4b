/**
 * Notifications and business processes:
 *  - im.notify.system.add / im.notify.personal.add (chats/notifications/*.md): USER_ID, MESSAGE
 *    → the new notification id (false when the user does not exist). TAG is "a unique tag for
 *    the notification within the application. When adding a notification with an existing tag,
 *    other notifications will be removed" — the docs bind it to the application, not to the
 *    recipient, so the sandbox removes every earlier notification of the same application with
 *    that TAG, whoever received it. Over a webhook the application is named by CLIENT_ID, which
 *    TAG and SUB_TAG need ("Pass with CLIENT_ID when calling via webhook"); without it the
 *    answer is the documented "Access denied! Client ID not specified" (im-notify-delete.md);
 *  - bizproc.workflow.start (bizproc/bizproc-workflow-start.md): TEMPLATE_ID, DOCUMENT_ID
 *    ["crm", "CCrmDocumentDeal", "DEAL_<id>"] → a workflow id string; administrators only;
 *  - bizproc.workflow.template.list: the portal's templates (to find TEMPLATE_ID).
 */
import { findRecord } from '../crm/entities';
import { lookupOf, type CrmKind } from '../crm/fields';
import { crmError, Errors, RestError } from '../errors';
import { compileFilter, compileOrder, paginate, resolveSelect, type FieldDef } from '../query';
import { nextId } from '../store';
import { formatDateTime, param, phpValues, toInt, type Params } from '../util';
import type { CallContext, MethodOutput, MethodTable } from './types';

/** How the sandbox names its local application (OAuth context) as the owner of notification tags. */
const APP_ID = 'app:local';

/** im-notify-delete.md "Possible Error Codes": the application cannot be determined. */
const clientIdMissing = (): RestError => new RestError(403, 'ACCESS_DENIED', 'Access denied! Client ID not specified');

function optionalText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value);
  return text === '' ? null : text;
}

function notify(kind: 'system' | 'personal') {
  return (p: Params, ctx: CallContext): MethodOutput => {
    const userId = toInt(param(p, 'USER_ID'));
    if (!(userId > 0)) throw new RestError(400, 'USER_ID_EMPTY', "User ID can't be empty");
    const message = String(param(p, 'MESSAGE') ?? '').trim();
    if (!message) throw new RestError(400, 'MESSAGE_EMPTY', "Message can't be empty");
    const attach = param(p, 'ATTACH');
    if (attach !== undefined && JSON.stringify(attach).length > 60_000) throw new RestError(400, 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach');
    const tag = optionalText(param(p, 'TAG'));
    const subTag = optionalText(param(p, 'SUB_TAG'));
    const clientId = optionalText(param(p, 'CLIENT_ID'));
    if (ctx.auth === 'webhook' && (tag !== null || subTag !== null) && clientId === null) throw clientIdMissing();
    // Tags are bound to the application: the local application (OAuth), or CLIENT_ID over a webhook.
    const application = ctx.auth === 'app' ? APP_ID : `client:${clientId ?? ''}`;
    const state = ctx.portal.state;
    if (!state.users.some((u) => u.ID === userId)) return { result: false };
    if (tag !== null) state.notifications = state.notifications.filter((n) => !(n.TAG === tag && n.APPLICATION === application));
    const id = nextId(state, 'notification');
    state.notifications.push({
      ID: id,
      TYPE: kind,
      USER_ID: userId,
      FROM_USER_ID: kind === 'personal' ? ctx.userId : 0,
      MESSAGE: message,
      MESSAGE_OUT: param(p, 'MESSAGE_OUT') ?? null,
      TAG: tag,
      SUB_TAG: subTag,
      APPLICATION: application,
      CREATED: ctx.portal.now(),
    });
    return { result: id };
  };
}

const DOCUMENT_CLASSES: Record<string, CrmKind> = {
  CCrmDocumentDeal: 'deal',
  CCrmDocumentLead: 'lead',
  CCrmDocumentCompany: 'company',
  CCrmDocumentContact: 'contact',
};

function workflowStart(p: Params, ctx: CallContext): MethodOutput {
  if (!ctx.isAdmin) throw Errors.accessDenied();
  const templateId = toInt(param(p, 'TEMPLATE_ID'));
  if (!(templateId > 0)) throw new RestError(400, 'ERROR_WRONG_WORKFLOW_ID', 'Empty TEMPLATE_ID');
  const state = ctx.portal.state;
  const template = state.bizprocTemplates.find((t) => t.ID === templateId);
  if (!template) throw new RestError(400, 'ERROR_WRONG_WORKFLOW_ID', 'Template not found');
  const doc = phpValues(param(p, 'DOCUMENT_ID')).map(String);
  if (doc.length !== 3 || doc[0] !== 'crm') throw crmError('Wrong DOCUMENT_ID!');
  const kind = DOCUMENT_CLASSES[doc[1]];
  if (!kind) throw crmError('Incorrect document type!');
  if (template.ENTITY !== doc[1]) throw crmError('Template type and DOCUMENT_ID mismatch!');
  const m = new RegExp(`^${kind.toUpperCase()}_(\\d+)$`).exec(doc[2]);
  if (!m || !findRecord(state, kind, Number(m[1]))) throw crmError('Wrong DOCUMENT_ID!');
  const n = nextId(state, 'bizprocRun');
  const id = `${(0x66e81a640000 + n).toString(16)}.${String((n * 48_271) % 100_000_000).padStart(8, '0')}`;
  state.bizprocRuns.push({ ID: id, TEMPLATE_ID: templateId, DOCUMENT_ID: doc, PARAMETERS: param(p, 'PARAMETERS') ?? null, STARTED_BY: ctx.userId, STARTED: ctx.portal.now() });
  return { result: id };
}

const TEMPLATE_DEFS: FieldDef[] = [
  { name: 'ID', type: 'integer', title: 'ID' },
  { name: 'MODULE_ID', type: 'string', title: 'MODULE_ID' },
  { name: 'ENTITY', type: 'string', title: 'ENTITY' },
  { name: 'DOCUMENT_TYPE', type: 'string', title: 'DOCUMENT_TYPE', notInStar: true },
  { name: 'AUTO_EXECUTE', type: 'integer', title: 'AUTO_EXECUTE' },
  { name: 'NAME', type: 'string', title: 'NAME' },
  { name: 'MODIFIED', type: 'datetime', title: 'MODIFIED' },
  { name: 'USER_ID', type: 'user', title: 'USER_ID' },
];

function templateList(p: Params, ctx: CallContext): MethodOutput {
  if (!ctx.isAdmin) throw Errors.accessDenied();
  const lookup = lookupOf(TEMPLATE_DEFS);
  const q = { tzOffsetMinutes: ctx.portal.tz };
  const rows = ctx.portal.state.bizprocTemplates.filter(compileFilter(param(p, 'filter'), lookup, q)).sort(compileOrder(param(p, 'order'), lookup, q));
  const page = paginate(rows, p.start ?? p.START);
  const names = resolveSelect(param(p, 'select'), TEMPLATE_DEFS, ['ID', 'MODULE_ID', 'ENTITY', 'DOCUMENT_TYPE']);
  const out = page.rows.map((t) => {
    const all: Record<string, unknown> = {
      ID: String(t.ID), MODULE_ID: t.MODULE_ID, ENTITY: t.ENTITY, DOCUMENT_TYPE: t.DOCUMENT_TYPE, AUTO_EXECUTE: String(t.AUTO_EXECUTE),
      NAME: t.NAME, MODIFIED: formatDateTime(Number(t.MODIFIED), ctx.portal.tz), USER_ID: String(t.USER_ID),
    };
    return Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k)));
  });
  return { result: out, total: page.total, next: page.next, rows: page.rows.length };
}

export const notifyMethods: MethodTable = {
  'im.notify.system.add': { scope: 'im', write: true, run: notify('system') },
  'im.notify.personal.add': { scope: 'im', write: true, run: notify('personal') },
  'bizproc.workflow.start': { scope: 'bizproc', write: true, run: workflowStart },
  'bizproc.workflow.template.list': { scope: 'bizproc', run: templateList },
};
