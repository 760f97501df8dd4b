/**
 * A deal as the universal crm.item.* methods see it (api-reference/crm/universal/object-fields.md,
 * crm-item-get.md): camelCase names (`STAGE_ID` → `stageId`, `CATEGORY_ID` → `categoryId`,
 * `CONTACT_IDS` → `contactIds`, `DATE_CREATE` → `createdTime`; deals/index.md), typed values
 * (numbers as JSON numbers, flags "Y"/"N", dates ISO 8601 with the portal's offset), custom fields
 * camelCased by the documented rule unless `useOriginalUfNames` is Y (universal/index.md).
 */
import type { FieldDef } from '../query';
import { isNumericType } from '../query';
import type { PortalState, Rec } from '../store';
import { formatDateTime, startOfDay } from '../util';
import { fieldDefs } from './fields';

/** Standard deal fields: UPPER name (crm.deal.*) → item name (crm.item.*). */
const DEAL_ITEM_NAMES: Record<string, string> = {
  ID: 'id', TITLE: 'title', TYPE_ID: 'typeId', STAGE_ID: 'stageId', PROBABILITY: 'probability', CURRENCY_ID: 'currencyId',
  OPPORTUNITY: 'opportunity', IS_MANUAL_OPPORTUNITY: 'isManualOpportunity', TAX_VALUE: 'taxValue', LEAD_ID: 'leadId',
  COMPANY_ID: 'companyId', CONTACT_ID: 'contactId', QUOTE_ID: 'quoteId', BEGINDATE: 'begindate', CLOSEDATE: 'closedate',
  ASSIGNED_BY_ID: 'assignedById', CREATED_BY_ID: 'createdBy', MODIFY_BY_ID: 'updatedBy', DATE_CREATE: 'createdTime',
  DATE_MODIFY: 'updatedTime', OPENED: 'opened', CLOSED: 'closed', COMMENTS: 'comments', ADDITIONAL_INFO: 'additionalInfo',
  LOCATION_ID: 'locationId', CATEGORY_ID: 'categoryId', STAGE_SEMANTIC_ID: 'stageSemanticId', IS_NEW: 'isNew',
  IS_RECURRING: 'isRecurring', IS_RETURN_CUSTOMER: 'isReturnCustomer', IS_REPEATED_APPROACH: 'isRepeatedApproach',
  SOURCE_ID: 'sourceId', SOURCE_DESCRIPTION: 'sourceDescription', ORIGINATOR_ID: 'originatorId', ORIGIN_ID: 'originId',
  MOVED_BY_ID: 'movedBy', MOVED_TIME: 'movedTime', LAST_ACTIVITY_TIME: 'lastActivityTime', LAST_ACTIVITY_BY: 'lastActivityBy',
  UTM_SOURCE: 'utmSource', UTM_MEDIUM: 'utmMedium', UTM_CAMPAIGN: 'utmCampaign', UTM_CONTENT: 'utmContent', UTM_TERM: 'utmTerm',
  CONTACT_IDS: 'contactIds',
};

const camelWord = (w: string) => w.charAt(0) + w.slice(1).toLowerCase();

/**
 * A custom field's camelCase name (api-reference/crm/universal/index.md): "regular" when only
 * digits or only letters follow `UF_CRM_` and the object number (`UF_CRM_10_5186744711` →
 * `ufCrm10_5186744711`, `UF_CRM_10_DIGIT` → `ufCrm10Digit`); otherwise "simplified", only the
 * prefix changes (`UF_CRM_3_DIGIT10` → `ufCrm_3_DIGIT10`, `UF_CRM_1747309879` →
 * `ufCrm_1747309879`). A deal field has no object number: `UF_CRM_REACT_SOURCE` is letters only
 * (→ `ufCrmReactSource`), the docs' reading applied without one.
 */
