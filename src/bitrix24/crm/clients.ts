/**
 * The clients of a deal: companies (crm.company.*) and contacts (crm.contact.*).
 */
import type { Bitrix24Client } from '../client';
import { id, isoDate, refId, row, str, text } from '../parse';
import { orNull, withUserFields } from './common';

export interface Company {
  id: number;
  title: string;
  companyType: string | null;
  assignedById: number | null;
  createdAt: string | null;
  modifiedAt: string | null;
  userFields: Record<string, unknown>;
}

export interface Contact {
  id: number;
  name: string | null;
  lastName: string | null;
  secondName: string | null;
  companyId: number | null;
  assignedById: number | null;
  createdAt: string | null;
  modifiedAt: string | null;
  userFields: Record<string, unknown>;
}

const companySchema = row({ ID: id, TITLE: str, COMPANY_TYPE: text, ASSIGNED_BY_ID: refId, DATE_CREATE: isoDate, DATE_MODIFY: isoDate }).transform((r): Omit<Company, 'userFields'> => ({
  id: r.ID, title: r.TITLE, companyType: r.COMPANY_TYPE, assignedById: r.ASSIGNED_BY_ID,
  createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY,
}));

const contactSchema = row({
  ID: id, NAME: text, LAST_NAME: text, SECOND_NAME: text, COMPANY_ID: refId, ASSIGNED_BY_ID: refId,
  DATE_CREATE: isoDate, DATE_MODIFY: isoDate,
}).transform((r): Omit<Contact, 'userFields'> => ({
  id: r.ID, name: r.NAME, lastName: r.LAST_NAME, secondName: r.SECOND_NAME, companyId: r.COMPANY_ID,
  assignedById: r.ASSIGNED_BY_ID, createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY,
}));

export interface ClientsApi {
  /** crm.company.get — 1 request; null when not found. */
  getCompany(companyId: number): Promise<Company | null>;
  /** crm.contact.get — 1 request; null when not found. */
  getContact(contactId: number): Promise<Contact | null>;
}

export function createClientsApi(client: Bitrix24Client): ClientsApi {
  return {
    getCompany: (companyId) =>
      orNull(client.call<unknown>('crm.company.get', { id: companyId }).then((r) => withUserFields(companySchema, r, 'crm.company.get'))),

    getContact: (contactId) =>
      orNull(client.call<unknown>('crm.contact.get', { id: contactId }).then((r) => withUserFields(contactSchema, r, 'crm.contact.get'))),
  };
}
