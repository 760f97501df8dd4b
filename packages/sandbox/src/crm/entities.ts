/**
 * Writes to CRM entities — the one place that knows the portal's rules for them, used by the
 * REST methods and by the in-process/admin actions alike (so both fire the same events).
 *
 * Deals: STAGE_ID belongs to the deal's pipeline (CATEGORY_ID; `C<cat>:` prefix outside pipeline 0).
 * On add, a STAGE_ID without CATEGORY_ID selects its pipeline; a stage that is not in the pipeline
 * is an error. On crm.deal.update CATEGORY_ID is immutable and a STAGE_ID of another pipeline
 * changes nothing (api-reference/crm/deals/index.md "How to Change a Deal's Funnel"); crm.item.update
 * moves a deal to another pipeline (updateDealItem), which fires ONCRMDEALMOVETOCATEGORY.
 * STAGE_SEMANTIC_ID and CLOSED follow the stage's semantics; MOVED_TIME/MOVED_BY_ID on every stage
 * change; CLOSEDATE on entering a final stage only with close-date sync on (the portal's
 * settings, store.ts); DATE_MODIFY moves on every change; every stage or pipeline change is an
 * entry of the stage history (crm.stagehistory.list).
 */
import { crmError } from '../errors';
import type { FieldDef } from '../query';
import type { ContactBinding, PortalState, Rec, StatusRec } from '../store';
import { nextId } from '../store';
import { isPhpArray, isPlainObject, phpValues, startOfDay, toInt, type Params } from '../util';
import { fieldDefs, internalize, KINDS, lookupOf, userFieldsOf, type CrmKind } from './fields';
import { forgetStageHistory, moveType, recordStageHistory } from './history';

export interface Origin {
  /** The user on whose behalf the change is made (webhook user, app user, admin). */
  userId: number;
  /** `auth_connector` of the call that made the change (offline events skip their own source). */
  connector?: string;
}

export interface CrmHost {
  state: PortalState;
  tz: number;
  now(): number;
  emit(event: string, data: Record<string, unknown>, origin: Origin): void;
}

export const CURRENCIES = ['RUB', 'USD', 'EUR', 'KZT', 'BYN', 'UAH', 'CNY'];

// ---------------------------------------------------------------------------------------------
// Directories.

