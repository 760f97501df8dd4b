/**
 * The element inbox's one activity: read the changed deal or lead once, route it
 * (src/domain/routing.ts: which scenarios it concerns) and start or signal their workflows
 * through the one starter (src/temporal/starter.ts, which owns idempotency). Also the dormant
 * client scan, which starts the purchase cycles nobody started.
 */
import { heartbeat } from '@temporalio/activity';
import { dealSelectWith, parseDeal, type Deal, type Lead } from '../bitrix24';
import type { PurchaseMoment } from '../domain';
import { clientOfDeal, duePurchase, expiryRulesFor, routeDeal, routeDeletedDeal, routeDeletedLead, routeLead, ruleFields, type Route } from '../domain';
import { clientWorkflowId, type CrmEntity } from '../shared/names';
import { createStarter } from '../temporal/starter';
import type { LostTrigger } from '../workflows/lost-deal.messages';
import type { CrmEventNotice, DispatchAction, DispatchReport, PurchaseFact } from './contracts';
import { dealPurchaseMoment, readPurchase, stageHistories, toDomainPurchase } from './purchases';
import { lossKeyOf } from './loss-key';
import { isOurs, withTaxonomy, type ActivityDeps } from './shared';

export function createDispatchActivities(deps: ActivityDeps) {
  const starter = createStarter(deps.temporal, deps.taskQueue);

  async function ensureClient(deal: Deal, purchase: PurchaseFact): Promise<DispatchAction | undefined> {
    const clients = deps.rules().clients;
    if (!clients) return undefined;
    const client = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, clients.clientOf);
    if (!client) return { kind: 'none', why: `won deal ${deal.id} has no client` };
    return starter.ensureClient(client, purchase, deal.id);
  }

  async function ensureExpiry(deal: Deal, purchase: PurchaseFact): Promise<DispatchAction | undefined> {
    const expiry = deps.rules().expiry;
    if (!expiry) return undefined;
    const sale = { at: new Date(purchase.at), categoryId: purchase.categoryId, items: purchase.items.map((i) => ({ productId: i.productId, sectionId: i.sectionId, quantity: i.quantity })), fields: deal.userFields };
    if (expiryRulesFor(expiry, sale).length === 0) return undefined;
    return starter.ensureExpiry(deal.id);
  }

  /** Carries out one route of a deal or lead (src/domain/routing.ts decided which). */
  async function follow(route: Route, entity: CrmEntity, element: Deal | Lead | null, id: number, trigger: LostTrigger): Promise<(DispatchAction | undefined)[]> {
    switch (route.scenario) {
      case 'reactivationDeal':
        return [await starter.reactivationDealChanged(route.workflowId, id, route.why)];
      case 'lost':
        if (route.action === 'start' && element) return [await starter.ensureLost({ entity, id, lossKey: lossKeyOf(element), trigger, why: route.why })];
        if (route.action === 'signal') return [await starter.lostChanged(entity, id, route.why)];
        return [{ kind: 'none', why: route.why }];
      case 'expiry':
        return [await starter.expiryChanged(id, route.why)];
      case 'purchase': {
        const deal = element as Deal;
        const purchase = await readPurchase(deps, deal);
        return [route.client ? await ensureClient(deal, purchase) : undefined, route.expiry ? await ensureExpiry(deal, purchase) : undefined];
      }
    }
  }

  async function followAll(routes: Route[], entity: CrmEntity, element: Deal | Lead | null, id: number, trigger: LostTrigger): Promise<(DispatchAction | undefined)[]> {
    const actions: (DispatchAction | undefined)[] = [];
    for (const route of routes) actions.push(...(await follow(route, entity, element, id, trigger)));
    return actions;
  }

  async function dispatchDeal(id: number, trigger: LostTrigger): Promise<DispatchAction[]> {
    const deal = await deps.crm.getDeal(id);
    if (!deal) return done(await followAll(routeDeletedDeal(), 'deal', null, id, trigger), `deal ${id} no longer exists`);
    const routes = routeDeal({ ...deal, ours: isOurs(deal) }, deps.rules());
    return done(await followAll(routes, 'deal', deal, id, trigger), `deal ${id} (stage ${deal.stageId}) concerns no scenario`);
  }

  async function dispatchLead(id: number, trigger: LostTrigger): Promise<DispatchAction[]> {
    const lead = await deps.crm.getLead(id);
    if (!lead) return done(await followAll(routeDeletedLead(), 'lead', null, id, trigger), `lead ${id} no longer exists`);
    return done(await followAll(routeLead(lead, deps.rules()), 'lead', lead, id, trigger), `lead ${id} (status ${lead.statusId}) concerns no scenario`);
  }

  async function dispatchCrmEvents({ entity, id, events }: { entity: CrmEntity; id: number; events: CrmEventNotice[] }): Promise<DispatchReport> {
    // A loss seen only by the backfill is history: its workflow does not announce it as news.
    const trigger: LostTrigger = events.every((e) => e.source === 'backfill') ? 'backfill' : events.every((e) => e.source === 'reconcile') ? 'reconcile' : 'webhook';
    const actions = entity === 'deal' ? await dispatchDeal(id, trigger) : await dispatchLead(id, trigger);
    for (const action of actions) if (action.kind !== 'none') deps.log.info('dispatched', { entity, id, ...action });
    return { entity, id, events: events.length, actions };
  }

  /**
   * Dormant clients (seed 002): page through won deals, keep each client's latest purchase, and
   * start the purchase cycle of every client that has none running — e.g. those who bought
   * before installation. Dry run: only report who would start and who is already overdue.
   * "Latest" is by purchase moment (src/domain/purchase-moment.ts): per page of 50 won deals,
   * their stage histories cost ONE batch request.
   */
  async function scanDormantClients({ dryRun }: { dryRun: boolean }): Promise<DormantReport> {
    const rules = deps.rules();
    const clients = rules.clients;
    const report: DormantReport = { dryRun, wonDeals: 0, clients: 0, running: 0, started: 0, overdue: 0, sample: [] };
    if (!clients?.enabled) return report;
    const latest = new Map<string, { deal: Deal; moment: PurchaseMoment }>();
    for await (const page of deps.b24.iterate<unknown>('crm.deal.list', { filter: { STAGE_SEMANTIC_ID: 'S', '@CATEGORY_ID': clients.wonIn }, select: dealSelectWith(ruleFields(rules).deal) }, { fastById: true })) {
      const deals = page.map((raw) => parseDeal(raw, 'crm.deal.list'));
      report.wonDeals += deals.length;
      const withClient = deals.flatMap((deal) => {
        const client = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, clients.clientOf);
        return client ? [{ deal, key: clientWorkflowId(client.kind, client.id) }] : [];
      });
      const histories = await stageHistories(deps, withClient.map((c) => c.deal));
      for (const { deal, key } of withClient) {
        const moment = await dealPurchaseMoment(deps, deal, histories.get(deal.id) ?? null);
        const previous = latest.get(key);
        if (!previous || moment.at > previous.moment.at) latest.set(key, { deal, moment });
      }
      heartbeat(report.wonDeals);
    }
    report.clients = latest.size;
    const zone = rules.defaults.calendar.timeZone;
    for (const [workflowId, { deal, moment }] of latest) {
      if (starter.running(await starter.describe(workflowId))) {
        report.running++;
        continue;
      }
      const purchase = await readPurchase(deps, deal, moment);
      const due = duePurchase(toDomainPurchase(purchase), clients, [], zone);
      if (due.dueAt.getTime() < Date.now()) report.overdue++;
      if (report.sample.length < 50) report.sample.push({ workflowId, dealId: deal.id, purchaseAt: purchase.at, dueAt: due.dueAt.toISOString() });
      if (dryRun) continue;
      const action = await ensureClient(deal, purchase);
      if (action?.kind === 'started') report.started++;
    }
    deps.log.info('dormant scan done', { ...report, sample: undefined });
    return report;
  }

  return withTaxonomy({ dispatchCrmEvents, scanDormantClients }, deps.log);
}

export interface DormantReport {
  dryRun: boolean;
  wonDeals: number;
  clients: number;
  running: number;
  started: number;
  overdue: number;
  sample: { workflowId: string; dealId: number; purchaseAt: string; dueAt: string }[];
}

function done(actions: (DispatchAction | undefined)[], otherwise: string): DispatchAction[] {
  const taken = actions.filter((a): a is DispatchAction => a !== undefined);
  return taken.length > 0 ? taken : [{ kind: 'none', why: otherwise }];
}

export type DispatchActivities = ReturnType<typeof createDispatchActivities>;
