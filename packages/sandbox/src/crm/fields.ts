/**
 * Field sets of the CRM entities (deal, lead, company, contact) and their wire format.
 *
 * Field names, types and flags follow crm-deal-fields.md / crm-deal-get.md and the lead, company
 * and contact get pages. On the wire almost every scalar is a STRING ("ID": "410",
 * "OPPORTUNITY": "1000000.00", "CATEGORY_ID": "0"), flags are "Y"/"N", dates are ISO 8601 with
 * the portal's offset ("2024-08-30T14:29:00+02:00"), empty dates are "".
 */
import { crmError } from '../errors';
import type { FieldDef, FieldType } from '../query';
import { isNumericType } from '../query';
import type { PortalState, Rec, UserFieldRec } from '../store';
import { formatDateTime, parseDateInput, phpValues, startOfDay, toInt, toNumber } from '../util';

export type CrmKind = 'deal' | 'lead' | 'company' | 'contact';

export interface KindInfo {
  ufEntity: string;
  ownerTypeId: number;
  stateKey: 'deals' | 'leads' | 'companies' | 'contacts';
  seq: string;
  eventPrefix: string;
  /** Default title prefix (a Russian-language portal). */
  titleWord: string;
  /** ENTITY_TYPE of crm.timeline.comment.add, and the bizproc document id prefix. */
  typeName: string;
}

export const KINDS: Record<CrmKind, KindInfo> = {
  deal: { ufEntity: 'CRM_DEAL', ownerTypeId: 2, stateKey: 'deals', seq: 'deal', eventPrefix: 'ONCRMDEAL', titleWord: 'Сделка', typeName: 'deal' },
  lead: { ufEntity: 'CRM_LEAD', ownerTypeId: 1, stateKey: 'leads', seq: 'lead', eventPrefix: 'ONCRMLEAD', titleWord: 'Лид', typeName: 'lead' },
  company: { ufEntity: 'CRM_COMPANY', ownerTypeId: 4, stateKey: 'companies', seq: 'company', eventPrefix: 'ONCRMCOMPANY', titleWord: 'Компания', typeName: 'company' },
  contact: { ufEntity: 'CRM_CONTACT', ownerTypeId: 3, stateKey: 'contacts', seq: 'contact', eventPrefix: 'ONCRMCONTACT', titleWord: 'Контакт', typeName: 'contact' },
};

export const KIND_BY_OWNER_TYPE: Record<number, CrmKind> = { 1: 'lead', 2: 'deal', 3: 'contact', 4: 'company' };

type Extra = Partial<Omit<FieldDef, 'name' | 'type' | 'title'>>;
const f = (name: string, type: FieldType, title: string, extra: Extra = {}): FieldDef => ({ name, type, title, ...extra });
const RO: Extra = { readOnly: true };
const UTM = ['UTM_SOURCE', 'UTM_MEDIUM', 'UTM_CAMPAIGN', 'UTM_CONTENT', 'UTM_TERM'].map((n) => f(n, 'string', n));
const MULTI = [
  f('PHONE', 'crm_multifield', 'Phone', { multiple: true }),
  f('EMAIL', 'crm_multifield', 'E-mail', { multiple: true }),
  f('WEB', 'crm_multifield', 'Website', { multiple: true }),
  f('IM', 'crm_multifield', 'Messenger', { multiple: true }),
];

