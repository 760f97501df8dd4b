/**
 * Leads (crm.lead.*): read, list and update a lead.
 */
import type { Bitrix24Client, ListOptions } from '../client';
import { amount, id, isoDate, refId, row, semantic, str, text } from '../parse';
import { listParams, orNull, withUserFields, type CrmFields, type CrmFilter, type CrmOrder, type StageSemantic } from './common';

export interface Lead {
  id: number;
  title: string;
  name: string | null;
  lastName: string | null;
  statusId: string;
  statusSemantic: StageSemantic | null;
  opportunity: number;
  currencyId: string | null;
  assignedById: number | null;
  companyId: number | null;
  contactId: number | null;
  sourceId: string | null;
  comments: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  movedAt: string | null;
  originatorId: string | null;
  originId: string | null;
  userFields: Record<string, unknown>;
}

const leadSchema = row({
  ID: id, TITLE: str, NAME: text, LAST_NAME: text, STATUS_ID: str, STATUS_SEMANTIC_ID: semantic,
  OPPORTUNITY: amount, CURRENCY_ID: text, ASSIGNED_BY_ID: refId, COMPANY_ID: refId, CONTACT_ID: refId,
  SOURCE_ID: text, COMMENTS: text, DATE_CREATE: isoDate, DATE_MODIFY: isoDate, MOVED_TIME: isoDate,
  ORIGINATOR_ID: text, ORIGIN_ID: text,
}).transform((r): Omit<Lead, 'userFields'> => ({
  id: r.ID, title: r.TITLE, name: r.NAME, lastName: r.LAST_NAME, statusId: r.STATUS_ID,
  statusSemantic: r.STATUS_SEMANTIC_ID, opportunity: r.OPPORTUNITY, currencyId: r.CURRENCY_ID,
  assignedById: r.ASSIGNED_BY_ID, companyId: r.COMPANY_ID, contactId: r.CONTACT_ID, sourceId: r.SOURCE_ID,
  comments: r.COMMENTS, createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY, movedAt: r.MOVED_TIME,
  originatorId: r.ORIGINATOR_ID, originId: r.ORIGIN_ID,
}));

const parseLead = (row: unknown, method = 'crm.lead.get'): Lead => withUserFields(leadSchema, row, method);

/** Default select: every standard field plus custom fields. */
export const LEAD_SELECT = ['*', 'UF_*'];

/** LEAD_SELECT plus fields named one by one (see dealSelectWith). */
export function leadSelectWith(fields: readonly string[]): string[] {
  return [...new Set([...LEAD_SELECT, ...fields])];
}

export interface LeadsApi {
  /** crm.lead.get — 1 request; null when not found. */
  getLead(leadId: number): Promise<Lead | null>;
  /** crm.lead.update — 1 request. */
  updateLead(leadId: number, fields: CrmFields): Promise<void>;
  /** crm.lead.list — ceil(rows / 50) requests (at least 1). */
  listLeads(filter?: CrmFilter, select?: string[], order?: CrmOrder, opts?: ListOptions): Promise<Lead[]>;
}

export function createLeadsApi(client: Bitrix24Client): LeadsApi {
  return {
    getLead: (leadId) => orNull(client.call<unknown>('crm.lead.get', { id: leadId }).then((r) => parseLead(r))),

    updateLead: async (leadId, fields) => {
      await client.call('crm.lead.update', { id: leadId, fields });
    },

    listLeads: async (filter = {}, select = LEAD_SELECT, order, opts = {}) => {
      const rows = await client.listAll<unknown>('crm.lead.list', listParams(filter, select, order), opts);
      return rows.map((r) => parseLead(r, 'crm.lead.list'));
    },
  };
}
