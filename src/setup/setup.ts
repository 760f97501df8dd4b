/**
 * Portal setup (`npm run setup [-- --check]`): make the portal have what the rules need —
 * pipelines, stages, lead statuses, user fields, and the outbound event handlers — and nothing
 * more. Idempotent: everything is looked up first (pipelines by id, then by the name the rules
 * give them; stages by id; fields by name) and only what is missing is created, so a second run
 * only reads. `check` never writes; it reports what is missing or different.
 *
 * A pipeline that does not exist yet cannot be created under the id the rules use (the portal
 * assigns ids), so setup creates it by its name, prints the id it got and the exact lines of the
 * rules file to change (docs/decisions.md D-SETUP-1). Until the rules are edited, the run ends
 * with exit code 1 and `--check` reports the difference.
 *
 * Events: event.bind works only with application authorization; an inbound webhook is refused
 * (b24restdocs api-reference/events/event-bind.md, events/index.md). Setup tries to read and bind
 * the handlers, and when the portal refuses, prints the steps for the admin (an outbound webhook
 * with these events and this URL; its application token goes into B24_APP_TOKEN).
 *
 * Nothing printed carries the webhook secret or the application token.
 */
import { isBitrix24Error, type Bitrix24Client, type Category, type CrmApi, type Status } from '../bitrix24';
import type { Rules } from '../config/rules';
import { stageIdIn } from '../domain/stages';
import {
  formatRulePath,
  portalNeeds,
  stageCode,
  type FieldNeed,
  type PipelineNeed,
  type RulePath,
  type StageNeed,
  type UserFieldEntity,
} from './requirements';
import { rulesLocator, type RulesLocator } from './rules-file';

/** The outbound events the bridge (src/api/bitrix24-events.ts) turns into inbox hand-offs. */
export const REQUIRED_EVENTS = ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMDEALDELETE', 'ONCRMLEADADD', 'ONCRMLEADUPDATE', 'ONCRMLEADDELETE'] as const;

/** Path of the event handler under PUBLIC_URL (src/api/app.ts mounts the bridge at /b24). */
export const EVENTS_PATH = '/b24/events';

export type ItemStatus = 'ok' | 'created' | 'missing' | 'differs' | 'manual' | 'failed';

export interface SetupItem {
  kind: 'pipeline' | 'stage' | 'field' | 'events' | 'config';
  subject: string;
  status: ItemStatus;
  detail?: string;
}

/** One value of the rules file to change, because the portal gave the object another id. */
export interface RulesEdit {
  /** The rule that uses the value: `lostDeals.target.categoryId`. */
  rulePath: string;
  /** Where the value is written (the anchor in `ids:` when used through an alias). */
  writtenAt: string;
  line?: number;
  from: string;
  to: string;
}

export interface SetupReporter {
  line(text: string): void;
}

export interface SetupDeps {
  b24: Bitrix24Client;
  crm: CrmApi;
  rules: Rules;
  /** The rules file's text and name, for line numbers in "edit the rules". */
  rulesText?: string;
  rulesFile?: string;
  /** PUBLIC_URL: where Bitrix24 reaches the service; the handler is `<PUBLIC_URL>/b24/events`. */
  publicUrl?: string;
  /** Whether B24_APP_TOKEN is set (its value is never needed here, nor printed). */
  appTokenSet: boolean;
  reporter: SetupReporter;
}

export interface SetupOptions {
  /** Only report: no writes. */
  check?: boolean;
}

export interface SetupReport {
  check: boolean;
  items: SetupItem[];
  edits: RulesEdit[];
  /** Pipelines the rules name by an id the portal does not have, and the id they have there. */
  pipelineIds: { rulesId: number; portalId: number; name: string }[];
  /** Set when the event handlers have to be registered by hand: the steps. */
  manualEventSteps?: string[];
  counts: Record<ItemStatus, number>;
  restCalls: number;
  exitCode: 0 | 1;
}

const LABEL: Record<ItemStatus, string> = {
  ok: 'ok',
  created: 'created',
  missing: 'MISSING',
  differs: 'DIFFERS',
  manual: 'manual',
  failed: 'FAILED',
};

