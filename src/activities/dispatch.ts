/**
 * The element inbox's one activity: read the changed deal or lead once, decide with the rules
 * which scenarios it concerns, and start or signal their workflows. Idempotent: the workflow ids
 * come from business keys, a start meets the running execution, and a closed run remembers the
 * loss (memo `lossKey`) or purchase (memo `purchaseAt`) it handled.
 */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { heartbeat } from '@temporalio/activity';
import { DEAL_SELECT, parseDeal, type Deal, type Lead } from '../bitrix24';
import { clientOfDeal, duePurchase, expiryRulesFor, findLostRule } from '../domain';
import { purchaseSignal } from '../workflows/client.messages';
import { crmChangedSignal, reactivationChangedSignal, type LostTrigger } from '../workflows/lost-deal.messages';
import { expiryChangedSignal, type expiryReminders } from '../workflows/expiry';
import type { clientReactivation } from '../workflows/client';
import type { lostDealReactivation } from '../workflows/lost-deal';
import { clientWorkflowId, expiryWorkflowId, lostWorkflowId, type CrmEntity } from '../shared/names';
import type { CrmEventNotice, DispatchAction, DispatchReport, PurchaseFact } from './contracts';
import { purchaseMoment, readPurchase, toDomainPurchase } from './purchases';
import { lossKeyOf } from './loss-key';
import { isOurs, parseOriginKey, withTaxonomy, type ActivityDeps } from './shared';