const DEAL: FieldDef[] = [
  f('ID', 'integer', 'ID', RO),
  f('TITLE', 'string', 'Title'),
  f('TYPE_ID', 'crm_status', 'Type', { statusType: 'DEAL_TYPE' }),
  f('STAGE_ID', 'crm_status', 'Deal Stage', { statusType: 'DEAL_STAGE' }),
  f('PROBABILITY', 'integer', 'Probability'),
  f('CURRENCY_ID', 'crm_currency', 'Currency'),
  f('OPPORTUNITY', 'double', 'Amount', { money: true }),
  f('IS_MANUAL_OPPORTUNITY', 'char', 'IS_MANUAL_OPPORTUNITY'),
  f('TAX_VALUE', 'double', 'Tax Rate', { money: true }),
  f('LEAD_ID', 'crm_lead', 'Lead', RO),
  f('COMPANY_ID', 'crm_company', 'Company'),
  f('CONTACT_ID', 'crm_contact', 'Contact'),
  f('QUOTE_ID', 'crm_quote', 'Quote', RO),
  f('BEGINDATE', 'date', 'Start date'),
  f('CLOSEDATE', 'date', 'End date'),
  f('ASSIGNED_BY_ID', 'user', 'Responsible'),
  f('CREATED_BY_ID', 'user', 'Created by', RO),
  f('MODIFY_BY_ID', 'user', 'Modified by', RO),
  f('DATE_CREATE', 'datetime', 'Created on', RO),
  f('DATE_MODIFY', 'datetime', 'Modified on', RO),
  f('OPENED', 'char', 'Available to everyone'),
  f('CLOSED', 'char', 'Closed'),
  f('COMMENTS', 'string', 'Comment'),
  f('ADDITIONAL_INFO', 'string', 'Additional information'),
  f('LOCATION_ID', 'location', 'Location'),
  f('CATEGORY_ID', 'crm_category', 'Sales Funnel', { immutable: true }),
  f('STAGE_SEMANTIC_ID', 'string', 'Stage Group', RO),
  f('IS_NEW', 'char', 'New Deal', RO),
  f('IS_RECURRING', 'char', 'Recurring Deal'),
  f('IS_RETURN_CUSTOMER', 'char', 'Repeat Deal'),
  f('IS_REPEATED_APPROACH', 'char', 'Repeated Approach'),
  f('SOURCE_ID', 'crm_status', 'Source', { statusType: 'SOURCE' }),
  f('SOURCE_DESCRIPTION', 'string', 'Source information'),
  f('ORIGINATOR_ID', 'string', 'External source'),
  f('ORIGIN_ID', 'string', 'Item ID in data source'),
  f('MOVED_BY_ID', 'user', 'Stage changed by', RO),
  f('MOVED_TIME', 'datetime', 'Stage changed on', RO),
  f('LAST_ACTIVITY_TIME', 'datetime', 'LAST_ACTIVITY_TIME', RO),
  ...UTM,
  f('LAST_ACTIVITY_BY', 'user', 'LAST_ACTIVITY_BY', RO),
  f('CONTACT_IDS', 'crm_contact', 'Contacts', { multiple: true, notListable: true }),
];

const LEAD: FieldDef[] = [
  f('ID', 'integer', 'ID', RO),
  f('TITLE', 'string', 'Lead Name'),
  f('HONORIFIC', 'crm_status', 'Salutation', { statusType: 'HONORIFIC' }),
  f('NAME', 'string', 'First name'),
  f('SECOND_NAME', 'string', 'Second name'),
  f('LAST_NAME', 'string', 'Last name'),
  f('COMPANY_TITLE', 'string', 'Company name'),
  f('COMPANY_ID', 'crm_company', 'Company'),
  f('CONTACT_ID', 'crm_contact', 'Contact'),
  f('IS_RETURN_CUSTOMER', 'char', 'Repeat lead'),
  f('BIRTHDATE', 'date', 'Date of birth'),
  f('SOURCE_ID', 'crm_status', 'Source', { statusType: 'SOURCE' }),
  f('SOURCE_DESCRIPTION', 'string', 'Source information'),
  f('STATUS_ID', 'crm_status', 'Status', { statusType: 'STATUS' }),
  f('STATUS_DESCRIPTION', 'string', 'Status information'),
  f('POST', 'string', 'Position'),
  f('COMMENTS', 'string', 'Comment'),
  f('CURRENCY_ID', 'crm_currency', 'Currency'),
  f('OPPORTUNITY', 'double', 'Amount', { money: true }),
  f('IS_MANUAL_OPPORTUNITY', 'char', 'IS_MANUAL_OPPORTUNITY'),
  f('HAS_PHONE', 'char', 'Has phone', RO),
  f('HAS_EMAIL', 'char', 'Has email', RO),
  f('HAS_IMOL', 'char', 'Has Open Channel', RO),
  f('ASSIGNED_BY_ID', 'user', 'Responsible person'),
  f('CREATED_BY_ID', 'user', 'Created by', RO),
  f('MODIFY_BY_ID', 'user', 'Modified by', RO),
  f('DATE_CREATE', 'datetime', 'Created', RO),
  f('DATE_MODIFY', 'datetime', 'Modified', RO),
  f('DATE_CLOSED', 'datetime', 'Closed', RO),
  f('STATUS_SEMANTIC_ID', 'string', 'Status details', RO),
  f('OPENED', 'char', 'Available to everyone'),
  f('ORIGINATOR_ID', 'string', 'External source'),
  f('ORIGIN_ID', 'string', 'Item ID in data source'),
  f('MOVED_BY_ID', 'user', 'Stage changed by', RO),
  f('MOVED_TIME', 'datetime', 'Stage changed on', RO),
  f('ADDRESS', 'string', 'Address'),
  f('ADDRESS_CITY', 'string', 'City'),
  ...UTM,
  f('LAST_ACTIVITY_BY', 'user', 'LAST_ACTIVITY_BY', RO),
  f('LAST_ACTIVITY_TIME', 'datetime', 'LAST_ACTIVITY_TIME', RO),
  ...MULTI,
];

