/**
 * Deals (crm.deal.*): the deal itself, its product rows and contact bindings, the lookup by
 * the idempotency key (ORIGINATOR_ID + ORIGIN_ID), and the one-batch deal context.
 */
import { z } from 'zod';
import type { Bitrix24Client, ListOptions } from '../client';
import { amount, flag, id, int, isoDate, optNumber, refId, row, semantic, str, text } from '../parse';
import { listParams, orNull, parseList, toId, withUserFields, type CrmFields, type CrmFilter, type CrmOrder, type StageSemantic } from './common';
import { parseUsers, type User } from './users';

export interface Deal {
  id: number;
  title: string;
  typeId: string | null;
  categoryId: number;
  stageId: string;
  stageSemantic: StageSemantic | null;
  closed: boolean;
  opportunity: number;
  currencyId: string | null;
  assignedById: number | null;
  createdById: number | null;
  companyId: number | null;
  contactId: number | null;
  leadId: number | null;
  sourceId: string | null;
  comments: string | null;
  beginDate: string | null;
  closeDate: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  movedAt: string | null;
  originatorId: string | null;
  originId: string | null;
  isReturnCustomer: boolean;
  isRepeatedApproach: boolean;
  /** `UF_*` values as the portal sent them (their types depend on the field). */
  userFields: Record<string, unknown>;
}

export interface ProductRow {
  id: number | null;
  productId: number | null;
  productName: string;
  price: number;
  quantity: number;
  discountTypeId: number | null;
  discountRate: number | null;
  discountSum: number | null;
  taxRate: number | null;
  taxIncluded: boolean;
  measureCode: number | null;
  measureName: string | null;
  sort: number;
}

/** What setDealProductRows takes; a ProductRow read from another deal fits as is. */
export type ProductRowInput = Pick<ProductRow, 'productId' | 'price' | 'quantity'> &
  Partial<Pick<ProductRow, 'productName' | 'discountTypeId' | 'discountRate' | 'discountSum' | 'taxRate' | 'taxIncluded' | 'measureCode' | 'measureName' | 'sort'>>;

export interface ContactItem {
  contactId: number;
  sort: number;
  roleId: number;
  isPrimary: boolean;
}

export type ContactItemInput = Pick<ContactItem, 'contactId'> & Partial<Pick<ContactItem, 'sort' | 'isPrimary'>>;

export interface DealContext {
  deal: Deal;
  productRows: ProductRow[];
  contacts: ContactItem[];
  /** The responsible user; null when the user no longer exists. */
  assignedUser: User | null;
  /** The client as managers know it: the company title, else the contact's name; null when neither is readable. */
  clientName: string | null;
}

const dealSchema = row({
  ID: id, TITLE: str, TYPE_ID: text, CATEGORY_ID: int(0), STAGE_ID: str, STAGE_SEMANTIC_ID: semantic,
  CLOSED: flag, OPPORTUNITY: amount, CURRENCY_ID: text, ASSIGNED_BY_ID: refId, CREATED_BY_ID: refId,
  COMPANY_ID: refId, CONTACT_ID: refId, LEAD_ID: refId, SOURCE_ID: text, COMMENTS: text,
  BEGINDATE: isoDate, CLOSEDATE: isoDate, DATE_CREATE: isoDate, DATE_MODIFY: isoDate, MOVED_TIME: isoDate,
  ORIGINATOR_ID: text, ORIGIN_ID: text, IS_RETURN_CUSTOMER: flag, IS_REPEATED_APPROACH: flag,
}).transform((r): Omit<Deal, 'userFields'> => ({
  id: r.ID, title: r.TITLE, typeId: r.TYPE_ID, categoryId: r.CATEGORY_ID, stageId: r.STAGE_ID,
  stageSemantic: r.STAGE_SEMANTIC_ID, closed: r.CLOSED, opportunity: r.OPPORTUNITY, currencyId: r.CURRENCY_ID,
  assignedById: r.ASSIGNED_BY_ID, createdById: r.CREATED_BY_ID, companyId: r.COMPANY_ID, contactId: r.CONTACT_ID,
  leadId: r.LEAD_ID, sourceId: r.SOURCE_ID, comments: r.COMMENTS, beginDate: r.BEGINDATE, closeDate: r.CLOSEDATE,
  createdAt: r.DATE_CREATE, modifiedAt: r.DATE_MODIFY, movedAt: r.MOVED_TIME, originatorId: r.ORIGINATOR_ID,
  originId: r.ORIGIN_ID, isReturnCustomer: r.IS_RETURN_CUSTOMER, isRepeatedApproach: r.IS_REPEATED_APPROACH,
}));

