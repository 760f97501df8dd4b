/**
 * Deal user fields (crm.deal.userfield.*): the `UF_CRM_*` fields the rules read and write.
 */
import { z } from 'zod';
import type { Bitrix24Client } from '../client';
import { flag, id, int, row, str, text } from '../parse';
import { parseList, toId, type CrmFilter } from './common';

export interface UserField {
  id: number;
  entityId: string;
  fieldName: string;
  userTypeId: string;
  xmlId: string | null;
  multiple: boolean;
  mandatory: boolean;
  sort: number;
  settings: Record<string, unknown>;
  /** Enumeration values (USER_TYPE_ID "enumeration"), when the portal sends them. */
  list: { id: number; value: string; xmlId: string | null; def: boolean }[];
}

export interface UserFieldInput {
  /** With or without the `UF_CRM_` prefix (the portal adds it). */
  fieldName: string;
  userTypeId: 'string' | 'integer' | 'double' | 'boolean' | 'datetime' | 'date' | 'enumeration' | 'crm' | 'employee' | 'url' | 'money' | string;
  label?: string;
  xmlId?: string;
  multiple?: boolean;
  mandatory?: boolean;
  sort?: number;
  settings?: Record<string, unknown>;
  list?: { value: string; xmlId?: string; def?: boolean; sort?: number }[];
}

const userFieldSchema = row({
  ID: id, ENTITY_ID: str, FIELD_NAME: str, USER_TYPE_ID: str, XML_ID: text, MULTIPLE: flag, MANDATORY: flag,
  SORT: int(0), SETTINGS: z.unknown(), LIST: z.unknown(),
}).transform((r): UserField => ({
  id: r.ID, entityId: r.ENTITY_ID, fieldName: r.FIELD_NAME, userTypeId: r.USER_TYPE_ID, xmlId: r.XML_ID,
  multiple: r.MULTIPLE, mandatory: r.MANDATORY, sort: r.SORT,
  settings: r.SETTINGS && typeof r.SETTINGS === 'object' && !Array.isArray(r.SETTINGS) ? (r.SETTINGS as Record<string, unknown>) : {},
  list: Array.isArray(r.LIST)
    ? (r.LIST as Record<string, unknown>[]).map((v) => ({
        id: Number(v.ID) || 0, value: String(v.VALUE ?? ''),
        xmlId: typeof v.XML_ID === 'string' && v.XML_ID ? v.XML_ID : null, def: v.DEF === 'Y',
      }))
    : [],
}));

function userFieldToPortal(f: UserFieldInput): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    FIELD_NAME: f.fieldName,
    USER_TYPE_ID: f.userTypeId,
    MULTIPLE: f.multiple ? 'Y' : 'N',
    MANDATORY: f.mandatory ? 'Y' : 'N',
  };
  if (f.xmlId !== undefined) fields.XML_ID = f.xmlId;
  if (f.sort !== undefined) fields.SORT = f.sort;
  if (f.label !== undefined) {
    fields.EDIT_FORM_LABEL = f.label;
    fields.LIST_COLUMN_LABEL = f.label;
    fields.LIST_FILTER_LABEL = f.label;
  }
  if (f.settings !== undefined) fields.SETTINGS = f.settings;
  if (f.list !== undefined) {
    fields.LIST = f.list.map((v, i) => ({ VALUE: v.value, XML_ID: v.xmlId, DEF: v.def ? 'Y' : 'N', SORT: v.sort ?? (i + 1) * 10 }));
  }
  return fields;
}

export interface UserFieldsApi {
  /** crm.deal.userfield.list — 1 request per 50 fields. */
  listDealUserFields(filter?: CrmFilter): Promise<UserField[]>;
  /** crm.deal.userfield.add — 1 request; the field id. */
  addDealUserField(field: UserFieldInput): Promise<number>;
}

export function createUserFieldsApi(client: Bitrix24Client): UserFieldsApi {
  return {
    listDealUserFields: async (filter = {}) =>
      parseList(userFieldSchema, await client.listAll('crm.deal.userfield.list', { filter, order: { SORT: 'ASC' } }), 'crm.deal.userfield.list'),

    addDealUserField: async (f) => toId(await client.call('crm.deal.userfield.add', { fields: userFieldToPortal(f) }), 'crm.deal.userfield.add'),
  };
}