export function stageEntityId(categoryId: number): string {
  return categoryId === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${categoryId}`;
}

export function stagesOf(state: PortalState, categoryId: number): StatusRec[] {
  const entity = stageEntityId(categoryId);
  return state.statuses.filter((s) => s.ENTITY_ID === entity).sort((a, b) => a.SORT - b.SORT || a.ID - b.ID);
}

export function leadStatuses(state: PortalState): StatusRec[] {
  return state.statuses.filter((s) => s.ENTITY_ID === 'STATUS').sort((a, b) => a.SORT - b.SORT || a.ID - b.ID);
}

export function categoryFromStageId(stageId: string): number {
  const m = /^C(\d+):/.exec(stageId);
  return m ? Number(m[1]) : 0;
}

export function semanticsOf(status: StatusRec | undefined): 'P' | 'S' | 'F' {
  return status?.SEMANTICS === 'S' ? 'S' : status?.SEMANTICS === 'F' ? 'F' : 'P';
}

function firstDirectoryValue(state: PortalState, entity: string): string | null {
  const s = state.statuses.filter((x) => x.ENTITY_ID === entity).sort((a, b) => a.SORT - b.SORT)[0];
  return s ? s.STATUS_ID : null;
}

// ---------------------------------------------------------------------------------------------
// Generic helpers.

export function records(state: PortalState, kind: CrmKind): Rec[] {
  return state[KINDS[kind].stateKey];
}

export function findRecord(state: PortalState, kind: CrmKind, id: number): Rec | undefined {
  return records(state, kind).find((r) => r.ID === id);
}

type MultiItem = { ID: string; VALUE_TYPE: string; VALUE: string; TYPE_ID: string };

function mergeMultifield(state: PortalState, field: string, old: unknown, input: unknown): MultiItem[] {
  const current: MultiItem[] = Array.isArray(old) ? [...(old as MultiItem[])] : [];
  for (const raw of phpValues(input)) {
    if (!isPlainObject(raw)) continue;
    const id = raw.ID !== undefined ? String(raw.ID) : undefined;
    const idx = id ? current.findIndex((c) => c.ID === id) : -1;
    if (idx >= 0) {
      if (String(raw.DELETE ?? '').toUpperCase() === 'Y' || raw.VALUE === '') current.splice(idx, 1);
      else current[idx] = { ...current[idx], VALUE: String(raw.VALUE ?? current[idx].VALUE), VALUE_TYPE: String(raw.VALUE_TYPE ?? current[idx].VALUE_TYPE) };
    } else if (raw.VALUE !== undefined && raw.VALUE !== '') {
      current.push({ ID: String(nextId(state, 'multifield')), VALUE_TYPE: String(raw.VALUE_TYPE ?? 'WORK'), VALUE: String(raw.VALUE), TYPE_ID: field });
    }
  }
  return current;
}

/**
 * Copies the writable fields of `input` onto `rec`: read-only and unknown fields are ignored
 * ("An incorrect field in fields will be ignored", crm-deal-update.md). Returns the names set.
 */
function applyWritable(host: CrmHost, defs: FieldDef[], rec: Rec, input: Params, skip: Set<string>): Set<string> {
  const set = new Set<string>();
  const lookup = lookupOf(defs);
  for (const [key, value] of Object.entries(input)) {
    const def = lookup(key);
    if (!def || def.readOnly || skip.has(key)) continue;
    if (def.type === 'crm_multifield') {
      rec[key] = mergeMultifield(host.state, key, rec[key], value);
    } else {
      rec[key] = internalize(def, value, host.tz);
    }
    set.add(key);
  }
  return set;
}

function checkMandatoryUserFields(host: CrmHost, kind: CrmKind, rec: Rec): void {
  for (const u of userFieldsOf(host.state, kind)) {
    if (u.MANDATORY !== 'Y') continue;
    const v = rec[u.FIELD_NAME];
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) {
      throw crmError(`The "${u.EDIT_FORM_LABEL ?? u.FIELD_NAME}" field is required.`);
    }
  }
}

function checkCurrency(rec: Rec): void {
  if (rec.CURRENCY_ID !== null && rec.CURRENCY_ID !== undefined && !CURRENCIES.includes(String(rec.CURRENCY_ID))) {
    throw crmError('Invalid value for the "Currency" field');
  }
}

function multiFlags(rec: Rec): void {
  const has = (k: string) => (Array.isArray(rec[k]) && (rec[k] as unknown[]).length > 0 ? 'Y' : 'N');
  if ('HAS_PHONE' in rec || 'PHONE' in rec) rec.HAS_PHONE = has('PHONE');
  if ('HAS_EMAIL' in rec || 'EMAIL' in rec) rec.HAS_EMAIL = has('EMAIL');
  if ('HAS_IMOL' in rec || 'IM' in rec) rec.HAS_IMOL = has('IM');
}

function ufDefaults(host: CrmHost, kind: CrmKind, rec: Rec): void {
  for (const u of userFieldsOf(host.state, kind)) {
    if (rec[u.FIELD_NAME] !== undefined) continue;
    rec[u.FIELD_NAME] = u.MULTIPLE === 'Y' ? [] : null;
  }
}

function touch(rec: Rec, origin: Origin, now: number): void {
  rec.DATE_MODIFY = now;
  rec.MODIFY_BY_ID = origin.userId;
}

// ---------------------------------------------------------------------------------------------
// Deals.

function dealContactBindings(state: PortalState, dealId: number): ContactBinding[] {
  return state.dealContacts[String(dealId)] ?? [];
}

export function setDealContacts(state: PortalState, deal: Rec, bindings: ContactBinding[]): void {
  state.dealContacts[String(deal.ID)] = bindings;
  const primary = bindings.find((b) => b.IS_PRIMARY === 'Y') ?? bindings[0];
  deal.CONTACT_ID = primary ? primary.CONTACT_ID : null;
}

function contactIdsToBindings(ids: number[]): ContactBinding[] {
  return ids.map((id, i) => ({ CONTACT_ID: id, SORT: (i + 1) * 10, ROLE_ID: 0, IS_PRIMARY: i === 0 ? 'Y' : 'N' }));
}

function parseContactIds(v: unknown): number[] {
  const list = isPhpArray(v) ? phpValues(v) : v === '' || v == null ? [] : [v];
  return list.map(toInt).filter((n) => n > 0);
}

function applyDealStage(host: CrmHost, deal: Rec, stage: StatusRec, origin: Origin, now: number, closeDateGiven: boolean): void {
  const wasFinal = deal.STAGE_SEMANTIC_ID === 'S' || deal.STAGE_SEMANTIC_ID === 'F';
  const changed = deal.STAGE_ID !== stage.STATUS_ID;
  deal.STAGE_ID = stage.STATUS_ID;
  deal.STAGE_SEMANTIC_ID = semanticsOf(stage);
  const final = deal.STAGE_SEMANTIC_ID !== 'P';
  deal.CLOSED = final ? 'Y' : 'N';
  const first = stagesOf(host.state, Number(deal.CATEGORY_ID))[0];
  deal.IS_NEW = first && first.STATUS_ID === stage.STATUS_ID ? 'Y' : 'N';
  if (changed) {
    deal.MOVED_TIME = now;
    deal.MOVED_BY_ID = origin.userId;
  }
  // With close-date sync on, closing a deal (entering a final stage from an open one) sets the
  // close date to that day, unless the caller set one; with it off CLOSEDATE keeps its value.
  if (final && !wasFinal && !closeDateGiven && host.state.settings.closeDateSync) deal.CLOSEDATE = startOfDay(now, host.tz);
}

export function addDeal(host: CrmHost, fields: unknown, origin: Origin): number {
  if (!isPlainObject(fields)) throw crmError("Parameter 'fields' must be array.");
  const state = host.state;
  const defs = fieldDefs(state, 'deal');
  const now = host.now();
  const today = startOfDay(now, host.tz);

  // Pipeline and stage.
  let categoryId = 0;
  const stageIn = fields.STAGE_ID !== undefined && fields.STAGE_ID !== null && fields.STAGE_ID !== '' ? String(fields.STAGE_ID) : null;
  if (fields.CATEGORY_ID !== undefined && fields.CATEGORY_ID !== null && fields.CATEGORY_ID !== '') {
    categoryId = toInt(fields.CATEGORY_ID);
    if (Number.isNaN(categoryId) || categoryId < 0) throw crmError('Parameter CATEGORY_ID must be greater than or equal to 0.');
  } else if (stageIn) {
    categoryId = categoryFromStageId(stageIn);
  }
  if (!state.categories.some((c) => c.id === categoryId)) throw crmError(`Pipeline (CATEGORY_ID) ${categoryId} is not found.`);
  const stages = stagesOf(state, categoryId);
  const stage = stageIn ? stages.find((s) => s.STATUS_ID === stageIn) : stages[0];
  if (!stage) throw crmError(`Stage (STAGE_ID) "${stageIn ?? ''}" is not found in pipeline ${categoryId}.`);

  const id = nextId(state, 'deal');
  const deal: Rec = {
    ID: id,
    TITLE: null,
    TYPE_ID: firstDirectoryValue(state, 'DEAL_TYPE'),
    STAGE_ID: null,
    PROBABILITY: null,
    CURRENCY_ID: 'RUB',
    OPPORTUNITY: 0,
    IS_MANUAL_OPPORTUNITY: 'N',
    TAX_VALUE: 0,
    LEAD_ID: null,
    COMPANY_ID: 0,
    CONTACT_ID: null,
    QUOTE_ID: null,
    BEGINDATE: today,
    CLOSEDATE: today + 7 * 86_400_000,
    ASSIGNED_BY_ID: origin.userId,
    CREATED_BY_ID: origin.userId,
    MODIFY_BY_ID: origin.userId,
    DATE_CREATE: now,
    DATE_MODIFY: now,
    OPENED: 'Y',
    CLOSED: 'N',
    COMMENTS: null,
    ADDITIONAL_INFO: null,
    LOCATION_ID: null,
    CATEGORY_ID: categoryId,
    STAGE_SEMANTIC_ID: 'P',
    IS_NEW: 'Y',
    IS_RECURRING: 'N',
    IS_RETURN_CUSTOMER: 'N',
    IS_REPEATED_APPROACH: 'N',
    SOURCE_ID: firstDirectoryValue(state, 'SOURCE'),
    SOURCE_DESCRIPTION: null,
    ORIGINATOR_ID: null,
    ORIGIN_ID: null,
    MOVED_BY_ID: origin.userId,
    MOVED_TIME: now,
    LAST_ACTIVITY_TIME: now,
    UTM_SOURCE: null,
    UTM_MEDIUM: null,
    UTM_CAMPAIGN: null,
    UTM_CONTENT: null,
    UTM_TERM: null,
    LAST_ACTIVITY_BY: origin.userId,
  };
  const set = applyWritable(host, defs, deal, fields, new Set(['STAGE_ID', 'CATEGORY_ID', 'CLOSED', 'CONTACT_IDS', 'CONTACT_ID']));
  if (deal.TITLE === null || deal.TITLE === '') deal.TITLE = `${KINDS.deal.titleWord} #${id}`;
  if (deal.COMPANY_ID === null) deal.COMPANY_ID = 0;
  if (deal.CURRENCY_ID === null) deal.CURRENCY_ID = 'RUB';
  if (deal.OPPORTUNITY === null) deal.OPPORTUNITY = 0;
  if (deal.BEGINDATE === null) deal.BEGINDATE = today;
  if (deal.CLOSEDATE === null) deal.CLOSEDATE = today + 7 * 86_400_000;
  if (deal.ASSIGNED_BY_ID === null) deal.ASSIGNED_BY_ID = origin.userId;
  checkCurrency(deal);
  ufDefaults(host, 'deal', deal);
  checkMandatoryUserFields(host, 'deal', deal);
  deal.STAGE_SEMANTIC_ID = 'P';
  applyDealStage(host, deal, stage, origin, now, set.has('CLOSEDATE'));
  deal.MOVED_TIME = now;
  deal.MOVED_BY_ID = origin.userId;

  let contactIds = fields.CONTACT_IDS !== undefined ? parseContactIds(fields.CONTACT_IDS) : [];
  if (contactIds.length === 0 && fields.CONTACT_ID !== undefined) contactIds = parseContactIds(fields.CONTACT_ID);
  state.deals.push(deal);
  recordStageHistory(host, 'deal', deal, 1);
  setDealContacts(state, deal, contactIdsToBindings(contactIds));
  host.emit('ONCRMDEALADD', { FIELDS: { ID: id } }, origin);
  return id;
}

