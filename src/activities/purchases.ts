/**
 * Reading purchases from the CRM: when a won deal was bought (its stage history, through
 * src/domain/purchase-moment.ts), its product rows with their catalog sections, and a client's
 * won deals (for "bought since?", learning and chains). Shared by the client and the expiry
 * activities, the inbox dispatch, the dormant scan and the backfill.
 */
import { dealSelectWith, type Deal, type StageHistory } from '../bitrix24';
import { purchaseMoment, ruleFields, type PurchaseMoment } from '../domain';
import type { Purchase } from '../domain/types';
import type { ClientRef, PurchaseFact, PurchaseItem } from './contracts';
import type { ActivityDeps } from './shared';

/**
 * When the won deal was bought (src/domain/purchase-moment.ts: the move into its won stage, not
 * CLOSEDATE) from its stage history — given by a caller that read it for many deals in one
 * batch, else read here (crm.stagehistory.list, 1 request). A history the portal refuses is
 * logged: the moment then rests on MOVED_TIME.
 */
export async function dealPurchaseMoment(deps: ActivityDeps, deal: Deal, history?: StageHistory): Promise<PurchaseMoment> {
  const entries = history !== undefined ? history : ((await deps.crm.latestStageHistory('deal', [deal.id])).get(deal.id) ?? null);
  const moment = purchaseMoment(deal, entries, deps.now?.() ?? new Date());
  const fields = { dealId: deal.id, basis: moment.basis, clamped: moment.clamped, why: moment.explanation };
  if (entries === null) deps.log.warn('purchase moment without stage history (the portal refused crm.stagehistory.list)', fields);
  else if (moment.clamped) deps.log.info('purchase moment bounded', fields);
  else deps.log.debug('purchase moment', fields);
  return moment;
}

/** The stage histories of many won deals: ONE batch request per 50 deals (none for no deals). */
export async function stageHistories(deps: ActivityDeps, deals: Pick<Deal, 'id'>[]): Promise<Map<number, StageHistory>> {
  return deals.length ? deps.crm.latestStageHistory('deal', deals.map((d) => d.id)) : new Map();
}

/** What a won deal bought: its product rows with their catalog sections (2 requests). */
export async function purchaseItems(deps: ActivityDeps, deal: Pick<Deal, 'id'>): Promise<PurchaseItem[]> {
  const rows = await deps.crm.getDealProductRows(deal.id);
  const productIds = [...new Set(rows.map((r) => r.productId).filter((id): id is number => id !== null && id > 0))];
  const products = productIds.length ? await deps.crm.listProducts({ '@ID': productIds }, ['ID', 'NAME', 'SECTION_ID']) : [];
  const sectionOf = new Map(products.map((p) => [p.id, p.sectionId ?? undefined]));
  return rows
    .filter((r) => r.productId !== null)
    .map((r) => ({ productId: r.productId!, sectionId: sectionOf.get(r.productId!), name: r.productName, quantity: r.quantity, price: r.price }));
}

/** What a won deal bought and when: its items (2 requests) and its purchase moment (1 more unless given). */
export async function readPurchase(deps: ActivityDeps, deal: Deal, moment?: PurchaseMoment): Promise<PurchaseFact> {
  const when = moment ?? (await dealPurchaseMoment(deps, deal));
  return {
    dealId: deal.id,
    categoryId: deal.categoryId,
    at: when.at.toISOString(),
    atBasis: when.basis,
    amount: deal.opportunity,
    items: await purchaseItems(deps, deal),
  };
}

/** The client as crm.deal.add fields: CONTACT_ID is deprecated there in favour of CONTACT_IDS (crm-deal-add.md). */
export function clientDealFields(client: ClientRef): Record<string, number | number[]> {
  return client.kind === 'company' ? { COMPANY_ID: client.id } : { CONTACT_IDS: [client.id] };
}

/**
 * The client's latest won deals (at most `max`, newest purchase first) as purchases with their
 * items: a contact's by any of its deal bindings, not only as the primary contact (crm.item.list);
 * listed by MOVED_TIME (CLOSEDATE may be a planned date), their stage histories in ONE batch,
 * then 2 requests per purchase.
 */
export async function clientPurchases(deps: ActivityDeps, client: ClientRef, wonIn: number[], max = 12): Promise<PurchaseFact[]> {
  const { won } = await deps.crm.listClientDeals(client, {
    won: { filter: { STAGE_SEMANTIC_ID: 'S', '@CATEGORY_ID': wonIn }, select: dealSelectWith(ruleFields(deps.rules()).deal), order: { MOVED_TIME: 'DESC', ID: 'DESC' } },
  });
  const deals = (won ?? []).slice(0, max);
  const histories = await stageHistories(deps, deals);
  const purchases: PurchaseFact[] = [];
  for (const deal of deals) purchases.push(await readPurchase(deps, deal, await dealPurchaseMoment(deps, deal, histories.get(deal.id) ?? null)));
  return purchases.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
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