const productRowSchema = row({
  ID: refId, PRODUCT_ID: refId, PRODUCT_NAME: str, PRICE: amount, QUANTITY: amount, DISCOUNT_TYPE_ID: optNumber,
  DISCOUNT_RATE: optNumber, DISCOUNT_SUM: optNumber, TAX_RATE: optNumber, TAX_INCLUDED: flag,
  MEASURE_CODE: optNumber, MEASURE_NAME: text, SORT: int(0),
}).transform((r): ProductRow => ({
  id: r.ID, productId: r.PRODUCT_ID, productName: r.PRODUCT_NAME, price: r.PRICE, quantity: r.QUANTITY,
  discountTypeId: r.DISCOUNT_TYPE_ID, discountRate: r.DISCOUNT_RATE, discountSum: r.DISCOUNT_SUM,
  taxRate: r.TAX_RATE, taxIncluded: r.TAX_INCLUDED, measureCode: r.MEASURE_CODE, measureName: r.MEASURE_NAME,
  sort: r.SORT,
}));

const contactItemSchema = row({ CONTACT_ID: id, SORT: int(0), ROLE_ID: int(0), IS_PRIMARY: flag }).transform((r): ContactItem => ({ contactId: r.CONTACT_ID, sort: r.SORT, roleId: r.ROLE_ID, isPrimary: r.IS_PRIMARY }));

export const parseDeal = (row: unknown, method = 'crm.deal.get'): Deal => withUserFields(dealSchema, row, method);

/** Default select: every standard field plus custom fields. */
export const DEAL_SELECT = ['*', 'UF_*'];

/**
 * DEAL_SELECT plus fields named one by one: `UF_*` leaves multiple-value custom fields out
 * (crm-deal-list.md "select"), so the fields the rules read are named (domain ruleFields).
 */
export function dealSelectWith(fields: readonly string[]): string[] {
  return [...new Set([...DEAL_SELECT, ...fields])];
}

function productRowToPortal(r: ProductRowInput): Record<string, unknown> {
  const out: Record<string, unknown> = { PRODUCT_ID: r.productId ?? 0, PRICE: r.price, QUANTITY: r.quantity };
  if (r.productName) out.PRODUCT_NAME = r.productName;
  if (r.discountTypeId != null) out.DISCOUNT_TYPE_ID = r.discountTypeId;
  if (r.discountRate != null) out.DISCOUNT_RATE = r.discountRate;
  if (r.discountSum != null) out.DISCOUNT_SUM = r.discountSum;
  if (r.taxRate != null) out.TAX_RATE = r.taxRate;
  if (r.taxIncluded !== undefined) out.TAX_INCLUDED = r.taxIncluded ? 'Y' : 'N';
  if (r.measureCode != null) out.MEASURE_CODE = r.measureCode;
  if (r.measureName) out.MEASURE_NAME = r.measureName;
  if (r.sort !== undefined) out.SORT = r.sort;
  return out;
}

export interface DealsApi {
  /** crm.deal.get — 1 request; null when the deal does not exist. */
  getDeal(dealId: number): Promise<Deal | null>;
  /** crm.deal.list — ceil(rows / 50) requests (at least 1). */
  listDeals(filter?: CrmFilter, select?: string[], order?: CrmOrder, opts?: ListOptions): Promise<Deal[]>;
  /** crm.deal.add — 1 request; the new id. Pass ORIGINATOR_ID + ORIGIN_ID for idempotency. */
  addDeal(fields: CrmFields, opts?: { registerSonetEvent?: boolean }): Promise<number>;
  /** crm.deal.update — 1 request. */
  updateDeal(dealId: number, fields: CrmFields, opts?: { registerSonetEvent?: boolean }): Promise<void>;
  /** crm.deal.list by `=ORIGINATOR_ID` and `=ORIGIN_ID` (lowest id wins) — 1 request. */
  findDealByOrigin(originatorId: string, originId: string): Promise<Deal | null>;
  /** crm.deal.productrows.get — 1 request. */
  getDealProductRows(dealId: number): Promise<ProductRow[]>;
  /** crm.deal.productrows.set (replaces all rows) — 1 request. */
  setDealProductRows(dealId: number, rows: ProductRowInput[]): Promise<void>;
  /** crm.deal.contact.items.get — 1 request. */
  getDealContactItems(dealId: number): Promise<ContactItem[]>;
  /** crm.deal.contact.items.set (replaces all bindings) — 1 request. */
  setDealContactItems(dealId: number, items: ContactItemInput[]): Promise<void>;
  /**
   * ONE batch request: crm.deal.get + crm.deal.productrows.get + crm.deal.contact.items.get +
   * user.get of the responsible (`$result[deal][ASSIGNED_BY_ID]`). null when the deal is gone.
   */
  getDealContext(dealId: number): Promise<DealContext | null>;
}