export function updateDeal(host: CrmHost, deal: Rec, fields: unknown, origin: Origin): void {
  if (!isPlainObject(fields)) throw crmError("Parameter 'fields' must be array.");
  const next = nextDealState(host, deal, fields);
  if (fields.STAGE_ID !== undefined && fields.STAGE_ID !== null && fields.STAGE_ID !== '') {
    const stage = stagesOf(host.state, Number(deal.CATEGORY_ID)).find((s) => s.STATUS_ID === String(fields.STAGE_ID));
    // A stage of another pipeline (or no stage at all) changes nothing.
    if (stage) applyDealStage(host, next.rec, stage, origin, host.now(), next.closeDateSet);
  }
  checkMandatoryUserFields(host, 'deal', next.rec);
  saveDeal(host, deal, next, origin);
  emitDealChange(host, deal, 'update', origin);
}

/** What a deal write would make of the deal: the record and its contact bindings, not yet saved. */
interface NextDeal {
  rec: Rec;
  contacts: ContactBinding[] | undefined;
  closeDateSet: boolean;
}

function nextDealState(host: CrmHost, deal: Rec, fields: Params): NextDeal {
  const state = host.state;
  const next: Rec = { ...deal };
  const set = applyWritable(host, fieldDefs(state, 'deal'), next, fields, new Set(['STAGE_ID', 'CATEGORY_ID', 'CLOSED', 'CONTACT_IDS', 'CONTACT_ID']));
  if (next.TITLE === null || next.TITLE === '') next.TITLE = deal.TITLE;
  if (next.COMPANY_ID === null) next.COMPANY_ID = 0;
  checkCurrency(next);
  let contacts: ContactBinding[] | undefined;
  if (fields.CONTACT_IDS !== undefined) {
    contacts = contactIdsToBindings(parseContactIds(fields.CONTACT_IDS));
  } else if (fields.CONTACT_ID !== undefined) {
    const ids = parseContactIds(fields.CONTACT_ID);
    const rest = dealContactBindings(state, Number(deal.ID)).map((b) => b.CONTACT_ID).filter((c) => !ids.includes(c));
    contacts = contactIdsToBindings([...ids, ...rest]);
  }
  return { rec: next, contacts, closeDateSet: set.has('CLOSEDATE') };
}

