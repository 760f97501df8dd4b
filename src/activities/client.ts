/**
 * Activities of the client purchase cycle: plan the next touches (repurchase due, next chain
 * step), inspect the CRM at the due time, touch the client (a new deal with a to-do, or a to-do
 * on the open deal), and park a forgotten client. Writes are keyed by ORIGIN_ID / to-do marker.
 */
import { CrmEntityTypeId, restDateTime, type Deal } from '../bitrix24';
import type { ClientRules, Rules } from '../config/rules';
import { formatLocal, managerDateBoundsMs, openDealSince, planClientTouches, render, todoDeadline, type TemplateVars } from '../domain';
import type {
  ClientInspection,
  ClientPlan,
  ClientPlanRequest,
  ClientRef,
  ClientTouchRequest,
  ClientTouchResult,
} from './contracts';
import { clientDealFields, clientPurchases, dealPurchaseMoment, readPurchase, stageHistories, toDomainPurchase } from './purchases';
import { clientTouchStep, originKey } from '../shared/names';
import { assign, clientNameOf, dealLink, finalFailure, notifyPeople, ORIGINATOR, withTaxonomy, type ActivityDeps } from './shared';
import { ensureTodo } from './todos';

export function createClientActivities(deps: ActivityDeps) {
  return withTaxonomy({
    planClientCycle: (req: ClientPlanRequest) => planClientCycle(deps, req),
    inspectClient: (req: InspectRequest) => inspectClient(deps, req),
    touchClient: (req: ClientTouchRequest) => touchClient(deps, req),
    markClientForgotten: (req: ForgetClientRequest) => markClientForgotten(deps, req),
  }, deps.log);
}

export type ClientActivities = ReturnType<typeof createClientActivities>;

interface InspectRequest {
  client: ClientRef;
  since: string;
  purchaseDealId: number;
}

interface ForgetClientRequest {
  client: ClientRef;
  workflowId: string;
  dealId: number;
  cycle: number;
}

const nowOf = (deps: ActivityDeps) => deps.now?.() ?? new Date();

function clientRules(deps: ActivityDeps): ClientRules {
  const rules = deps.rules().clients;
  if (!rules) throw finalFailure('RulesError', 'the rules have no "clients" block, yet a client cycle runs: restore the block in RULES_FILE (or cancel the cycle)');
  return rules;
}

async function planClientCycle(deps: ActivityDeps, req: ClientPlanRequest): Promise<ClientPlan> {
  const rules = deps.rules();
  const clients = rules.clients;
  if (!clients?.enabled) return { decision: 'skip', why: 'client reactivation is disabled in the rules' };
  const calendar = rules.defaults.calendar;
  const at = nowOf(deps);
  const history = (await clientPurchases(deps, req.client, clients.wonIn)).map((p) => toDomainPurchase(p));
  const { why, touches } = planClientTouches(clients, calendar, toDomainPurchase(req.purchase), history, req, at);
  const deal = await deps.crm.getDeal(req.purchase.dealId);
  return {
    decision: 'follow',
    why,
    touches,
    maxCycles: clients.maxCycles,
    responsibleId: deal?.assignedById ?? 0,
    products: req.purchase.items.map((i) => i.name).slice(0, 20),
    dateBounds: managerDateBoundsMs(clients.dueDates, at, calendar.timeZone),
  };
}

async function inspectClient(deps: ActivityDeps, req: InspectRequest): Promise<ClientInspection> {
  const clients = clientRules(deps);
  const exists = req.client.kind === 'company' ? await deps.crm.getCompany(req.client.id) : await deps.crm.getContact(req.client.id);
  if (!exists) return { state: 'gone' };
  // Won after `since` means entered the won stage after it, so changed after it: DATE_MODIFY is
  // the filter (CLOSEDATE may be a planned date, before or after the win). A `since` ahead of
  // now is a purchase planned from such a date: count from now. A contact's deals by any of its
  // bindings, not only as the primary contact (crm.item.list).
  const since = Math.min(Date.parse(req.since), nowOf(deps).getTime());
  const lists = await deps.crm.listClientDeals(req.client, {
    won: {
      filter: { STAGE_SEMANTIC_ID: 'S', '@CATEGORY_ID': clients.wonIn, '>=DATE_MODIFY': restDateTime(since), '!ID': req.purchaseDealId },
      select: ['*'],
      order: { DATE_MODIFY: 'DESC' },
    },
    open: { filter: { CLOSED: 'N' }, select: ['ID', 'ASSIGNED_BY_ID', 'ORIGINATOR_ID', 'DATE_CREATE'] },
  });
  const bought = await boughtSince(deps, lists.won ?? [], since);
  if (bought) {
    const deal = await deps.crm.getDeal(bought.deal.id);
    if (deal) return { state: 'purchased', purchase: await readPurchase(deps, deal, bought.moment) };
  }
  // Only an open deal made since the purchase counts; an older one runs in parallel.
  const open = openDealSince((lists.open ?? []).map((d) => ({ ...d, ours: d.originatorId === ORIGINATOR })), req.since);
  if (open) return { state: 'openDeal', dealId: open.id, responsibleId: open.assignedById ?? 0 };
  return { state: 'none' };
}

/** The latest of these won deals bought after `since` (their stage histories: one request, none for no deals). */
async function boughtSince(deps: ActivityDeps, won: Deal[], since: number) {
  const histories = await stageHistories(deps, won);
  const bought = [];
  for (const deal of won) {
    const moment = await dealPurchaseMoment(deps, deal, histories.get(deal.id) ?? null);
    if (moment.at.getTime() > since) bought.push({ deal, moment });
  }
  return bought.sort((a, b) => b.moment.at.getTime() - a.moment.at.getTime())[0];
}