export function createDispatchActivities(deps: ActivityDeps) {
  const wf = deps.temporal.workflow;

  async function describe(handle: WorkflowHandle) {
    try {
      return await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Signals the workflow if it runs; reports what happened. */
  async function signalIfRunning(workflowId: string, send: (h: WorkflowHandle) => Promise<void>, why: string): Promise<DispatchAction | undefined> {
    const handle = wf.getHandle(workflowId);
    const description = await describe(handle);
    if (description?.status.name !== 'RUNNING') return undefined;
    await send(handle);
    return { kind: 'signalled', workflowId, why };
  }

  async function ensureLost(entity: CrmEntity, element: Deal | Lead, lossKey: string, why: string, trigger: LostTrigger): Promise<DispatchAction> {
    const workflowId = lostWorkflowId(entity, element.id);
    const handle = wf.getHandle(workflowId);
    const description = await describe(handle);
    if (description?.status.name === 'RUNNING') {
      await handle.signal(crmChangedSignal, { lossKey, source: trigger });
      return { kind: 'signalled', workflowId, why: 'the element changed while its reactivation runs' };
    }
    if (description && description.memo?.lossKey === lossKey) {
      return { kind: 'none', workflowId, why: `this loss (${lossKey}) was already handled` };
    }
    await wf.start<typeof lostDealReactivation>('lostDealReactivation', {
      workflowId,
      taskQueue: deps.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
      memo: { lossKey },
      args: [{ entity, id: element.id, attempt: 1, lostElementId: element.id, lossKey, trigger, history: [] }],
    });
    return { kind: 'started', workflowId, why };
  }

  async function ensureClient(deal: Deal, purchase: PurchaseFact): Promise<DispatchAction | undefined> {
    const clients = deps.rules().clients;
    if (!clients) return undefined;
    const client = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, clients.clientOf);
    if (!client) return { kind: 'none', why: `won deal ${deal.id} has no client` };
    const workflowId = clientWorkflowId(client.kind, client.id);
    const description = await describe(wf.getHandle(workflowId));
    if (description && description.status.name !== 'RUNNING') {
      const handled = Date.parse(String(description.memo?.purchaseAt ?? ''));
      if (!Number.isNaN(handled) && Date.parse(purchase.at) <= handled) {
        return { kind: 'none', workflowId, why: `purchase ${deal.id} is not newer than the one the last run handled` };
      }
    }
    await wf.signalWithStart<typeof clientReactivation, [PurchaseFact]>('clientReactivation', {
      workflowId,
      taskQueue: deps.taskQueue,
      memo: { purchaseAt: purchase.at },
      args: [{ client, purchase, cycle: 1, offersMade: [], history: [] }],
      signal: purchaseSignal,
      signalArgs: [purchase],
    });
    return { kind: description?.status.name === 'RUNNING' ? 'signalled' : 'started', workflowId, why: `purchase in deal ${deal.id}` };
  }

  async function ensureExpiry(deal: Deal, purchase: PurchaseFact): Promise<DispatchAction | undefined> {
    const expiry = deps.rules().expiry;
    if (!expiry) return undefined;
    const sale = { at: new Date(purchase.at), categoryId: purchase.categoryId, items: purchase.items.map((i) => ({ productId: i.productId, sectionId: i.sectionId, quantity: i.quantity })), fields: deal.userFields };
    if (expiryRulesFor(expiry, sale).length === 0) return undefined;
    const workflowId = expiryWorkflowId(deal.id);
    const handle = wf.getHandle(workflowId);
    const description = await describe(handle);
    if (description?.status.name === 'RUNNING') {
      await handle.signal(expiryChangedSignal);
      return { kind: 'signalled', workflowId, why: 'the sold deal changed: re-plan its reminders' };
    }
    if (description) return { kind: 'none', workflowId, why: 'its reminders were already made' };
    await wf.start<typeof expiryReminders>('expiryReminders', { workflowId, taskQueue: deps.taskQueue, workflowIdConflictPolicy: 'USE_EXISTING', args: [{ dealId: deal.id }] });
    return { kind: 'started', workflowId, why: `sold deal ${deal.id} has an expiry rule` };
  }

  async function dispatchDeal(id: number, trigger: LostTrigger): Promise<DispatchAction[]> {
    const deal = await deps.crm.getDeal(id);
    const actions: (DispatchAction | undefined)[] = [];
    if (!deal) {
      actions.push(await signalIfRunning(lostWorkflowId('deal', id), (h) => h.signal(crmChangedSignal, { source: 'webhook' }), 'the deal was deleted'));
      actions.push(await signalIfRunning(expiryWorkflowId(id), (h) => h.signal(expiryChangedSignal), 'the deal was deleted'));
      return done(actions, `deal ${id} no longer exists`);
    }
    const origin = isOurs(deal) ? parseOriginKey(deal.originId) : undefined;
    if (origin?.workflowId.startsWith('reactivation-')) {
      actions.push(
        await signalIfRunning(origin.workflowId, (h) => h.signal(reactivationChangedSignal, { dealId: deal.id }), `its reactivation deal ${deal.id} changed`),
      );
    }
    const rules = deps.rules();
    if (deal.stageSemantic === 'F' && !origin) {
      const found = findLostRule(rules, { entity: 'deal', categoryId: deal.categoryId, stageId: deal.stageId, fields: deal.userFields });
      actions.push(
        found.decision === 'reactivate'
          ? await ensureLost('deal', deal, lossKeyOf(deal), found.why, trigger)
          : { kind: 'none', why: found.why },
      );
    } else if (!origin) {
      actions.push(
        await signalIfRunning(lostWorkflowId('deal', id), (h) => h.signal(crmChangedSignal, { source: 'webhook' }), 'a lost deal changed (re-opened or edited)'),
      );
    }
    if (deal.stageSemantic === 'S') {
      const wonInClients = !!rules.clients?.enabled && rules.clients.wonIn.includes(deal.categoryId);
      const wonInExpiry = !!rules.expiry?.enabled && rules.expiry.wonIn.includes(deal.categoryId);
      if (wonInClients || wonInExpiry) {
        const purchase = await readPurchase(deps, deal);
        if (wonInClients) actions.push(await ensureClient(deal, purchase));
        if (wonInExpiry) actions.push(await ensureExpiry(deal, purchase));
      }
    }
    return done(actions, `deal ${id} (stage ${deal.stageId}) concerns no scenario`);
  }

  async function dispatchLead(id: number, trigger: LostTrigger): Promise<DispatchAction[]> {
    const lead = await deps.crm.getLead(id);
    if (!lead) {
      return done([await signalIfRunning(lostWorkflowId('lead', id), (h) => h.signal(crmChangedSignal, { source: 'webhook' }), 'the lead was deleted')], `lead ${id} no longer exists`);
    }
    if (lead.statusSemantic === 'F') {
      const found = findLostRule(deps.rules(), { entity: 'lead', statusId: lead.statusId, fields: lead.userFields });
      return [found.decision === 'reactivate' ? await ensureLost('lead', lead, lossKeyOf(lead), found.why, trigger) : { kind: 'none', why: found.why }];
    }
    return done(
      [await signalIfRunning(lostWorkflowId('lead', id), (h) => h.signal(crmChangedSignal, { source: 'webhook' }), 'a junk lead changed')],
      `lead ${id} (status ${lead.statusId}) concerns no scenario`,
    );
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
   */
  async function scanDormantClients({ dryRun }: { dryRun: boolean }): Promise<DormantReport> {
    const rules = deps.rules();
    const clients = rules.clients;
    const report: DormantReport = { dryRun, wonDeals: 0, clients: 0, running: 0, started: 0, overdue: 0, sample: [] };
    if (!clients?.enabled) return report;
    const latest = new Map<string, Deal>();
    for await (const page of deps.b24.iterate<unknown>('crm.deal.list', { filter: { STAGE_SEMANTIC_ID: 'S', CATEGORY_ID: clients.wonIn }, select: DEAL_SELECT }, { fastById: true })) {
      for (const raw of page) {
        const deal = parseDeal(raw, 'crm.deal.list');
        report.wonDeals++;
        const client = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, clients.clientOf);
        if (!client) continue;
        const key = clientWorkflowId(client.kind, client.id);
        const previous = latest.get(key);
        if (!previous || purchaseTime(deal) > purchaseTime(previous)) latest.set(key, deal);
      }
      heartbeat(report.wonDeals);
    }
    report.clients = latest.size;
    const zone = rules.defaults.calendar.timeZone;
    for (const [workflowId, deal] of latest) {
      const description = await describe(wf.getHandle(workflowId));
      if (description?.status.name === 'RUNNING') {
        report.running++;
        continue;
      }
      const purchase = await readPurchase(deps, deal);
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

  return withTaxonomy({ dispatchCrmEvents, scanDormantClients });
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

function purchaseTime(deal: Deal): number {
  return Date.parse(purchaseMoment(deal)) || 0;
}

function done(actions: (DispatchAction | undefined)[], otherwise: string): DispatchAction[] {
  const taken = actions.filter((a): a is DispatchAction => a !== undefined);
  return taken.length > 0 ? taken : [{ kind: 'none', why: otherwise }];
}

export type DispatchActivities = ReturnType<typeof createDispatchActivities>;