function saveDeal(host: CrmHost, deal: Rec, next: NextDeal, origin: Origin): void {
  touch(next.rec, origin, host.now());
  const stageBefore = deal.STAGE_ID;
  const categoryBefore = deal.CATEGORY_ID;
  Object.assign(deal, next.rec);
  if (next.contacts) setDealContacts(host.state, deal, next.contacts);
  if (deal.CATEGORY_ID !== categoryBefore) recordStageHistory(host, 'deal', deal, 5);
  else if (deal.STAGE_ID !== stageBefore) recordStageHistory(host, 'deal', deal, moveType(deal.STAGE_SEMANTIC_ID));
}

/**
 * The one place deal change events are fired: a change within the pipeline is ONCRMDEALUPDATE;
 * a move to another pipeline is ONCRMDEALMOVETOCATEGORY with the new CATEGORY_ID and STAGE_ID,
 * not ONCRMDEALUPDATE (api-reference/crm/deals/index.md, on-crm-deal-move-to-category.md).
 */
function emitDealChange(host: CrmHost, deal: Rec, change: 'update' | 'move', origin: Origin): void {
  if (change === 'move') {
    host.emit('ONCRMDEALMOVETOCATEGORY', { FIELDS: { ID: deal.ID, CATEGORY_ID: deal.CATEGORY_ID, STAGE_ID: deal.STAGE_ID } }, origin);
  } else {
    host.emit('ONCRMDEALUPDATE', { FIELDS: { ID: deal.ID } }, origin);
  }
}