export async function runSetup(deps: SetupDeps, opts: SetupOptions = {}): Promise<SetupReport> {
  const check = opts.check === true;
  const out = deps.reporter;
  const locator: RulesLocator = rulesLocator(deps.rulesText);
  const requestsBefore = deps.b24.requestCount;
  const items: SetupItem[] = [];
  const edits: RulesEdit[] = [];
  const pipelineIds: SetupReport['pipelineIds'] = [];
  const needs = portalNeeds(deps.rules);

  const report = (item: SetupItem) => {
    items.push(item);
    out.line(`  ${LABEL[item.status].padEnd(8)} ${item.subject}${item.detail ? ` — ${item.detail}` : ''}`);
  };
  const edit = (paths: readonly RulePath[], from: string, to: string) => {
    for (const path of paths) {
      const at = locator.locate(path);
      const writtenAt = at?.writtenAt ?? formatRulePath(path);
      if (edits.some((e) => e.writtenAt === writtenAt && e.from === from)) continue;
      edits.push({ rulePath: formatRulePath(path), writtenAt, line: at?.line, from, to });
    }
  };
  const failure = (error: unknown) => (isBitrix24Error(error) ? `${error.code || `HTTP ${error.httpStatus}`}: ${error.description || error.message}` : String((error as Error)?.message ?? error));

  out.line(`${check ? 'Checking' : 'Setting up'} the portal ${deps.b24.origin} for the rules${deps.rulesFile ? ` in ${deps.rulesFile}` : ''}${check ? ' (no changes)' : ''}`);

  // ---- 1. Pipelines -------------------------------------------------------------------------
  out.line('Pipelines');
  const categories = await deps.crm.listCategories(2);
  /** rules id → portal id (undefined: missing, not created in check mode). */
  const pipelineMap = new Map<number, number | undefined>();
  for (const need of needs.pipelines) pipelineMap.set(need.categoryId, await ensurePipeline(need, categories));

  async function ensurePipeline(need: PipelineNeed, list: Category[]): Promise<number | undefined> {
    const byId = need.categoryId === 0 ? { id: 0, name: list.find((c) => c.id === 0)?.name ?? 'default' } : list.find((c) => c.id === need.categoryId);
    if (byId) {
      const named = need.name && !sameName(byId.name, need.name) ? `; the rules call it «${need.name}»` : '';
      report({ kind: 'pipeline', subject: `pipeline ${need.categoryId} «${byId.name}»`, status: 'ok', detail: named || undefined });
      return need.categoryId;
    }
    if (!need.name) {
      report({
        kind: 'pipeline',
        subject: `pipeline ${need.categoryId}`,
        status: 'differs',
        detail: `does not exist on the portal, and the rules give no name to create it by (${formatRulePath(need.paths[0]!)}): fix the id, or name it in lostDeals.pipelines`,
      });
      return undefined;
    }
    const byName = list.find((c) => sameName(c.name, need.name!));
    if (byName) {
      pipelineIds.push({ rulesId: need.categoryId, portalId: byName.id, name: byName.name });
      edit(need.paths, String(need.categoryId), String(byName.id));
      report({ kind: 'pipeline', subject: `pipeline «${byName.name}»`, status: 'differs', detail: `exists as id ${byName.id}; the rules say ${need.categoryId} (see "Edit the rules" below)` });
      return byName.id;
    }
    if (check) {
      report({ kind: 'pipeline', subject: `pipeline «${need.name}»`, status: 'missing', detail: `the rules refer to it as ${need.categoryId}; setup creates it` });
      return undefined;
    }
    try {
      const created = await deps.crm.addCategory(2, { name: need.name });
      list.push(created);
      pipelineIds.push({ rulesId: need.categoryId, portalId: created.id, name: created.name });
      edit(need.paths, String(need.categoryId), String(created.id));
      report({ kind: 'pipeline', subject: `pipeline «${created.name}»`, status: 'created', detail: `id ${created.id}; the rules say ${need.categoryId} (see "Edit the rules" below)` });
      return created.id;
    } catch (error) {
      report({ kind: 'pipeline', subject: `pipeline «${need.name}»`, status: 'failed', detail: failure(error) });
      return undefined;
    }
  }

  // ---- 2. Stages and lead statuses ----------------------------------------------------------
  out.line('Stages');
  const statusCache = new Map<string, Status[]>();
  const statusesOf = async (entityId: string) => {
    let list = statusCache.get(entityId);
    if (!list) {
      list = await deps.crm.listStatuses(entityId);
      statusCache.set(entityId, list);
    }
    return list;
  };
  for (const need of needs.stages) await ensureStage(need);

  async function ensureStage(need: StageNeed): Promise<void> {
    const what = need.kind === 'lead' ? 'lead status' : 'stage';
    let statusId = need.statusId;
    let entityId = 'STATUS';
    if (need.kind === 'deal') {
      const portalCategory = pipelineMap.get(need.categoryId);
      if (portalCategory === undefined) {
        report({ kind: 'stage', subject: `${what} ${need.statusId} «${need.name}»`, status: 'missing', detail: `its pipeline ${need.categoryId} is missing` });
        return;
      }
      statusId = stageIdIn(portalCategory, stageCode(need.statusId));
      entityId = portalCategory === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${portalCategory}`;
      if (statusId !== need.statusId) edit(need.paths, need.statusId, statusId);
    }
    const list = await statusesOf(entityId);
    const found = list.find((s) => s.statusId === statusId);
    const subject = `${what} ${statusId} «${found?.name ?? need.name}»${need.kind === 'deal' ? ` (${need.semantics === 'failure' ? 'failure' : 'in progress'})` : ''}`;
    if (found) {
      const problem = semanticsProblem(need, found);
      report({ kind: 'stage', subject, status: problem ? 'differs' : 'ok', detail: problem });
      return;
    }
    if (check) {
      report({ kind: 'stage', subject, status: 'missing' });
      return;
    }
    try {
      const sort = sortFor(need.semantics, list);
      await deps.crm.addStatus({ entityId, statusId, name: need.name, sort, semantics: need.semantics === 'failure' ? 'F' : '' });
      list.push({ id: 0, entityId, statusId, name: need.name, sort, categoryId: null, semantics: need.semantics, color: null, system: false });
      report({ kind: 'stage', subject, status: 'created' });
    } catch (error) {
      report({ kind: 'stage', subject, status: 'failed', detail: failure(error) });
    }
  }

  // ---- 3. User fields ------------------------------------------------------------------------
  out.line('Fields');
  const fieldCache = new Map<UserFieldEntity, PortalField[]>();
  const fieldsOf = async (entity: UserFieldEntity) => {
    let list = fieldCache.get(entity);
    if (!list) {
      list = (await deps.b24.listAll<Record<string, unknown>>(`crm.${entity}.userfield.list`, { order: { SORT: 'ASC' } })).map(toPortalField);
      fieldCache.set(entity, list);
    }
    return list;
  };
  for (const need of needs.fields) await ensureField(need);

  async function ensureField(need: FieldNeed): Promise<void> {
    const subject = `${need.entity} field ${need.fieldName} (${need.userTypeId === 'enumeration' ? 'list' : need.userTypeId})`;
    let list: PortalField[];
    try {
      list = await fieldsOf(need.entity);
    } catch (error) {
      report({ kind: 'field', subject, status: 'failed', detail: `cannot list ${need.entity} fields: ${failure(error)}` });
      return;
    }
    let found = list.find((f) => f.fieldName === need.fieldName);
    let created = false;
    if (!found) {
      if (check) {
        report({ kind: 'field', subject, status: 'missing', detail: itemsText(need) });
        return;
      }
      try {
        await deps.b24.call(`crm.${need.entity}.userfield.add`, { fields: userFieldPayload(need) });
        created = true;
        // Enumeration items get their ids only now: read the field back.
        fieldCache.delete(need.entity);
        found = (await fieldsOf(need.entity)).find((f) => f.fieldName === need.fieldName);
      } catch (error) {
        report({ kind: 'field', subject, status: 'failed', detail: failure(error) });
        return;
      }
      if (!found) {
        report({ kind: 'field', subject, status: 'failed', detail: 'created, but the portal does not list it' });
        return;
      }
    }
    const problems: string[] = [];
    if (!need.accepts.includes(found.userTypeId)) problems.push(`it is of type ${found.userTypeId} on the portal; the service needs ${need.accepts.join(' or ')}`);
    const mapped: string[] = [];
    for (const item of need.items ?? []) {
      if (found.list.some((i) => i.id === item.value)) continue;
      const byLabel = found.list.find((i) => sameName(i.value, item.label));
      if (byLabel) {
        edit([item.path], item.value, byLabel.id);
        mapped.push(`«${item.label}» = ${byLabel.id}`);
      } else {
        problems.push(`no list item ${item.value} «${item.label}» (${formatRulePath(item.path)}); items: ${found.list.map((i) => `${i.id} «${i.value}»`).join(', ') || 'none'}`);
      }
    }
    const itemNote = mapped.length > 0 ? `list items ${mapped.join(', ')} (see "Edit the rules" below)` : undefined;
    if (created) report({ kind: 'field', subject, status: 'created', detail: itemNote });
    else if (problems.length > 0) report({ kind: 'field', subject, status: 'differs', detail: [...problems, ...(itemNote ? [itemNote] : [])].join('; ') });
    else report({ kind: 'field', subject, status: mapped.length > 0 ? 'differs' : 'ok', detail: itemNote });
  }

  // ---- 4. Event handlers ----------------------------------------------------------------------
  out.line('Event handlers');
  const handler = deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, '')}${EVENTS_PATH}` : undefined;
  let manual: string | undefined;
  if (!handler) {
    report({ kind: 'config', subject: 'PUBLIC_URL', status: check ? 'missing' : 'manual', detail: `not set: Bitrix24 needs the public URL of the service to send events to (<PUBLIC_URL>${EVENTS_PATH})` });
    manual = 'PUBLIC_URL is not set';
  } else {
    manual = await ensureEvents(handler);
  }
  if (!deps.appTokenSet) {
    report({
      kind: 'config',
      subject: 'B24_APP_TOKEN',
      status: check ? 'missing' : 'manual',
      detail: 'not set: the service accepts events only with the application token of the outbound webhook',
    });
  }

  async function ensureEvents(url: string): Promise<string | undefined> {
    let bound: { event: string; handler: string }[];
    try {
      bound = await deps.crm.eventGet();
    } catch (error) {
      const why = `event.get refused (${failure(error)}): an inbound webhook cannot read or bind event handlers`;
      report({ kind: 'events', subject: `${REQUIRED_EVENTS.length} events → ${url}`, status: 'manual', detail: why });
      return why;
    }
    let refused: string | undefined;
    for (const event of REQUIRED_EVENTS) {
      const subject = `${event} → ${url}`;
      if (bound.some((b) => b.event.toUpperCase() === event && sameUrl(b.handler, url))) {
        report({ kind: 'events', subject, status: 'ok' });
        continue;
      }
      if (check) {
        report({ kind: 'events', subject, status: 'missing' });
        continue;
      }
      if (refused) {
        report({ kind: 'events', subject, status: 'manual' });
        continue;
      }
      try {
        await deps.crm.eventBind({ event, handler: url });
        report({ kind: 'events', subject, status: 'created' });
      } catch (error) {
        refused = `event.bind refused (${failure(error)}): only an application may bind events`;
        report({ kind: 'events', subject, status: 'manual', detail: refused });
      }
    }
    return refused;
  }

  // ---- Summary ----------------------------------------------------------------------------------
  const counts = { ok: 0, created: 0, missing: 0, differs: 0, manual: 0, failed: 0 } as Record<ItemStatus, number>;
  for (const item of items) counts[item.status]++;

  if (edits.length > 0) {
    out.line('');
    out.line(`Edit the rules${deps.rulesFile ? ` (${deps.rulesFile})` : ''}: the portal has these objects under other ids`);
    for (const e of edits.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))) {
      out.line(`  ${e.line !== undefined ? `line ${String(e.line).padEnd(4)} ` : ''}${e.writtenAt}: ${e.from} → ${e.to}${e.writtenAt !== e.rulePath ? `   (used by ${e.rulePath})` : ''}`);
    }
    out.line('  then run setup again (or `npm run setup -- --check`).');
  }

  let manualEventSteps: string[] | undefined;
  if (manual) {
    manualEventSteps = outboundWebhookSteps(handler);
    out.line('');
    out.line('Register the outbound events by hand (once):');
    for (const step of manualEventSteps) out.line(`  ${step}`);
  }

  const restCalls = deps.b24.requestCount - requestsBefore;
  const blocking = counts.failed + counts.differs + edits.length + (check ? counts.missing : 0);
  const exitCode: 0 | 1 = blocking > 0 ? 1 : 0;
  out.line('');
  out.line(
    `${check ? 'Check' : 'Setup'} done: ${counts.ok} ok, ${counts.created} created, ${counts.missing} missing, ${counts.differs} different, ` +
      `${counts.failed} failed, ${counts.manual} manual; ${edits.length} rules value${edits.length === 1 ? '' : 's'} to edit; ${restCalls} REST requests.` +
      (exitCode === 0 ? '' : check ? ' The portal does not match the rules.' : ' Action required (see above).'),
  );
  return { check, items, edits, pipelineIds, manualEventSteps, counts, restCalls, exitCode };
}