/** What a client touch is made of: its rules, key, texts' variables and the to-do deadline. */
interface Touch {
  req: ClientTouchRequest;
  rules: Rules;
  clients: ClientRules;
  key: string;
  marker: string;
  purchaseDeal: Deal | null;
  vars: TemplateVars;
  deadline: string;
}

async function touchClient(deps: ActivityDeps, req: ClientTouchRequest): Promise<ClientTouchResult> {
  const rules = deps.rules();
  const clients = clientRules(deps);
  const calendar = rules.defaults.calendar;
  const name = await clientNameOf(deps, req.client);
  // The purchase is part of the key: after a new purchase the cycles count from 1 again, and
  // cycle 1 of that purchase must not find the deal (or to-do) made for an earlier purchase.
  const key = originKey(req.workflowId, clientTouchStep(req.purchase.dealId, req.cycle, req.touch.key));
  const purchaseDeal = await deps.crm.getDeal(req.purchase.dealId);
  const vars = {
    client: name,
    products: req.purchase.items.map((i) => i.name).join(', ') || '—',
    purchaseDate: formatLocal(new Date(req.purchase.at), calendar.timeZone, false),
    link: dealLink(deps.portalUrl, 'deal', req.purchase.dealId),
    cycle: req.cycle,
    title: purchaseDeal?.title,
    // Runs planned before `words` existed carry only the label.
    ...(req.touch.words ?? { step: req.touch.label }),
  };
  const deadline = todoDeadline(nowOf(deps), clients.todoDeadline ?? rules.defaults.todoDeadline, calendar).toISOString();
  const touch: Touch = { req, rules, clients, key, marker: `[${key}]`, purchaseDeal, vars, deadline };
  if (req.openDealId !== undefined && req.touch.kind === 'repurchase') return nudgeOpenDeal(deps, touch, req.openDealId);
  return touchWithDeal(deps, touch);
}

/** The client has an open deal: a to-do on it and/or a notice, as the rules say; no new deal. */
async function nudgeOpenDeal(deps: ActivityDeps, { rules, clients, key, marker, purchaseDeal, vars, deadline }: Touch, openDealId: number): Promise<ClientTouchResult> {
  const open = await deps.crm.getDeal(openDealId);
  const responsibleId = open?.assignedById ?? purchaseDeal?.assignedById ?? 0;
  if (clients.openDeal.todo) {
    await ensureTodo(deps, CrmEntityTypeId.deal, openDealId, marker, {
      title: render(clients.templates.todoTitle, vars).text,
      description: `${render(clients.templates.todoDescription, vars).text}\n${marker}`,
      deadline,
      responsibleId,
    });
  }
  if (clients.openDeal.notify) {
    const message = render(clients.templates.openDealNotice, { ...vars, title: open?.title, link: dealLink(deps.portalUrl, 'deal', openDealId) }).text;
    await notifyPeople(deps, clients.notifications.atDue, responsibleId, rules.defaults.headOfSales ?? null, message, key);
  }
  return { dealId: openDealId, created: false, kind: 'nudge' };
}

/** A new deal for the client (found by its ORIGIN_ID on a retry) with the manager's to-do. */
async function touchWithDeal(deps: ActivityDeps, { req, rules, clients, key, marker, purchaseDeal, vars, deadline }: Touch): Promise<ClientTouchResult> {
  const existing = await deps.crm.findDealByOrigin(ORIGINATOR, key);
  const decision = await assign(deps, clients.responsible ?? rules.defaults.responsible, purchaseDeal?.assignedById ?? undefined);
  const responsibleId = existing?.assignedById ?? (decision.decided ? decision.userId : rules.defaults.headOfSales ?? 1);
  const chain = req.touch.kind === 'chain';
  const title = render(chain ? clients.templates.chainDealTitle : clients.templates.dealTitle, vars).text;
  const dealId =
    existing?.id ??
    (await deps.crm.addDeal({
      TITLE: title,
      CATEGORY_ID: clients.target.categoryId,
      STAGE_ID: clients.target.stageId,
      ASSIGNED_BY_ID: responsibleId,
      ...clientDealFields(req.client),
      IS_RETURN_CUSTOMER: 'Y',
      COMMENTS: render(clients.templates.dealComments, vars).text,
      ORIGINATOR_ID: ORIGINATOR,
      ORIGIN_ID: key,
    }));
  if (!existing && req.touch.kind === 'repurchase' && req.purchase.items.length > 0) {
    await deps.crm.setDealProductRows(dealId, req.purchase.items.map((i) => ({ productId: i.productId, price: i.price, quantity: i.quantity })));
  }
  await ensureTodo(deps, CrmEntityTypeId.deal, dealId, marker, {
    title: render(clients.templates.todoTitle, vars).text,
    description: `${render(chain ? clients.templates.chainTodoDescription : clients.templates.todoDescription, vars).text}\n${marker}`,
    deadline,
    responsibleId,
  });
  deps.log.info('client touched', { client: req.client, dealId, touch: req.touch.key, created: !existing });
  return { dealId, created: !existing, kind: 'deal' };
}

async function markClientForgotten(deps: ActivityDeps, req: ForgetClientRequest): Promise<void> {
  const rules = deps.rules();
  const clients = clientRules(deps);
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