/** A stage of the deal's pipeline, or of the pipeline it moves to; why not otherwise. */
export type ItemStageError = { field: 'categoryId' | 'stageId' };

/**
 * crm.item.update of a deal (crm-item-update.md), fields already in their UPPER names. With a
 * CATEGORY_ID other than the deal's, the deal moves to that pipeline, at STAGE_ID (a stage of that
 * pipeline) or its first stage; mandatory fields are checked only when the stage changes within
 * the same pipeline. A STAGE_ID must be a stage of the pipeline the deal ends up in. "If it is
 * determined before saving that no field values have changed, the save is not performed": no
 * DATE_MODIFY, no event. Returns what happened.
 */
export function updateDealItem(host: CrmHost, deal: Rec, fields: Params, origin: Origin): 'unchanged' | 'updated' | 'moved' | ItemStageError {
  const state = host.state;
  const current = Number(deal.CATEGORY_ID);
  const givenCategory = fields.CATEGORY_ID !== undefined && fields.CATEGORY_ID !== null && fields.CATEGORY_ID !== '' ? toInt(fields.CATEGORY_ID) : current;
  if (Number.isNaN(givenCategory) || !state.categories.some((c) => c.id === givenCategory)) return { field: 'categoryId' };
  const moving = givenCategory !== current;
  const stageIn = fields.STAGE_ID !== undefined && fields.STAGE_ID !== null && fields.STAGE_ID !== '' ? String(fields.STAGE_ID) : null;
  const stages = stagesOf(state, givenCategory);
  const stage = stageIn ? stages.find((s) => s.STATUS_ID === stageIn) : moving ? stages[0] : undefined;
  if ((stageIn && !stage) || (moving && !stage)) return { field: 'stageId' };
  const next = nextDealState(host, deal, fields);
  if (moving) next.rec.CATEGORY_ID = givenCategory;
  if (stage) applyDealStage(host, next.rec, stage, origin, host.now(), next.closeDateSet);
  if (!moving && stage && stage.STATUS_ID !== deal.STAGE_ID) checkMandatoryUserFields(host, 'deal', next.rec);
  const sameContacts = !next.contacts || JSON.stringify(next.contacts.map((b) => b.CONTACT_ID)) === JSON.stringify(dealContactBindings(state, Number(deal.ID)).map((b) => b.CONTACT_ID));
  if (sameContacts && sameRecord(deal, next.rec)) return 'unchanged';
  saveDeal(host, deal, next, origin);
  emitDealChange(host, deal, moving ? 'move' : 'update', origin);
  return moving ? 'moved' : 'updated';
}

