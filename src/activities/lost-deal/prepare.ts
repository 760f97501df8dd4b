/**
 * Step "prepare" of the lost-deal reactivation, at the return date: is the loss still there, did
 * the client come back since (a deal created or won after the loss — an older parallel deal does
 * not count; a newer open deal goes by the rule's `openDeal`), who takes it, and does the
 * responsible's daily cap move it to a later slot. A client who came back ends the run with a
 * trace: a comment on the lost deal, a to-do on the open deal (openDeal: todo) and, when
 * configured, a notice — once per attempt (the comment, written last, marks it done).
 */
import { DateTime } from 'luxon';
import type { Deal } from '../../bitrix24';
import { CrmEntityTypeId, restDateTime } from '../../bitrix24';
import {
  applyDailyCap,
  clientOfDeal,
  clientReturnSince,
  localDay,
  lostMessageVars,
  render,
  returnStep,
  todoDeadline,
  wonMoment,
  type ClientDealFact,
  type EffectiveDealRule,
  type EffectiveLostRule,
  type LostFacts,
  type ReturnStep,
} from '../../domain';
import type { PrepareRequest, PrepareResult } from '../contracts';
import { clientBackStep, originKey } from '../../shared/names';
import { assign, dealLink, notifyPeople, ORIGINATOR, type ActivityDeps } from '../shared';
import { ensureTodo, hasTimelineComment } from '../todos';
import { clientNameFor, loadElement, nowOf, type Element } from './element';

export function createPrepareActivities(deps: ActivityDeps) {
  async function prepareReactivation(req: PrepareRequest): Promise<PrepareResult> {
    const loaded = await loadElement(deps, req.entity, req.lostElementId);
    if (!loaded) return { proceed: false, why: `${req.entity} ${req.lostElementId} was deleted meanwhile` };
    const { element, found, facts: f } = loaded;
    if ('why' in found) return { proceed: false, why: `${found.why} (changed meanwhile)` };
    const { rule } = found;
    const existing = req.entity === 'deal' ? await deps.crm.findDealByOrigin(ORIGINATOR, originKey(req.workflowId, req.attempt)) : null;
    if (!existing && element.entity === 'deal' && rule.entity === 'deal') {
      const step = await clientStep(deps, element.ctx.deal, rule, req);
      if (step.step !== 'reactivate') {
        await traceClientBack(deps, { req, element, rule, facts: f, step });
        return { proceed: false, why: step.why };
      }
    }
    const decision = await assign(deps, rule.responsible, f.managerId);
    if (!decision.decided) return { proceed: false, why: `nobody to assign: ${decision.why}` };
    if (existing || rule.dailyCap === null) return { proceed: true, responsibleId: decision.userId, responsibleWhy: decision.why };
    const slot = await dailyCapSlot(deps, rule, rule.dailyCap, decision.userId);
    return {
      proceed: true,
      responsibleId: decision.userId,
      responsibleWhy: decision.why,
      ...(slot.moved ? { notBefore: slot.at.toISOString() } : {}),
    };
  }

  return { prepareReactivation };
}

const CLIENT_DEAL_SELECT = ['ID', 'TITLE', 'ORIGINATOR_ID', 'STAGE_SEMANTIC_ID', 'DATE_CREATE', 'MOVED_TIME', 'CLOSEDATE', 'ASSIGNED_BY_ID'];

/**
 * What the client did since the loss, and what the rule makes of it: the client's deals created
 * since the loss and those won since (modified since — the domain reads when each was won), in
 * one batch request; a contact's deals by any of its bindings (crm.item.list).
 */
async function clientStep(deps: ActivityDeps, deal: Deal, rule: EffectiveDealRule, req: PrepareRequest): Promise<ReturnStep> {
  const client = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, 'companyOrContact');
  const since = deal.movedAt ?? deal.modifiedAt ?? deal.createdAt;
  if (!client || !since) return { step: 'reactivate', why: 'the deal names no client' };
  const from = restDateTime(since);
  const lists = await deps.crm.listClientDeals(client, {
    created: { filter: { '>=DATE_CREATE': from, '!ID': deal.id }, select: CLIENT_DEAL_SELECT },
    won: { filter: { STAGE_SEMANTIC_ID: 'S', '>=DATE_MODIFY': from }, select: CLIENT_DEAL_SELECT },
  });
  const facts = new Map<number, ClientDealFact>();
  for (const d of [...(lists.created ?? []), ...(lists.won ?? [])]) {
    facts.set(d.id, { id: d.id, title: d.title, ours: d.originatorId === ORIGINATOR, stageSemantic: d.stageSemantic, createdAt: d.createdAt, wonAt: wonMoment(d), assignedById: d.assignedById });
  }
  return returnStep(clientReturnSince([...facts.values()], since, [deal.id, req.id]), rule.openDeal);
}