const COMPANY: FieldDef[] = [
  f('ID', 'integer', 'ID', RO),
  f('COMPANY_TYPE', 'crm_status', 'Company type', { statusType: 'COMPANY_TYPE' }),
  f('TITLE', 'string', 'Company name'),
  f('LEAD_ID', 'crm_lead', 'Lead', RO),
  f('HAS_PHONE', 'char', 'Has phone', RO),
  f('HAS_EMAIL', 'char', 'Has email', RO),
  f('HAS_IMOL', 'char', 'Has Open Channel', RO),
  f('ASSIGNED_BY_ID', 'user', 'Responsible person'),
  f('CREATED_BY_ID', 'user', 'Created by', RO),
  f('MODIFY_BY_ID', 'user', 'Modified by', RO),
  f('BANKING_DETAILS', 'string', 'Payment details'),
  f('INDUSTRY', 'crm_status', 'Industry', { statusType: 'INDUSTRY' }),
  f('REVENUE', 'double', 'Annual revenue'),
  f('CURRENCY_ID', 'crm_currency', 'Currency'),
  f('EMPLOYEES', 'crm_status', 'Employees', { statusType: 'EMPLOYEES' }),
  f('COMMENTS', 'string', 'Comment'),
  f('DATE_CREATE', 'datetime', 'Created', RO),
  f('DATE_MODIFY', 'datetime', 'Modified', RO),
  f('OPENED', 'char', 'Available to everyone'),
  f('IS_MY_COMPANY', 'char', 'My Company'),
  f('ORIGINATOR_ID', 'string', 'External source'),
  f('ORIGIN_ID', 'string', 'Item ID in data source'),
  f('ORIGIN_VERSION', 'string', 'Original version'),
  f('ADDRESS', 'string', 'Address'),
  f('ADDRESS_CITY', 'string', 'City'),
  ...UTM,
  f('LAST_ACTIVITY_BY', 'user', 'LAST_ACTIVITY_BY', RO),
  f('LAST_ACTIVITY_TIME', 'datetime', 'LAST_ACTIVITY_TIME', RO),
  ...MULTI,
];