function sameRecord(a: Rec, b: Rec): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (JSON.stringify(a[k] ?? null) !== JSON.stringify(b[k] ?? null)) return false;
  return true;
}

export function deleteDeal(host: CrmHost, deal: Rec, origin: Origin): void {
  const state = host.state;
  state.deals = state.deals.filter((d) => d !== deal);
  state.productRows = state.productRows.filter((r) => !(r.OWNER_TYPE === 'D' && r.OWNER_ID === deal.ID));
  delete state.dealContacts[String(deal.ID)];
  forgetStageHistory(state, 'deal', Number(deal.ID));
  host.emit('ONCRMDEALDELETE', { FIELDS: { ID: deal.ID } }, origin);
}

/** Moves a deal to a stage of its own pipeline (admin actions); unknown stages are an error here. */
export function moveDeal(host: CrmHost, deal: Rec, stageId: string, origin: Origin, extra: Params = {}): void {
  const stage = stagesOf(host.state, Number(deal.CATEGORY_ID)).find((s) => s.STATUS_ID === stageId);
  if (!stage) throw crmError(`Stage "${stageId}" is not in pipeline ${String(deal.CATEGORY_ID)} of deal ${String(deal.ID)}.`);
  updateDeal(host, deal, { ...extra, STAGE_ID: stageId }, origin);
}

// ---------------------------------------------------------------------------------------------
// Leads.

function applyLeadStatus(lead: Rec, status: StatusRec, origin: Origin, now: number): void {
  const changed = lead.STATUS_ID !== status.STATUS_ID;
  const wasFinal = lead.STATUS_SEMANTIC_ID === 'S' || lead.STATUS_SEMANTIC_ID === 'F';
  lead.STATUS_ID = status.STATUS_ID;
  lead.STATUS_SEMANTIC_ID = semanticsOf(status);
  const final = lead.STATUS_SEMANTIC_ID !== 'P';
  if (final && !wasFinal) lead.DATE_CLOSED = now;
  if (!final) lead.DATE_CLOSED = null;
  if (changed) {
    lead.MOVED_TIME = now;
    lead.MOVED_BY_ID = origin.userId;
  }
}

