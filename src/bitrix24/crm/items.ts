/**
 * Deals through the universal crm.item.* methods (entityTypeId 2): the only documented way to
 * find the deals of a contact who is not the deal's primary contact (`CONTACT_ID` is deprecated;
 * crm.deal.list filters neither `CONTACT_IDS` nor secondary contacts — crm-deal-list.md), and the
 * only way to move a deal to another pipeline (crm.deal.update ignores a stage of another
 * pipeline — deals/index.md "How to Change a Deal's Funnel").
 *
 * crm.item.* names fields in camelCase (`stageId`, `categoryId`, `contactIds`, `createdTime`;
 * object-fields.md); custom fields keep their UF_ names with `useOriginalUfNames: 'Y'`
 * (universal/index.md), so callers speak the crm.deal.* names and this file translates.
 */
import { z } from 'zod';
import type { Bitrix24Client } from '../client';
import { isBitrix24Error } from '../errors';
import { rowsOf } from '../paging';
import { parseWith } from '../parse';
import type { CrmFields, CrmFilter, CrmOrder } from './common';
import { parseDeal, type Deal } from './deals';

export const DEAL_ENTITY_TYPE_ID = 2;

/** crm.deal.* name → crm.item.* name, for the deal fields the service reads or filters. */
const ITEM_NAMES: Record<string, string> = {
  ID: 'id', TITLE: 'title', TYPE_ID: 'typeId', CATEGORY_ID: 'categoryId', STAGE_ID: 'stageId', STAGE_SEMANTIC_ID: 'stageSemanticId',
  CLOSED: 'closed', OPPORTUNITY: 'opportunity', CURRENCY_ID: 'currencyId', ASSIGNED_BY_ID: 'assignedById', CREATED_BY_ID: 'createdBy',
  COMPANY_ID: 'companyId', CONTACT_ID: 'contactId', CONTACT_IDS: 'contactIds', LEAD_ID: 'leadId', SOURCE_ID: 'sourceId',
  COMMENTS: 'comments', BEGINDATE: 'begindate', CLOSEDATE: 'closedate', DATE_CREATE: 'createdTime', DATE_MODIFY: 'updatedTime',
  MOVED_TIME: 'movedTime', ORIGINATOR_ID: 'originatorId', ORIGIN_ID: 'originId', IS_RETURN_CUSTOMER: 'isReturnCustomer',
  IS_REPEATED_APPROACH: 'isRepeatedApproach',
};
const UPPER_NAMES = Object.fromEntries(Object.entries(ITEM_NAMES).map(([upper, item]) => [item, upper]));

const PREFIX = /^(!%=|!=%|>=|<=|!@|!%|!=|=%|%=|>|<|@|%|=|!)?(.*)$/;

/** A crm.deal.* field name (with its filter prefix) in crm.item.* terms; UF_ names stay. */
export function itemFieldName(key: string): string {
  const [, prefix = '', field = ''] = PREFIX.exec(key)!;
  return prefix + (ITEM_NAMES[field] ?? field);
}

/** A crm.deal.* filter in crm.item.* names (values unchanged). */
export function itemFilter(filter: CrmFilter): CrmFilter {
  return Object.fromEntries(Object.entries(filter).map(([k, v]) => [itemFieldName(k), v]));
}

/** A crm.item.* item → the crm.deal.* row it stands for (UF_ keys with useOriginalUfNames). */
function upperRow(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[UPPER_NAMES[k] ?? k] = v;
  return out;
}

export interface DealItem extends Deal {
  /** Every contact bound to the deal, primary first (crm.item's `contactIds`). */
  contactIds: number[];
}

export function parseDealItem(item: unknown, method = 'crm.item.list'): DealItem {
  const obj = parseWith(z.record(z.string(), z.unknown()), item, method);
  const contactIds = Array.isArray(obj.contactIds) ? obj.contactIds.map(Number).filter((n) => Number.isInteger(n) && n > 0) : [];
  return { ...parseDeal(upperRow(obj), method), contactIds };
}

/** The batch command of crm.item.list for deals, in crm.deal.* names. */
export function dealItemListCommand(filter: CrmFilter, select: string[], order?: CrmOrder) {
  // crm.item.list takes field names or '*' only (no UF_* mask); '*' brings the custom fields too.
  const names = select.includes('*') ? ['*'] : select.filter((s) => s !== 'UF_*').map(itemFieldName);
  return {
    method: 'crm.item.list',
    params: {
      entityTypeId: DEAL_ENTITY_TYPE_ID,
      useOriginalUfNames: 'Y',
      filter: itemFilter(filter),
      select: names.includes('id') || names.includes('*') ? names : ['id', ...names],
      ...(order ? { order: Object.fromEntries(Object.entries(order).map(([k, d]) => [itemFieldName(k), d])) } : {}),
    },
  };
}

/**
 * The ways a crm.item.list filter can name "deals of this contact", most precise first. The docs
 * add `contactIds` to the filter (whats-new.md) without its syntax: the default operator (`=`,
 * "exact match") and IN (`@`) are the documented forms; a portal older than that change refuses
 * the field ("not allowed in filter") and has only the deprecated `contactId` (the primary contact).
 */