export function ufCamelName(upper: string): string {
  const m = /^UF_CRM_(?:(\d+)_)?(.+)$/.exec(upper);
  if (!m) return upper;
  const num = m[1];
  const rest = m[2]!;
  if (num !== undefined && /^\d+$/.test(rest)) return `ufCrm${num}_${rest}`;
  if (/^[A-Z]+(?:_[A-Z]+)*$/.test(rest)) return `ufCrm${num ?? ''}${rest.split('_').map(camelWord).join('')}`;
  return `ufCrm_${num !== undefined ? `${num}_` : ''}${rest}`;
}

/** Both directions of a deal's item names, custom fields included. */
export interface ItemNames {
  defs: FieldDef[];
  toItem(upper: string): string;
  /** undefined when no field has this item name. */
  toUpper(itemName: string): string | undefined;
}

export function dealItemNames(state: PortalState, originalUfNames: boolean): ItemNames {
  const defs = fieldDefs(state, 'deal');
  const toItem = new Map<string, string>();
  const taken = new Set(Object.values(DEAL_ITEM_NAMES));
  for (const d of defs) {
    if (!d.dynamic) {
      toItem.set(d.name, DEAL_ITEM_NAMES[d.name] ?? d.name);
      continue;
    }
    const camel = originalUfNames ? d.name : ufCamelName(d.name);
    // "If the converted name is already taken by another field of the object, the field is
    // returned in its original UPPER_CASE form."
    const name = taken.has(camel) ? d.name : camel;
    taken.add(name);
    toItem.set(d.name, name);
  }
  const toUpper = new Map([...toItem].map(([upper, item]) => [item, upper]));
  return { defs, toItem: (upper) => toItem.get(upper) ?? upper, toUpper: (item) => toUpper.get(item) };
}

const ZERO_WHEN_EMPTY = new Set(['COMPANY_ID', 'CONTACT_ID']);

function scalarOut(def: FieldDef, v: unknown, tz: number): unknown {
  if (v === null || v === undefined || v === '') return null;
  if (def.type === 'date') return formatDateTime(startOfDay(Number(v), tz), tz);
  if (def.type === 'datetime') return formatDateTime(Number(v), tz);
  if (def.type === 'boolean') return Number(v) ? 'Y' : 'N';
  if (isNumericType(def.type)) {
    const n = Number(v);
    return Number.isNaN(n) ? null : n;
  }
  return String(v);
}

/** One field of a stored deal as crm.item.* prints it. */
function itemValue(state: PortalState, def: FieldDef, rec: Rec, tz: number): unknown {
  if (def.name === 'CONTACT_IDS') {
    return [...(state.dealContacts[String(rec.ID)] ?? [])].sort((a, b) => a.SORT - b.SORT).map((b) => b.CONTACT_ID);
  }
  const v = rec[def.name];
  if (def.multiple) return Array.isArray(v) ? v.map((x) => scalarOut(def, x, tz)) : [];
  if (ZERO_WHEN_EMPTY.has(def.name) && (v === null || v === undefined)) return 0;
  return scalarOut(def, v, tz);
}

/**
 * A deal as an item: every field with `select` absent or `*` (plus `entityTypeId`), else the
 * selected ones (`id` always). Unknown names are skipped.
 */
export function dealItemOut(state: PortalState, names: ItemNames, rec: Rec, tz: number, select?: Set<string>): Record<string, unknown> {
  const all = !select || select.has('*');
  const out: Record<string, unknown> = {};
  for (const def of names.defs) {
    const name = names.toItem(def.name);
    if (!all && name !== 'id' && !select.has(name)) continue;
    out[name] = itemValue(state, def, rec, tz);
  }
  if (all) out.entityTypeId = 2;
  return out;
}

/** The values the item filter and order see: `contactIds` are the deal's contact bindings. */
export function itemFilterValue(state: PortalState): (rec: Record<string, unknown>, def: FieldDef) => unknown {
  return (rec, def) => (def.name === 'CONTACT_IDS' ? (state.dealContacts[String(rec.ID)] ?? []).map((b) => b.CONTACT_ID) : rec[def.name]);
}