export function addLead(host: CrmHost, fields: unknown, origin: Origin): number {
  if (!isPlainObject(fields)) throw crmError("Parameter 'fields' must be array.");
  const state = host.state;
  const now = host.now();
  const statuses = leadStatuses(state);
  const statusIn = fields.STATUS_ID !== undefined && fields.STATUS_ID !== null && fields.STATUS_ID !== '' ? String(fields.STATUS_ID) : null;
  const status = statusIn ? statuses.find((s) => s.STATUS_ID === statusIn) : statuses[0];
  if (!status) throw crmError(`Status (STATUS_ID) "${statusIn ?? ''}" is not found.`);
  const id = nextId(state, 'lead');
  const lead: Rec = {
    ID: id, TITLE: null, HONORIFIC: null, NAME: null, SECOND_NAME: null, LAST_NAME: null, COMPANY_TITLE: null,
    COMPANY_ID: null, CONTACT_ID: null, IS_RETURN_CUSTOMER: 'N', BIRTHDATE: null, SOURCE_ID: null, SOURCE_DESCRIPTION: null,
    STATUS_ID: null, STATUS_DESCRIPTION: null, POST: null, COMMENTS: null, CURRENCY_ID: 'RUB', OPPORTUNITY: 0,
    IS_MANUAL_OPPORTUNITY: 'N', HAS_PHONE: 'N', HAS_EMAIL: 'N', HAS_IMOL: 'N', ASSIGNED_BY_ID: origin.userId,
    CREATED_BY_ID: origin.userId, MODIFY_BY_ID: origin.userId, DATE_CREATE: now, DATE_MODIFY: now, DATE_CLOSED: null,
    STATUS_SEMANTIC_ID: 'P', OPENED: 'Y', ORIGINATOR_ID: null, ORIGIN_ID: null, MOVED_BY_ID: origin.userId, MOVED_TIME: now,
    ADDRESS: null, ADDRESS_CITY: null, UTM_SOURCE: null, UTM_MEDIUM: null, UTM_CAMPAIGN: null, UTM_CONTENT: null,
    UTM_TERM: null, LAST_ACTIVITY_BY: origin.userId, LAST_ACTIVITY_TIME: now, PHONE: [], EMAIL: [], WEB: [], IM: [],
  };
  applyWritable(host, fieldDefs(state, 'lead'), lead, fields, new Set(['STATUS_ID']));
  if (lead.TITLE === null || lead.TITLE === '') lead.TITLE = `${KINDS.lead.titleWord} #${id}`;
  if (lead.CURRENCY_ID === null) lead.CURRENCY_ID = 'RUB';
  if (lead.OPPORTUNITY === null) lead.OPPORTUNITY = 0;
  if (lead.ASSIGNED_BY_ID === null) lead.ASSIGNED_BY_ID = origin.userId;
  checkCurrency(lead);
  ufDefaults(host, 'lead', lead);
  checkMandatoryUserFields(host, 'lead', lead);
  applyLeadStatus(lead, status, origin, now);
  multiFlags(lead);
  state.leads.push(lead);
  recordStageHistory(host, 'lead', lead, 1);
  host.emit('ONCRMLEADADD', { FIELDS: { ID: id } }, origin);
  return id;
}

export function updateLead(host: CrmHost, lead: Rec, fields: unknown, origin: Origin): void {
  if (!isPlainObject(fields)) throw crmError("Parameter 'fields' must be array.");
  const now = host.now();
  const next: Rec = { ...lead };
  applyWritable(host, fieldDefs(host.state, 'lead'), next, fields, new Set(['STATUS_ID']));
  if (next.TITLE === null || next.TITLE === '') next.TITLE = lead.TITLE;
  checkCurrency(next);
  if (fields.STATUS_ID !== undefined && fields.STATUS_ID !== null && fields.STATUS_ID !== '') {
    const status = leadStatuses(host.state).find((s) => s.STATUS_ID === String(fields.STATUS_ID));
    if (status) applyLeadStatus(next, status, origin, now);
  }
  checkMandatoryUserFields(host, 'lead', next);
  multiFlags(next);
  touch(next, origin, now);
  const statusBefore = lead.STATUS_ID;
  Object.assign(lead, next);
  if (lead.STATUS_ID !== statusBefore) recordStageHistory(host, 'lead', lead, moveType(lead.STATUS_SEMANTIC_ID));
  host.emit('ONCRMLEADUPDATE', { FIELDS: { ID: lead.ID } }, origin);
}

export function deleteLead(host: CrmHost, lead: Rec, origin: Origin): void {
  host.state.leads = host.state.leads.filter((l) => l !== lead);
  host.state.productRows = host.state.productRows.filter((r) => !(r.OWNER_TYPE === 'L' && r.OWNER_ID === lead.ID));
  forgetStageHistory(host.state, 'lead', Number(lead.ID));
  host.emit('ONCRMLEADDELETE', { FIELDS: { ID: lead.ID } }, origin);
}