/** What the admin does when the webhook may not bind events: an outbound webhook. */
export function outboundWebhookSteps(handler: string | undefined): string[] {
  return [
    '1. Bitrix24 → Applications → Developer resources → Other → Outgoing webhook',
    `2. Handler URL: ${handler ?? `<PUBLIC_URL>${EVENTS_PATH}  (set PUBLIC_URL: the address at which Bitrix24 reaches this service, https)`}`,
    `3. Events: ${REQUIRED_EVENTS.join(', ')}`,
    '4. Save, copy the webhook\'s "Application token" and set it as B24_APP_TOKEN of the service (then restart it).',
    '   Deliveries lost meanwhile are picked up by the reconciliation; `npm run backfill` imports the history.',
  ];
}

interface PortalField {
  fieldName: string;
  userTypeId: string;
  list: { id: string; value: string }[];
}

function toPortalField(row: Record<string, unknown>): PortalField {
  const list = Array.isArray(row.LIST) ? (row.LIST as Record<string, unknown>[]) : [];
  return {
    fieldName: String(row.FIELD_NAME ?? ''),
    userTypeId: String(row.USER_TYPE_ID ?? ''),
    list: list.map((i) => ({ id: String(i.ID ?? ''), value: String(i.VALUE ?? '') })),
  };
}