const CONTACT: FieldDef[] = [
  f('ID', 'integer', 'ID', RO),
  f('POST', 'string', 'Position'),
  f('COMMENTS', 'string', 'Comment'),
  f('HONORIFIC', 'crm_status', 'Salutation', { statusType: 'HONORIFIC' }),
  f('NAME', 'string', 'First name'),
  f('SECOND_NAME', 'string', 'Second name'),
  f('LAST_NAME', 'string', 'Last name'),
  f('LEAD_ID', 'crm_lead', 'Lead', RO),
  f('TYPE_ID', 'crm_status', 'Contact type', { statusType: 'CONTACT_TYPE' }),
  f('SOURCE_ID', 'crm_status', 'Source', { statusType: 'SOURCE' }),
  f('SOURCE_DESCRIPTION', 'string', 'Source information'),
  f('COMPANY_ID', 'crm_company', 'Company'),
  f('BIRTHDATE', 'date', 'Date of birth'),
  f('EXPORT', 'char', 'Included in export'),
  f('HAS_PHONE', 'char', 'Has phone', RO),
  f('HAS_EMAIL', 'char', 'Has email', RO),
  f('HAS_IMOL', 'char', 'Has Open Channel', RO),
  f('DATE_CREATE', 'datetime', 'Created', RO),
  f('DATE_MODIFY', 'datetime', 'Modified', RO),
  f('ASSIGNED_BY_ID', 'user', 'Responsible person'),
  f('CREATED_BY_ID', 'user', 'Created by', RO),
  f('MODIFY_BY_ID', 'user', 'Modified by', RO),
  f('OPENED', 'char', 'Available to everyone'),
  f('ORIGINATOR_ID', 'string', 'External source'),
  f('ORIGIN_ID', 'string', 'Item ID in data source'),
  f('ORIGIN_VERSION', 'string', 'Original version'),
  f('LAST_ACTIVITY_TIME', 'datetime', 'LAST_ACTIVITY_TIME', RO),
  f('ADDRESS', 'string', 'Address'),
  f('ADDRESS_CITY', 'string', 'City'),
  ...UTM,
  f('LAST_ACTIVITY_BY', 'user', 'LAST_ACTIVITY_BY', RO),
  ...MULTI,
];

const STANDARD: Record<CrmKind, FieldDef[]> = { deal: DEAL, lead: LEAD, company: COMPANY, contact: CONTACT };

export const UF_TYPES = new Set([
  'string', 'integer', 'double', 'boolean', 'datetime', 'date', 'money', 'url', 'address', 'enumeration', 'file',
  'employee', 'crm_status', 'iblock_section', 'iblock_element', 'crm',
]);

export function userFieldsOf(state: PortalState, kind: CrmKind): UserFieldRec[] {
  const entity = KINDS[kind].ufEntity;
  return state.userFields.filter((u) => u.ENTITY_ID === entity).sort((a, b) => a.SORT - b.SORT || a.ID - b.ID);
}

function ufDef(u: UserFieldRec): FieldDef {
  return {
    name: u.FIELD_NAME,
    type: (UF_TYPES.has(u.USER_TYPE_ID) ? u.USER_TYPE_ID : 'string') as FieldType,
    title: u.FIELD_NAME,
    dynamic: true,
    multiple: u.MULTIPLE === 'Y',
    required: u.MANDATORY === 'Y',
  };
}

/** Standard fields, then the user fields registered for the entity. */
export function fieldDefs(state: PortalState, kind: CrmKind): FieldDef[] {
  return [...STANDARD[kind], ...userFieldsOf(state, kind).map(ufDef)];
}

export function lookupOf(defs: FieldDef[]): (name: string) => FieldDef | undefined {
  const map = new Map(defs.map((d) => [d.name, d]));
  return (name) => map.get(name);
}

