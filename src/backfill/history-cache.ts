/**
 * The backfill's page cache: the listed deals and leads, their product rows and products, and
 * the won deals' stage histories, held for the page being judged and served to the activities'
 * own planning code through a CrmApi view — so judging costs no request per element. Rows are
 * dropped once their page is judged.
 */
import type { Bitrix24Client, CrmApi, Deal, Lead, Product, ProductRow, StageHistory } from '../bitrix24';

export type HistoryCache = ReturnType<typeof createHistoryCache>;

export function createHistoryCache(b24: Bitrix24Client, crm: CrmApi) {
  const deals = new Map<number, Deal>();
  const leads = new Map<number, Lead>();
  const rows = new Map<number, ProductRow[]>();
  const histories = new Map<number, StageHistory>();
  const products = new Map<number, Product>();
  /** Product ids asked for (a deleted product is absent from `products` but not asked again). */
  const productsAsked = new Set<number>();

  const view: CrmApi = {
    ...crm,
    getDealContext: async (id) => {
      const deal = deals.get(id);
      return deal ? { deal, productRows: rows.get(id) ?? [], contacts: [], assignedUser: null, clientName: null } : crm.getDealContext(id);
    },
    getDeal: async (id) => deals.get(id) ?? crm.getDeal(id),
    getLead: async (id) => leads.get(id) ?? crm.getLead(id),
    getDealProductRows: async (id) => rows.get(id) ?? crm.getDealProductRows(id),
    latestStageHistory: async (entity, ids) =>
      entity === 'deal' && ids.every((id) => histories.has(id)) ? new Map(ids.map((id) => [id, histories.get(id)!])) : crm.latestStageHistory(entity, ids),
    listProducts: async (filter, select, order) => {
      const ids = Array.isArray(filter?.['@ID']) ? (filter['@ID'] as unknown[]).map(Number) : undefined;
      if (ids && ids.every((id) => productsAsked.has(id))) return ids.flatMap((id) => products.get(id) ?? []);
      return crm.listProducts(filter, select, order);
    },
  };

  /**
   * Product rows (one batch per 50 deals) and their products (one request per 50); with
   * `stageHistory`, the deals' stage histories too (one batch per 50 deals).
   */
  async function prefetchPurchases(dealIds: number[], opts: { stageHistory?: boolean } = {}): Promise<void> {
    if (opts.stageHistory) {
      const missing = dealIds.filter((id) => !histories.has(id));
      if (missing.length) for (const [id, history] of await crm.latestStageHistory('deal', missing)) histories.set(id, history);
    }
    const ids = dealIds.filter((id) => !rows.has(id));
    for (let i = 0; i < ids.length; i += 50) {
      const part = ids.slice(i, i + 50);
      const batch = await b24.batch<unknown>(Object.fromEntries(part.map((id) => [`d${id}`, { method: 'crm.deal.productrows.get', params: { id } }])));
      for (const id of part) {
        const error = batch.errors[`d${id}`];
        if (error && error.kind !== 'not_found') throw error;
        rows.set(id, toProductRows(batch.results[`d${id}`]));
      }
    }
    const productIds = [...new Set(dealIds.flatMap((id) => (rows.get(id) ?? []).map((r) => r.productId)).filter((p): p is number => p !== null && p > 0 && !productsAsked.has(p)))];
    for (let i = 0; i < productIds.length; i += 50) {
      const part = productIds.slice(i, i + 50);
      for (const p of await crm.listProducts({ '@ID': part }, ['ID', 'NAME', 'SECTION_ID', 'PRICE'])) products.set(p.id, p);
      for (const id of part) productsAsked.add(id);
    }
  }

  return {
    /** The CrmApi the planning activities read through. */
    crm: view,
    prefetchPurchases,
    remember(elements: (Deal | Lead)[], entity: 'deal' | 'lead'): void {
      for (const e of elements) {
        if (entity === 'deal') deals.set(e.id, e as Deal);
        else leads.set(e.id, e as Lead);
      }
    },
    /** The page is judged: let its rows go (a long history must not pile up in memory). */
    forget(elements: (Deal | Lead)[]): void {
      for (const e of elements) {
        deals.delete(e.id);
        leads.delete(e.id);
        rows.delete(e.id);
        histories.delete(e.id);
      }
      if (productsAsked.size > 5000) {
        products.clear();
        productsAsked.clear();
      }
    },
  };
}

function toProductRows(result: unknown): ProductRow[] {
  if (!Array.isArray(result)) return [];
  return (result as Record<string, unknown>[]).map((r) => ({
    id: toInt(r.ID),
    productId: toInt(r.PRODUCT_ID),
    productName: String(r.PRODUCT_NAME ?? ''),
    price: Number(r.PRICE ?? 0) || 0,
    quantity: Number(r.QUANTITY ?? 0) || 0,
    discountTypeId: toInt(r.DISCOUNT_TYPE_ID),
    discountRate: r.DISCOUNT_RATE == null ? null : Number(r.DISCOUNT_RATE),
    discountSum: r.DISCOUNT_SUM == null ? null : Number(r.DISCOUNT_SUM),
    taxRate: r.TAX_RATE == null ? null : Number(r.TAX_RATE),
    taxIncluded: r.TAX_INCLUDED === 'Y',
    measureCode: toInt(r.MEASURE_CODE),
    measureName: r.MEASURE_NAME == null ? null : String(r.MEASURE_NAME),
    sort: Number(r.SORT ?? 0) || 0,
  }));
}

function toInt(v: unknown): number | null {
  const n = Number(v);
  return v === null || v === undefined || v === '' || !Number.isInteger(n) || n <= 0 ? null : n;
}