// ---------------------------------------------------------------------------------------------
// Companies and contacts.

export function addClient(host: CrmHost, kind: 'company' | 'contact', fields: unknown, origin: Origin): number {
  if (!isPlainObject(fields)) throw crmError("Parameter 'fields' must be array.");
  const state = host.state;
  const now = host.now();
  const id = nextId(state, KINDS[kind].seq);
  const base: Rec =
    kind === 'company'
      ? { ID: id, COMPANY_TYPE: firstDirectoryValue(state, 'COMPANY_TYPE'), TITLE: null, LEAD_ID: null, BANKING_DETAILS: null, INDUSTRY: null, REVENUE: null, CURRENCY_ID: 'RUB', EMPLOYEES: null, IS_MY_COMPANY: 'N', ORIGIN_VERSION: null }
      : { ID: id, POST: null, HONORIFIC: null, NAME: null, SECOND_NAME: null, LAST_NAME: null, LEAD_ID: null, TYPE_ID: firstDirectoryValue(state, 'CONTACT_TYPE'), SOURCE_ID: null, SOURCE_DESCRIPTION: null, COMPANY_ID: null, BIRTHDATE: null, EXPORT: 'Y', ORIGIN_VERSION: null };
  Object.assign(base, {
    COMMENTS: null, HAS_PHONE: 'N', HAS_EMAIL: 'N', HAS_IMOL: 'N', ASSIGNED_BY_ID: origin.userId, CREATED_BY_ID: origin.userId,
    MODIFY_BY_ID: origin.userId, DATE_CREATE: now, DATE_MODIFY: now, OPENED: 'Y', ORIGINATOR_ID: null, ORIGIN_ID: null,
    ADDRESS: null, ADDRESS_CITY: null, UTM_SOURCE: null, UTM_MEDIUM: null, UTM_CAMPAIGN: null, UTM_CONTENT: null,
    UTM_TERM: null, LAST_ACTIVITY_BY: origin.userId, LAST_ACTIVITY_TIME: now, PHONE: [], EMAIL: [], WEB: [], IM: [],
  });
  applyWritable(host, fieldDefs(state, kind), base, fields, new Set());
  if (kind === 'company' && (base.TITLE === null || base.TITLE === '')) base.TITLE = `${KINDS.company.titleWord} #${id}`;
  if (kind === 'contact' && !base.NAME && !base.LAST_NAME) base.NAME = `${KINDS.contact.titleWord} #${id}`;
  if (base.ASSIGNED_BY_ID === null) base.ASSIGNED_BY_ID = origin.userId;
  checkCurrency(base);
  ufDefaults(host, kind, base);
  checkMandatoryUserFields(host, kind, base);
  multiFlags(base);
  records(state, kind).push(base);
  host.emit(`${KINDS[kind].eventPrefix}ADD`, { FIELDS: { ID: id } }, origin);
  return id;
}

export function updateClient(host: CrmHost, kind: 'company' | 'contact', rec: Rec, fields: unknown, origin: Origin): void {
  if (!isPlainObject(fields)) throw crmError("Parameter 'fields' must be array.");
  const next: Rec = { ...rec };
  applyWritable(host, fieldDefs(host.state, kind), next, fields, new Set());
  if (kind === 'company' && (next.TITLE === null || next.TITLE === '')) next.TITLE = rec.TITLE;
  checkCurrency(next);
  checkMandatoryUserFields(host, kind, next);
  multiFlags(next);
  touch(next, origin, host.now());
  Object.assign(rec, next);
  host.emit(`${KINDS[kind].eventPrefix}UPDATE`, { FIELDS: { ID: rec.ID } }, origin);
}

export function deleteClient(host: CrmHost, kind: 'company' | 'contact', rec: Rec, origin: Origin): void {
  const key = KINDS[kind].stateKey;
  (host.state[key] as Rec[]) = records(host.state, kind).filter((r) => r !== rec);
  host.emit(`${KINDS[kind].eventPrefix}DELETE`, { FIELDS: { ID: rec.ID } }, origin);
}