/** crm.*.fields: the crm_rest_field_description of every field (crm-deal-fields.md). */
export function describeFields(state: PortalState, kind: CrmKind): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of STANDARD[kind]) {
    out[d.name] = {
      type: d.type,
      isRequired: !!d.required,
      isReadOnly: !!d.readOnly,
      isImmutable: !!d.immutable,
      isMultiple: !!d.multiple,
      isDynamic: false,
      ...(d.statusType ? { statusType: d.statusType } : {}),
      title: d.title,
    };
  }
  for (const u of userFieldsOf(state, kind)) {
    out[u.FIELD_NAME] = {
      type: u.USER_TYPE_ID,
      isRequired: u.MANDATORY === 'Y',
      isReadOnly: false,
      isImmutable: false,
      isMultiple: u.MULTIPLE === 'Y',
      isDynamic: true,
      title: u.FIELD_NAME,
      listLabel: u.LIST_COLUMN_LABEL ?? u.FIELD_NAME,
      formLabel: u.EDIT_FORM_LABEL ?? u.FIELD_NAME,
      filterLabel: u.LIST_FILTER_LABEL ?? u.FIELD_NAME,
      settings: u.SETTINGS,
      ...(u.USER_TYPE_ID === 'enumeration' ? { items: (u.LIST ?? []).map((i) => ({ ID: String(i.ID), VALUE: i.VALUE })) } : {}),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values: wire → internal (internalize) and internal → wire (externalize).

function ufScalarOut(type: FieldType, v: unknown, tz: number): unknown {
  if (v === null || v === undefined || v === '') return '';
  switch (type) {
    case 'date':
      return formatDateTime(startOfDay(Number(v), tz), tz);
    case 'datetime':
      return formatDateTime(Number(v), tz);
    case 'boolean':
      return Number(v) ? '1' : '0';
    default:
      return String(v);
  }
}

/** One field of a stored record as the portal prints it. */
export function externalize(def: FieldDef, v: unknown, tz: number): unknown {
  if (def.type === 'crm_multifield') {
    return Array.isArray(v) ? v : [];
  }
  if (def.dynamic) {
    if (def.multiple) return Array.isArray(v) ? v.map((x) => ufScalarOut(def.type, x, tz)) : [];
    if (def.type === 'boolean' && (v === null || v === undefined || v === '')) return '0';
    return ufScalarOut(def.type, v, tz);
  }
  if (def.multiple) return Array.isArray(v) ? v.map((x) => String(x)) : [];
  if (v === null || v === undefined) return def.type === 'date' || def.type === 'datetime' ? '' : null;
  switch (def.type) {
    case 'date':
      return formatDateTime(startOfDay(Number(v), tz), tz);
    case 'datetime':
      return formatDateTime(Number(v), tz);
    case 'double':
      return def.money ? Number(v).toFixed(2) : String(v);
    default:
      return String(v);
  }
}

/** A record (or the selected part of it) as the portal prints it. */
export function recordOut(defs: FieldDef[], rec: Rec, tz: number, names?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pick = names ? new Set(names) : null;
  for (const d of defs) {
    if (d.notListable) continue;
    if (pick && !pick.has(d.name)) continue;
    out[d.name] = externalize(d, rec[d.name], tz);
  }
  return out;
}

function charIn(v: unknown): 'Y' | 'N' {
  if (v === true || v === 1) return 'Y';
  if (typeof v === 'string' && (v.toUpperCase() === 'Y' || v === '1' || v.toLowerCase() === 'true')) return 'Y';
  return 'N';
}

function ufScalarIn(def: FieldDef, v: unknown, tz: number): unknown {
  if (v === null || v === undefined || v === '' || v === false && def.type !== 'boolean') return null;
  switch (def.type) {
    case 'boolean':
      return charIn(v) === 'Y' ? 1 : 0;
    case 'integer':
    case 'employee':
    case 'enumeration':
    case 'iblock_section':
    case 'iblock_element':
    case 'file': {
      const n = toInt(v);
      return Number.isNaN(n) ? null : n;
    }
    case 'double': {
      const n = toNumber(v);
      return Number.isNaN(n) ? null : n;
    }
    case 'date':
    case 'datetime': {
      const ms = parseDateInput(v, tz);
      if (ms === null) throw crmError(`Invalid value "${String(v)}" for the field ${def.name}.`);
      return def.type === 'date' ? startOfDay(ms, tz) : ms;
    }
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

/**
 * One incoming value of a writable field, in its stored form. Dates that do not parse are an
 * error (the portal's own answer here is undocumented; see the sandbox README).
 */
export function internalize(def: FieldDef, v: unknown, tz: number): unknown {
  if (def.dynamic) {
    if (def.multiple) return phpValues(Array.isArray(v) || (v && typeof v === 'object') ? v : v === '' || v == null ? [] : [v])
      .map((x) => ufScalarIn(def, x, tz))
      .filter((x) => x !== null);
    return ufScalarIn(def, v, tz);
  }
  if (v === null || v === undefined || v === '') return null;
  if (def.type === 'char') return charIn(v);
  if (def.type === 'date' || def.type === 'datetime') {
    const ms = parseDateInput(v, tz);
    if (ms === null) throw crmError(`Invalid value "${String(v)}" for the field ${def.name}.`);
    return def.type === 'date' ? startOfDay(ms, tz) : ms;
  }
  if (isNumericType(def.type)) {
    const n = def.type === 'double' ? toNumber(v) : toInt(v);
    return Number.isNaN(n) ? null : n;
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