export const CONTACT_FILTERS: readonly { name: string; filter: (contactId: number) => CrmFilter; primaryOnly: boolean }[] = [
  { name: 'contactIds', filter: (id) => ({ contactIds: id }), primaryOnly: false },
  { name: '@contactIds', filter: (id) => ({ '@contactIds': [id] }), primaryOnly: false },
  { name: 'contactId', filter: (id) => ({ contactId: id }), primaryOnly: true },
];

/** A refusal of the contact filter (crm-item-list.md: 400 INVALID_ARG_VALUE "Invalid filter: field 'contactIds' is not allowed in filter"). */
export function isContactFilterRefused(error: unknown): boolean {
  return isBitrix24Error(error) && error.code === 'INVALID_ARG_VALUE' && (error.description === '' || /contactid/i.test(error.description));
}

/** One list of a client's deals: a filter, select and order in crm.deal.* names. */
export interface ClientDealQuery {
  filter: CrmFilter;
  select: string[];
  /** Default: newest first (ID DESC), so the first page of 50 holds the latest deals. */
  order?: CrmOrder;
}

export type ClientOfDeals = { kind: 'company' | 'contact'; id: number };

export interface ItemsApi {
  /**
   * crm.item.update with categoryId and stageId (crm-item-update.md) — 1 request: moves a deal to
   * another pipeline (or stage), with other fields in crm.deal.* names. Returns where the portal
   * says the deal now is (the answer's `item`), for the caller to check.
   */
  moveDealToStage(dealId: number, target: { categoryId: number; stageId: string }, fields?: CrmFields): Promise<{ categoryId: number; stageId: string }>;
  /**
   * The first page (50, newest first) of each named list of a client's deals, in ONE batch
   * request; every list must be read (a failed one throws). A company: crm.deal.list by
   * COMPANY_ID. A contact: crm.item.list by any bound contact, primary or not (CONTACT_FILTERS:
   * a refused form moves on to the next, remembered from then on; rows that do not name the
   * contact are dropped, in case a portal ignores the filter).
   */
  listClientDeals(client: ClientOfDeals, lists: Record<string, ClientDealQuery>): Promise<Record<string, Deal[]>>;
}

export function createItemsApi(client: Bitrix24Client): ItemsApi {
  let contactForm = 0;

  async function contactDeals(contactId: number, lists: Record<string, ClientDealQuery>): Promise<Record<string, Deal[]>> {
    for (;;) {
      const form = CONTACT_FILTERS[contactForm]!;
      const cmds = Object.fromEntries(
        Object.entries(lists).map(([key, q]) => [
          key,
          dealItemListCommand({ ...q.filter }, [...new Set([...q.select, 'CONTACT_ID', 'CONTACT_IDS'])], q.order ?? { ID: 'DESC' }),
        ]),
      );
      for (const cmd of Object.values(cmds)) Object.assign(cmd.params.filter, form.filter(contactId));
      try {
        const { results } = await client.batch<unknown>(cmds, { allOrThrow: true });
        return Object.fromEntries(
          Object.keys(lists).map((key) => {
            const items = rowsOf<unknown>(results[key], 'items', 'crm.item.list').map((r) => parseDealItem(r));
            return [key, items.filter((d) => (form.primaryOnly ? d.contactId === contactId || d.contactIds[0] === contactId : d.contactIds.includes(contactId)))];
          }),
        );
      } catch (error) {
        if (!isContactFilterRefused(error) || contactForm >= CONTACT_FILTERS.length - 1) throw error;
        contactForm++;
      }
    }
  }

  async function companyDeals(companyId: number, lists: Record<string, ClientDealQuery>): Promise<Record<string, Deal[]>> {
    const cmds = Object.fromEntries(
      Object.entries(lists).map(([key, q]) => [
        key,
        { method: 'crm.deal.list', params: { filter: { ...q.filter, COMPANY_ID: companyId }, select: q.select.includes('*') ? q.select : [...new Set(['ID', 'COMPANY_ID', ...q.select])], order: q.order ?? { ID: 'DESC' } } },
      ]),
    );
    const { results } = await client.batch<unknown>(cmds, { allOrThrow: true });
    return Object.fromEntries(
      Object.keys(lists).map((key) => [key, rowsOf<unknown>(results[key], undefined, 'crm.deal.list').map((r) => parseDeal(r, 'crm.deal.list')).filter((d) => d.companyId === companyId)]),
    );
  }

  return {
    listClientDeals: (who, lists) => (who.kind === 'company' ? companyDeals(who.id, lists) : contactDeals(who.id, lists)),

    moveDealToStage: async (dealId, target, fields = {}) => {
      const itemFields: Record<string, unknown> = { ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [itemFieldName(k), v])), categoryId: target.categoryId, stageId: target.stageId };
      const r = await client.call<{ item?: unknown }>('crm.item.update', { entityTypeId: DEAL_ENTITY_TYPE_ID, id: dealId, useOriginalUfNames: 'Y', fields: itemFields });
      const item = parseDealItem(r?.item, 'crm.item.update');
      return { categoryId: item.categoryId, stageId: item.stageId };
    },
  };
}
