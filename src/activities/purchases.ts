/**
 * Reading purchases from the CRM: a won deal's product rows with their catalog sections, and a
 * client's won deals (for "bought since?", learning and chains). Shared by the client and the
 * expiry activities and the inbox dispatch.
 */
import { dealSelectWith, type Deal } from '../bitrix24';
import { ruleFields } from '../domain';
import type { Purchase } from '../domain/types';
import type { ClientRef, PurchaseFact } from './contracts';
import type { ActivityDeps } from './shared';

/** What a won deal bought and when (CLOSEDATE, else the time it moved to the won stage). */
export async function readPurchase(deps: ActivityDeps, deal: Deal): Promise<PurchaseFact> {
  const rows = await deps.crm.getDealProductRows(deal.id);
  const productIds = [...new Set(rows.map((r) => r.productId).filter((id): id is number => id !== null && id > 0))];
  const products = productIds.length ? await deps.crm.listProducts({ '@ID': productIds }, ['ID', 'NAME', 'SECTION_ID']) : [];
  const sectionOf = new Map(products.map((p) => [p.id, p.sectionId ?? undefined]));
  return {
    dealId: deal.id,
    categoryId: deal.categoryId,
    at: purchaseMoment(deal),
    amount: deal.opportunity,
    items: rows
      .filter((r) => r.productId !== null)
      .map((r) => ({ productId: r.productId!, sectionId: sectionOf.get(r.productId!), name: r.productName, quantity: r.quantity, price: r.price })),
  };
}

/**
 * When the purchase happened. CLOSEDATE is a date (the portal keeps no time in it); when the
 * deal moved to its won stage on that same date, MOVED_TIME gives the exact moment.
 */
export function purchaseMoment(deal: Pick<Deal, 'closeDate' | 'movedAt' | 'modifiedAt'>): string {
  const { closeDate, movedAt } = deal;
  const sameDay = closeDate && movedAt && Date.parse(movedAt) >= Date.parse(closeDate) && Date.parse(movedAt) - Date.parse(closeDate) < 24 * 3600_000;
  if (sameDay) return movedAt;
  return closeDate ?? movedAt ?? deal.modifiedAt ?? new Date().toISOString();
}

/** The client as crm.deal.add fields: CONTACT_ID is deprecated there in favour of CONTACT_IDS (crm-deal-add.md). */
export function clientDealFields(client: ClientRef): Record<string, number | number[]> {
  return client.kind === 'company' ? { COMPANY_ID: client.id } : { CONTACT_IDS: [client.id] };
}

/**
 * The client's won deals (newest first, at most `max`) as purchases with their items; a
 * contact's by any of its deal bindings, not only as the primary contact (crm.item.list).
 */
export async function clientPurchases(deps: ActivityDeps, client: ClientRef, wonIn: number[], max = 12): Promise<PurchaseFact[]> {
  const { won } = await deps.crm.listClientDeals(client, { won: { filter: { STAGE_SEMANTIC_ID: 'S', '@CATEGORY_ID': wonIn }, select: dealSelectWith(ruleFields(deps.rules()).deal), order: { CLOSEDATE: 'DESC' } } });
  const deals = (won ?? []).slice(0, max);
  const purchases: PurchaseFact[] = [];
  for (const deal of deals) purchases.push(await readPurchase(deps, deal));
  return purchases;
}

export function toDomainPurchase(p: PurchaseFact, fields?: Record<string, unknown>): Purchase {
  return {
    dealId: p.dealId,
    at: new Date(p.at),
    categoryId: p.categoryId,
    items: p.items.map((i) => ({ productId: i.productId, sectionId: i.sectionId, quantity: i.quantity, name: i.name })),
    fields,
  };
}