export function createDealsApi(client: Bitrix24Client): DealsApi {
  return {
    getDeal: (dealId) => orNull(client.call<unknown>('crm.deal.get', { id: dealId }).then((r) => parseDeal(r))),

    listDeals: async (filter = {}, select = DEAL_SELECT, order, opts = {}) => {
      const rows = await client.listAll<unknown>('crm.deal.list', listParams(filter, select, order), opts);
      return rows.map((r) => parseDeal(r, 'crm.deal.list'));
    },

    addDeal: async (fields, opts = {}) =>
      toId(
        await client.call('crm.deal.add', { fields, params: { REGISTER_SONET_EVENT: opts.registerSonetEvent === false ? 'N' : 'Y' } }),
        'crm.deal.add',
      ),

    updateDeal: async (dealId, fields, opts = {}) => {
      await client.call('crm.deal.update', {
        id: dealId,
        fields,
        params: { REGISTER_SONET_EVENT: opts.registerSonetEvent === false ? 'N' : 'Y' },
      });
    },

    findDealByOrigin: async (originatorId, originId) => {
      const rows = await client.call<unknown>('crm.deal.list', {
        filter: { '=ORIGINATOR_ID': originatorId, '=ORIGIN_ID': originId },
        select: DEAL_SELECT,
        order: { ID: 'ASC' },
        start: -1,
      });
      const deals = parseList(z.unknown(), rows, 'crm.deal.list').map((r) => parseDeal(r, 'crm.deal.list'));
      // Guard against a portal that ignores the filter: only an exact key match counts.
      return deals.find((d) => d.originatorId === originatorId && d.originId === originId) ?? null;
    },

    getDealProductRows: async (dealId) =>
      parseList(productRowSchema, await client.call('crm.deal.productrows.get', { id: dealId }), 'crm.deal.productrows.get'),

    setDealProductRows: async (dealId, rows) => {
      await client.call('crm.deal.productrows.set', { id: dealId, rows: rows.map(productRowToPortal) });
    },

    getDealContactItems: async (dealId) =>
      parseList(contactItemSchema, await client.call('crm.deal.contact.items.get', { id: dealId }), 'crm.deal.contact.items.get'),

    setDealContactItems: async (dealId, items) => {
      await client.call('crm.deal.contact.items.set', {
        id: dealId,
        items: items.map((it, i) => ({
          CONTACT_ID: it.contactId,
          SORT: it.sort ?? (i + 1) * 10,
          IS_PRIMARY: (it.isPrimary ?? i === 0) ? 'Y' : 'N',
        })),
      });
    },

    getDealContext: (dealId) => getDealContext(client, dealId),
  };
}

async function getDealContext(client: Bitrix24Client, dealId: number): Promise<DealContext | null> {
  const b = await client.batch(
    {
      deal: { method: 'crm.deal.get', params: { id: dealId } },
      rows: { method: 'crm.deal.productrows.get', params: { id: dealId } },
      contacts: { method: 'crm.deal.contact.items.get', params: { id: dealId } },
      // user.get filters in FILTER (user-get.md); top-level keys are an undocumented fallback.
      user: { method: 'user.get', params: { FILTER: { ID: '$result[deal][ASSIGNED_BY_ID]' } } },
      // Lists, not gets: a deal without a company (COMPANY_ID 0) finds nothing instead of failing.
      company: { method: 'crm.company.list', params: { filter: { ID: '$result[deal][COMPANY_ID]' }, select: ['ID', 'TITLE'] } },
      contact: { method: 'crm.contact.list', params: { filter: { ID: '$result[deal][CONTACT_ID]' }, select: ['ID', 'NAME', 'LAST_NAME'] } },
    },
    { halt: true },
  );
  const dealError = b.errors.deal;
  if (dealError) {
    if (dealError.kind === 'not_found') return null;
    throw dealError;
  }
  // The client's name is for texts only: a portal that refuses it (access rights) is no failure.
  const firstError = Object.entries(b.errors).find(([key]) => key !== 'company' && key !== 'contact')?.[1];
  if (firstError) throw firstError;
  const deal = parseDeal(b.results.deal, 'crm.deal.get');
  const users = parseUsers(b.results.user ?? []);
  const company = (Array.isArray(b.results.company) ? b.results.company : []).find((c: Record<string, unknown>) => Number(c.ID) === deal.companyId);
  const contact = (Array.isArray(b.results.contact) ? b.results.contact : []).find((c: Record<string, unknown>) => Number(c.ID) === deal.contactId);
  const contactName = contact && [contact.NAME, contact.LAST_NAME].filter((part) => typeof part === 'string' && part.trim()).join(' ');
  return {
    deal,
    productRows: parseList(productRowSchema, b.results.rows, 'crm.deal.productrows.get'),
    contacts: parseList(contactItemSchema, b.results.contacts, 'crm.deal.contact.items.get'),
    assignedUser: users.find((u) => u.id === deal.assignedById) ?? null,
    clientName: (typeof company?.TITLE === 'string' && company.TITLE.trim()) || contactName || null,
  };
}
