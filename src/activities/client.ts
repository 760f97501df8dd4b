/**
 * Activities of the client purchase cycle: plan the next touches (repurchase due, next chain
 * step), inspect the CRM at the due time, touch the client (a new deal with a to-do, or a to-do
 * on the open deal), and park a forgotten client. Writes are keyed by ORIGIN_ID / to-do marker.
 */
import { CrmEntityTypeId, parseDeal } from '../bitrix24';
import type { ClientRules } from '../config/rules';
import { addDuration, duePurchase, formatDuration, formatLocal, managerDateBoundsMs, nextChainOffer, nextWorkingSlot, render, todoDeadline, validateManagerDate } from '../domain';
import type {
  ClientInspection,
  ClientPlan,
  ClientPlanRequest,
  ClientRef,
  ClientTouch,
  ClientTouchRequest,
  ClientTouchResult,
  PurchaseFact,
} from './contracts';
import { clientDealFields, clientFilter, clientPurchases, purchaseMoment, readPurchase, toDomainPurchase } from './purchases';
import { assign, clientNameOf, dealLink, notifyPeople, ORIGINATOR, originKey, withTaxonomy, type ActivityDeps } from './shared';
import { ensureTodo } from './todos';

export function createClientActivities(deps: ActivityDeps) {
  const now = () => deps.now?.() ?? new Date();
  const clientRules = (): ClientRules => {
    const rules = deps.rules().clients;
    if (!rules) throw new Error('the rules have no "clients" block');
    return rules;
  };

  async function planClientCycle(req: ClientPlanRequest): Promise<ClientPlan> {
    const rules = deps.rules();
    const clients = rules.clients;
    if (!clients?.enabled) return { decision: 'skip', why: 'client reactivation is disabled in the rules' };
    const calendar = rules.defaults.calendar;
    const zone = calendar.timeZone;
    const at = now();
    const history = (await clientPurchases(deps, req.client, clients.wonIn)).map((p) => toDomainPurchase(p));
    const purchase = toDomainPurchase(req.purchase);
    const due = duePurchase(purchase, clients, history.filter((p) => p.dealId !== purchase.dealId), zone);
    // Cycle n is due n periods after the purchase.
    let dueAt = due.dueAt;
    for (let i = 1; i < req.cycle; i++) dueAt = addDuration(dueAt, due.period, zone);
    let why = `${due.explanation}; cycle ${req.cycle}`;
    if (req.managerDueAt) {
      const check = validateManagerDate(req.managerDueAt, at, clients.dueDates, zone);
      if (check.ok) {
        dueAt = check.at;
        why = `manager set ${check.at.toISOString()}`;
      } else why += ` (manager date rejected: ${check.message})`;
    }
    const touches: ClientTouch[] = [
      {
        key: `cycle-${req.cycle}`,
        kind: 'repurchase',
        at: nextWorkingSlot(dueAt < at ? at : dueAt, calendar).toISOString(),
        label: `repurchase due (cycle ${req.cycle}): ${due.decidingItem?.name ?? 'the last purchase'} every ${formatDuration(due.period)}`,
        words: { period: formatDuration(due.period, 'ruAccusative') },
      },
    ];
    for (const chain of clients.chains) {
      const offer = nextChainOffer(chain, [...history, purchase], zone);
      if (offer && !req.offersMade.includes(offer.key)) {
        touches.push({ key: offer.key, kind: 'chain', at: nextWorkingSlot(offer.dueAt < at ? at : offer.dueAt, calendar).toISOString(), label: offer.label, words: { chain: offer.chain, step: offer.step } });
        why += `; chain: ${offer.explanation}`;
      }
    }
    const deal = await deps.crm.getDeal(req.purchase.dealId);
    return {
      decision: 'follow',
      why,
      touches,
      maxCycles: clients.maxCycles,
      responsibleId: deal?.assignedById ?? 0,
      products: req.purchase.items.map((i) => i.name).slice(0, 20),
      dateBounds: managerDateBoundsMs(clients.dueDates, at, zone),
    };
  }

  async function inspectClient(req: { client: ClientRef; since: string; purchaseDealId: number }): Promise<ClientInspection> {
    const clients = clientRules();
    const exists = req.client.kind === 'company' ? await deps.crm.getCompany(req.client.id) : await deps.crm.getContact(req.client.id);
    if (!exists) return { state: 'gone' };
    // CLOSEDATE is a date without a time: ask from the day before and keep what was bought after `since`.
    const sinceDay = new Date(Date.parse(req.since) - 24 * 3600_000).toISOString().slice(0, 10);
    const { results } = await deps.b24.batch<unknown[]>(
      {
        won: {
          method: 'crm.deal.list',
          params: {
            filter: { ...clientFilter(req.client), STAGE_SEMANTIC_ID: 'S', CATEGORY_ID: clients.wonIn, '>=CLOSEDATE': sinceDay, '!ID': req.purchaseDealId },
            order: { CLOSEDATE: 'DESC' },
            select: ['*'],
          },
        },
        open: {
          method: 'crm.deal.list',
          params: { filter: { ...clientFilter(req.client), CLOSED: 'N' }, order: { ID: 'DESC' }, select: ['ID', 'ASSIGNED_BY_ID', 'ORIGINATOR_ID'] },
        },
      },
      { allOrThrow: true },
    );
    const won = ((results.won ?? []) as unknown[])
      .map((raw) => parseDeal(raw, 'crm.deal.list'))
      .filter((d) => Date.parse(purchaseMoment(d)) > Date.parse(req.since))
      .sort((a, b) => Date.parse(purchaseMoment(b)) - Date.parse(purchaseMoment(a)));
    if (won.length > 0) {
      const deal = await deps.crm.getDeal(won[0].id);
      if (deal) return { state: 'purchased', purchase: await readPurchase(deps, deal) };
    }
    const open = (results.open ?? []) as { ID: string; ASSIGNED_BY_ID: string; ORIGINATOR_ID?: string | null }[];
    const foreign = open.find((d) => d.ORIGINATOR_ID !== ORIGINATOR) ?? open[0];
    if (foreign) return { state: 'openDeal', dealId: Number(foreign.ID), responsibleId: Number(foreign.ASSIGNED_BY_ID) };
    return { state: 'none' };
  }

  function vars(name: string, purchase: PurchaseFact, zone: string, extra: Record<string, string | number | undefined> = {}) {
    return {
      client: name,
      products: purchase.items.map((i) => i.name).join(', ') || '—',
      purchaseDate: formatLocal(new Date(purchase.at), zone, false),
      link: dealLink(deps.portalUrl, 'deal', purchase.dealId),
      ...extra,
    };
  }

  async function touchClient(req: ClientTouchRequest): Promise<ClientTouchResult> {
    const rules = deps.rules();
    const clients = clientRules();
    const calendar = rules.defaults.calendar;
    const zone = calendar.timeZone;
    const name = await clientNameOf(deps, req.client);
    // The purchase is part of the key: after a new purchase the cycles count from 1 again, and
    // cycle 1 of that purchase must not find the deal (or to-do) made for an earlier purchase.
    const key = originKey(req.workflowId, `p${req.purchase.dealId}-${req.cycle}-${req.touch.key}`);
    const marker = `[${key}]`;
    const purchaseDeal = await deps.crm.getDeal(req.purchase.dealId);
    const v = vars(name, req.purchase, zone, {
      cycle: req.cycle,
      title: purchaseDeal?.title,
      // Runs planned before `words` existed carry only the label.
      ...(req.touch.words ?? { step: req.touch.label }),
    });
    const deadline = todoDeadline(now(), clients.todoDeadline ?? rules.defaults.todoDeadline, calendar).toISOString();

    if (req.openDealId !== undefined && req.touch.kind === 'repurchase') {
      const open = await deps.crm.getDeal(req.openDealId);
      const responsibleId = open?.assignedById ?? purchaseDeal?.assignedById ?? 0;
      if (clients.openDeal.todo) {
        await ensureTodo(deps, CrmEntityTypeId.deal, req.openDealId, marker, {
          title: render(clients.templates.todoTitle, v).text,
          description: `${render(clients.templates.todoDescription, v).text}\n${marker}`,
          deadline,
          responsibleId,
        });
      }
      if (clients.openDeal.notify) {
        const message = render(clients.templates.openDealNotice, { ...v, title: open?.title, link: dealLink(deps.portalUrl, 'deal', req.openDealId) }).text;
        await notifyPeople(deps, clients.notifications.atDue, responsibleId, rules.defaults.headOfSales ?? null, message, key);
      }
      return { dealId: req.openDealId, created: false, kind: 'nudge' };
    }

    const existing = await deps.crm.findDealByOrigin(ORIGINATOR, key);
    const decision = await assign(deps, clients.responsible ?? rules.defaults.responsible, purchaseDeal?.assignedById ?? undefined);
    const responsibleId = existing?.assignedById ?? (decision.decided ? decision.userId : rules.defaults.headOfSales ?? 1);
    const chain = req.touch.kind === 'chain';
    const title = render(chain ? clients.templates.chainDealTitle : clients.templates.dealTitle, v).text;
    const dealId =
      existing?.id ??
      (await deps.crm.addDeal({
        TITLE: title,
        CATEGORY_ID: clients.target.categoryId,
        STAGE_ID: clients.target.stageId,
        ASSIGNED_BY_ID: responsibleId,
        ...clientDealFields(req.client),
        IS_RETURN_CUSTOMER: 'Y',
        COMMENTS: render(clients.templates.dealComments, v).text,
        ORIGINATOR_ID: ORIGINATOR,
        ORIGIN_ID: key,
      }));
    if (!existing && req.touch.kind === 'repurchase' && req.purchase.items.length > 0) {
      await deps.crm.setDealProductRows(dealId, req.purchase.items.map((i) => ({ productId: i.productId, price: i.price, quantity: i.quantity })));
    }
    await ensureTodo(deps, CrmEntityTypeId.deal, dealId, marker, {
      title: render(clients.templates.todoTitle, v).text,
      description: `${render(chain ? clients.templates.chainTodoDescription : clients.templates.todoDescription, v).text}\n${marker}`,
      deadline,
      responsibleId,
    });
    deps.log.info('client touched', { client: req.client, dealId, touch: req.touch.key, created: !existing });
    return { dealId, created: !existing, kind: 'deal' };
  }

  async function markClientForgotten(req: { client: ClientRef; workflowId: string; dealId: number; cycle: number }): Promise<void> {
    const rules = deps.rules();
    const clients = clientRules();
    const forgotten = clients.forgotten;
    const deal = await deps.crm.getDeal(req.dealId);
    if (forgotten && deal && deal.stageId !== forgotten.stageId && deal.categoryId === forgotten.categoryId && deal.originatorId === ORIGINATOR) {
      await deps.crm.updateDeal(req.dealId, { STAGE_ID: forgotten.stageId });
    }
    if (forgotten?.clientField) {
      const method = req.client.kind === 'company' ? 'crm.company.update' : 'crm.contact.update';
      await deps.b24.call(method, { id: req.client.id, fields: { [forgotten.clientField.field]: forgotten.clientField.value } });
    }
    const name = await clientNameOf(deps, req.client);
    const message = render(clients.templates.onForgotten, { client: name, cycle: req.cycle, link: dealLink(deps.portalUrl, req.client.kind, req.client.id) }).text;
    await notifyPeople(deps, clients.notifications.onForgotten, deal?.assignedById ?? undefined, rules.defaults.headOfSales ?? null, message, `${req.workflowId}-forgotten`);
  }

  return withTaxonomy({ planClientCycle, inspectClient, touchClient, markClientForgotten });
}

export type ClientActivities = ReturnType<typeof createClientActivities>;