interface ClientBack {
  req: PrepareRequest;
  element: Element;
  rule: EffectiveDealRule;
  facts: LostFacts;
  step: Exclude<ReturnStep, { step: 'reactivate' }>;
}

const EVENT_RU = { won: 'выиграна сделка', created: 'создана сделка', open: 'открыта сделка' } as const;

/**
 * The visible trace of a reactivation not made: a comment on the lost deal, a to-do on the
 * client's open deal (openDeal: todo), a notice when the rule asks for one. Keyed by the attempt.
 */
async function traceClientBack(deps: ActivityDeps, { req, element, rule, facts: f, step }: ClientBack): Promise<void> {
  const key = originKey(req.workflowId, clientBackStep(req.attempt));
  const marker = `[${key}]`;
  const vars = {
    ...lostMessageVars(
      {
        title: f.title,
        client: await clientNameFor(deps, element),
        reason: rule.reason.name,
        lostAt: f.lostAt ? new Date(f.lostAt) : undefined,
        attempt: req.attempt,
        maxAttempts: rule.maxReactivations,
        link: dealLink(deps.portalUrl, 'deal', req.lostElementId),
        originalLink: dealLink(deps.portalUrl, 'deal', req.id),
      },
      rule.calendar.timeZone,
    ),
    clientDealTitle: step.deal.title,
    clientDealLink: dealLink(deps.portalUrl, 'deal', step.deal.id),
    clientDealEvent: EVENT_RU[step.step === 'todo' ? 'open' : step.how],
  };
  // The comment is written last: once it is there, the trace is complete and a retry (or a
  // second look at the same attempt) repeats nothing — not the to-do, not the notice.
  if (await hasTimelineComment(deps, 'deal', req.lostElementId, marker)) return;
  if (step.step === 'todo') {
    await ensureTodo(deps, CrmEntityTypeId.deal, step.deal.id, marker, {
      title: render(rule.templates.openDealTodoTitle, vars).text,
      description: `${render(rule.templates.openDealTodoDescription, vars).text}\n${marker}`,
      deadline: todoDeadline(nowOf(deps), rule.todoDeadline, rule.calendar).toISOString(),
      responsibleId: step.deal.assignedById ?? f.managerId ?? rule.headOfSales ?? 1,
    });
  }
  // The lost deal's manager hears that the client is back (the to-do goes to whoever has the open deal).
  const manager = f.managerId ?? step.deal.assignedById ?? undefined;
  await notifyPeople(deps, rule.notifications.onClientBack, manager, rule.headOfSales, render(rule.templates.onClientBack, vars).text, `reactivation-deal-${req.id}-clientBack-${req.attempt}`);
  const cameBack = step.step === 'skip' && step.trace === 'cameBack';
  const comment = render(cameBack ? rule.templates.clientBackComment : rule.templates.openDealComment, vars).text;
  await deps.crm.addTimelineComment({ entity: 'deal', entityId: req.lostElementId, comment: `${comment}\n${marker}` });
  deps.log.info('no reactivation: the client came back', { dealId: req.id, attempt: req.attempt, clientDeal: step.deal.id, step: step.step, why: step.why });
}

/** The first slot the responsible's daily cap allows: today's count of our deals is one request. */
async function dailyCapSlot(deps: ActivityDeps, rule: EffectiveLostRule, cap: number, userId: number) {
  const at = nowOf(deps);
  const zone = rule.calendar.timeZone;
  const today = localDay(at, zone);
  const startOfDay = DateTime.fromJSDate(at, { zone }).startOf('day').toJSDate();
  const created = await deps.b24.callEnvelope<unknown[]>('crm.deal.list', {
    filter: { ORIGINATOR_ID: ORIGINATOR, ASSIGNED_BY_ID: userId, '>=DATE_CREATE': restDateTime(startOfDay) },
    select: ['ID'],
  });
  return applyDailyCap(at, { [today]: created.total ?? created.result.length }, cap, rule.calendar);
}