/** crm.<entity>.userfield.add `fields` (b24restdocs crm-deal-userfield-add.md). */
function userFieldPayload(need: FieldNeed): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    FIELD_NAME: need.fieldName,
    USER_TYPE_ID: need.userTypeId,
    LABEL: need.label,
    EDIT_FORM_LABEL: need.label,
    LIST_COLUMN_LABEL: need.label,
    LIST_FILTER_LABEL: need.label,
    XML_ID: `b24-reactivation:${need.fieldName}`,
    MULTIPLE: 'N',
    MANDATORY: 'N',
    SHOW_FILTER: 'Y',
  };
  if (need.userTypeId === 'enumeration') {
    fields.LIST = (need.items ?? []).map((item, i) => ({ VALUE: item.label, SORT: (i + 1) * 10, DEF: 'N' }));
  }
  return fields;
}

function itemsText(need: FieldNeed): string | undefined {
  return need.items && need.items.length > 0 ? `list items ${need.items.map((i) => `«${i.label}»`).join(', ')}` : undefined;
}

function semanticsProblem(need: StageNeed, found: Status): string | undefined {
  if (need.semantics === 'failure' && found.semantics !== 'failure') {
    return `it is ${found.semantics === 'success' ? 'a success' : 'an in-progress'} stage on the portal; ${need.name === 'Забытый клиент' ? '«Забытый клиент»' : 'a loss reason'} must be a failure stage (${formatRulePath(need.paths[0]!)})`;
  }
  if (need.semantics === 'process' && found.semantics !== 'process') {
    return `it is a ${found.semantics} stage on the portal; a reactivation target must be an in-progress stage (${formatRulePath(need.paths[0]!)})`;
  }
  return undefined;
}

/** In-progress stages go before the success stage, failure stages after everything. */
function sortFor(semantics: StageNeed['semantics'], list: Status[]): number {
  const max = list.reduce((m, s) => Math.max(m, s.sort), 0);
  if (semantics === 'failure') return max + 10;
  const firstClosed = list.filter((s) => s.semantics !== 'process').reduce((m, s) => Math.min(m, s.sort), Number.POSITIVE_INFINITY);
  const lastOpen = list.filter((s) => s.semantics === 'process').reduce((m, s) => Math.max(m, s.sort), 0);
  if (!Number.isFinite(firstClosed)) return max + 10;
  return Math.max(1, Math.min(lastOpen + 5, firstClosed - 1));
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
