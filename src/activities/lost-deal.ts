/**
 * Activities of the lost-deal reactivation: thin adapters between the pure rules (src/domain)
 * and the Bitrix24 client. Each is safe to retry: reads are reads, and every write is keyed
 * (ORIGIN_ID of the reactivation deal, a marker in the to-do) so a retry finds what an earlier
 * try already did.
 */
import { DateTime } from 'luxon';
import type { Deal, DealContext, Lead } from '../bitrix24';
import { CrmEntityTypeId, restDateTime } from '../bitrix24';
import {
  applyDailyCap,
  clientOfDeal,
  durationMs,
  findLostRule,
  localDay,
  lostMessageVars,
  managerDateBoundsMs,
  planReturn,
  reactivationMarks,
  render,
  subtractDuration,
  todoDeadline,
  type EffectiveLostRule,
  type Marks,
} from '../domain';
import type {
  CreateReactivationRequest,
  CreateReactivationResult,
  ElementOutcome,
  ForgetRequest,
  LostNoticeRequest,
  LostPlan,
  LostPlanRequest,
  PrepareRequest,
  PrepareResult,
} from './contracts';
import { assign, clientNameOf, dealLink, notifyPeople, ORIGINATOR, originKey, withTaxonomy, type ActivityDeps } from './shared';
import { ensureTodo } from './todos';
import { lossKeyOf } from './loss-key';
import { clientFilter } from './purchases';

type Element = { entity: 'deal'; ctx: DealContext } | { entity: 'lead'; lead: Lead };

/** A `learned` return period reads at most this many latest won reactivations. */
const LEARNED_SAMPLES = 100;
const HOUR_MS = 3_600_000;

export function createLostDealActivities(deps: ActivityDeps) {
  const now = () => deps.now?.() ?? new Date();

  async function readElement(entity: 'deal' | 'lead', id: number): Promise<Element | undefined> {
    if (entity === 'deal') {
      const ctx = await deps.crm.getDealContext(id);
      return ctx ? { entity, ctx } : undefined;
    }
    const lead = await deps.crm.getLead(id);
    return lead ? { entity, lead } : undefined;
  }

  /** The effective rule of the element's current loss, or why there is none. */
  function ruleOf(element: Element): { rule: EffectiveLostRule } | { why: string } {
    if (element.entity === 'deal') {
      const deal = element.ctx.deal;
      if (deal.stageSemantic !== 'F') return { why: `deal ${deal.id} is not lost (stage ${deal.stageId})` };
      const found = findLostRule(deps.rules(), { entity: 'deal', categoryId: deal.categoryId, stageId: deal.stageId, fields: deal.userFields });
      return found.decision === 'reactivate' ? { rule: found.rule } : { why: found.why };
    }
    const lead = element.lead;
    if (lead.statusSemantic !== 'F') return { why: `lead ${lead.id} is not junk (status ${lead.statusId})` };
    const found = findLostRule(deps.rules(), { entity: 'lead', statusId: lead.statusId, fields: lead.userFields });
    return found.decision === 'reactivate' ? { rule: found.rule } : { why: found.why };
  }

  function facts(element: Element) {
    if (element.entity === 'deal') {
      const { deal, productRows } = element.ctx;
      return {
        title: deal.title,
        managerId: deal.assignedById ?? undefined,
        lostAt: deal.movedAt ?? deal.modifiedAt ?? undefined,
        amount: deal.opportunity,
        sourceId: deal.sourceId ?? undefined,
        fields: deal.userFields,
        productIds: productRows.map((r) => r.productId).filter((id): id is number => id !== null),
        clientKey: deal.companyId ? `company-${deal.companyId}` : deal.contactId ? `contact-${deal.contactId}` : undefined,
      };
    }
    const lead = element.lead;
    return {
      title: lead.title,
      managerId: lead.assignedById ?? undefined,
      lostAt: lead.movedAt ?? lead.modifiedAt ?? undefined,
      amount: lead.opportunity,
      sourceId: lead.sourceId ?? undefined,
      fields: lead.userFields,
      productIds: [] as number[],
      clientKey: lead.companyId ? `company-${lead.companyId}` : lead.contactId ? `contact-${lead.contactId}` : undefined,
    };
  }

  /** The client's name for texts managers read (a deal's context has it; a lead costs one REST call). */
  async function clientNameFor(element: Element): Promise<string | undefined> {
    if (element.entity === 'deal' && element.ctx.clientName) return element.ctx.clientName;
    const { companyId, contactId } = element.entity === 'deal' ? element.ctx.deal : element.lead;
    if (companyId) return clientNameOf(deps, { kind: 'company', id: companyId });
    if (contactId) return clientNameOf(deps, { kind: 'contact', id: contactId });
    return undefined;
  }

  /** Catalog sections of the products (only when a rule computes the period by section). */
  async function sectionsOf(productIds: number[], rule: EffectiveLostRule): Promise<number[]> {
    if (productIds.length === 0 || (rule.returnPeriod as { kind?: string }).kind !== 'bySection') return [];
    const products = await deps.crm.listProducts({ ID: productIds }, ['ID', 'SECTION_ID']);
    return products.map((p) => p.sectionId).filter((s): s is number => s !== null);
  }

  /** Samples per reason and lookback, reused for an hour: a backfill plans many losses of one reason. */
  const learnedCache = new Map<string, { at: number; samples: Promise<number[]> }>();

  /**
   * The waits that converted (only for a `learned` rule): for the latest LEARNED_SAMPLES first
   * reactivations of the rule's reason won within its lookback (found by their marks), the time
   * from their source deal's loss (MOVED_TIME, as the loss key) to the reactivation deal's
   * creation. Measured to the creation, not to the win: a period learned from loss-to-win times
   * would grow by the closing time with every generation. Cost: at most 2 + 2 requests
   * (crm.deal.list, pages of 50), once an hour per reason.
   */
  async function pastConversionsOf(rule: EffectiveLostRule, at: Date): Promise<number[] | undefined> {
    const period = rule.returnPeriod;
    if (period.kind !== 'learned' || rule.entity !== 'deal') return undefined;
    const key = JSON.stringify([rule.reason.name, period.lookback, rule.marks]);
    const hit = learnedCache.get(key);
    if (hit && Math.abs(at.getTime() - hit.at) < HOUR_MS) return hit.samples;
    const samples = readPastConversions(rule.marks, rule.reason.name, subtractDuration(at, period.lookback, rule.calendar.timeZone));
    learnedCache.set(key, { at: at.getTime(), samples });
    samples.catch(() => learnedCache.delete(key));
    return samples;
  }

  async function readPastConversions({ sourceField, reasonField, attemptField }: Marks, reason: string, since: Date): Promise<number[]> {
    const won = await deps.crm.listDeals(
      {
        ORIGINATOR_ID: ORIGINATOR,
        STAGE_SEMANTIC_ID: 'S',
        [reasonField]: reason,
        // A later attempt's source deal was lost for another reason, at another moment.
        [attemptField]: 1,
        '>=CLOSEDATE': restDateTime(since),
      },
      ['ID', 'DATE_CREATE', sourceField],
      { CLOSEDATE: 'DESC' },
      { max: LEARNED_SAMPLES },
    );
    const sourceOf = (d: Deal) => Number(d.userFields[sourceField]) || 0;
    const ids = [...new Set(won.map(sourceOf).filter((id) => id > 0))];
    if (ids.length === 0) return [];
    const sources = await deps.crm.listDeals({ '@ID': ids }, ['ID', 'MOVED_TIME', 'DATE_MODIFY']);
    const lostAt = new Map(sources.map((d) => [d.id, Date.parse(d.movedAt ?? d.modifiedAt ?? '')]));
    // Missing or non-positive samples are dropped by the domain.
    return won.map((d) => Date.parse(d.createdAt ?? '') - (lostAt.get(sourceOf(d)) ?? NaN));
  }

  async function planLostReactivation(req: LostPlanRequest): Promise<LostPlan> {
    const element = await readElement(req.entity, req.lostElementId);
    if (!element) return { decision: 'skip', why: `${req.entity} ${req.lostElementId} was deleted` };
    const found = ruleOf(element);
    if ('why' in found) return { decision: 'skip', why: found.why };
    const { rule } = found;
    const f = facts(element);
    const at = now();
    const plan = planReturn(
      rule,
      {
        lostAt: f.lostAt ? new Date(f.lostAt) : undefined,
        amount: f.amount,
        sourceId: f.sourceId,
        fields: f.fields,
        sectionIds: await sectionsOf(f.productIds, rule),
        pastConversionsMs: await pastConversionsOf(rule, at),
        managerReturnAt: req.managerReturnAt,
      },
      at,
    );
    const zone = rule.calendar.timeZone;
    return {
      decision: 'reactivate',
      why: plan.explanation,
      reason: { stageId: rule.reason.key, name: rule.reason.name },
      returnAt: plan.returnAt.toISOString(),
      basis: plan.basis,
      maxAttempts: rule.maxReactivations,
      managerDateBounds: managerDateBoundsMs(rule.managerDates, at, zone),
      remindAt: plan.remindAt.map((d) => d.toISOString()),
      followUpCheckMs: durationMs(rule.followUpEvery, at, zone),
      responsibleId: f.managerId ?? 0,
      title: f.title,
      clientKey: f.clientKey,
      lossKey: lossKeyOf(element.entity === 'deal' ? element.ctx.deal : element.lead),
    };
  }

  async function notifyLost(req: LostNoticeRequest): Promise<void> {
    const element = await readElement(req.entity, req.id);
    const rule = element ? ruleOf(element) : undefined;
    // The original may have been edited since; fall back to the lost element's rule lookup.
    const effective = rule && 'rule' in rule ? rule.rule : undefined;
    if (!effective || !element) return;
    const f = facts(element);
    const notice = req.notice === 'loss' ? 'atLoss' : req.notice === 'return' ? 'atReturn' : req.notice === 'forgotten' ? 'onForgotten' : req.notice;
    if (notice === 'cancelled') return;
    const whom = effective.notifications[notice];
    const template = effective.templates[notice];
    const zone = effective.calendar.timeZone;
    const message = render(
      template,
      lostMessageVars(
        {
          title: f.title,
          client: await clientNameFor(element),
          reason: req.reason?.name ?? effective.reason.name,
          lostAt: f.lostAt ? new Date(f.lostAt) : undefined,
          returnAt: req.returnAt ? new Date(req.returnAt) : undefined,
          attempt: req.attempt,
          maxAttempts: effective.maxReactivations,
          link: dealLink(deps.portalUrl, req.entity, req.id),
          reactivationTitle: req.reactivationId ? `${req.entity} ${req.reactivationId}` : undefined,
          reactivationLink: req.reactivationId ? dealLink(deps.portalUrl, req.entity, req.reactivationId) : undefined,
        },
        zone,
      ),
    ).text;
    await notifyPeople(deps, whom, req.responsibleId ?? f.managerId, effective.headOfSales, message, `reactivation-${req.entity}-${req.id}-${req.notice}-${req.attempt}`);
  }

  async function prepareReactivation(req: PrepareRequest): Promise<PrepareResult> {
    const element = await readElement(req.entity, req.lostElementId);
    if (!element) return { proceed: false, why: `${req.entity} ${req.lostElementId} was deleted meanwhile` };
    const found = ruleOf(element);
    if ('why' in found) return { proceed: false, why: `${found.why} (changed meanwhile)` };
    const { rule } = found;
    const f = facts(element);
    const existing = req.entity === 'deal' ? await deps.crm.findDealByOrigin(ORIGINATOR, originKey(req.workflowId, req.attempt)) : null;
    if (!existing && element.entity === 'deal') {
      const busy = await clientActivity(element.ctx.deal);
      if (busy) return { proceed: false, why: busy };
    }
    const decision = await assign(deps, rule.responsible, f.managerId);
    if (!decision.decided) return { proceed: false, why: `nobody to assign: ${decision.why}` };
    if (existing || rule.dailyCap === null) return { proceed: true, responsibleId: decision.userId, responsibleWhy: decision.why };

    const at = now();
    const zone = rule.calendar.timeZone;
    const today = localDay(at, zone);
    const startOfDay = DateTime.fromJSDate(at, { zone }).startOf('day').toJSDate();
    const created = await deps.b24.callEnvelope<unknown[]>('crm.deal.list', {
      filter: { ORIGINATOR_ID: ORIGINATOR, ASSIGNED_BY_ID: decision.userId, '>=DATE_CREATE': restDateTime(startOfDay) },
      select: ['ID'],
    });
    const slot = applyDailyCap(at, { [today]: created.total ?? created.result.length }, rule.dailyCap, rule.calendar);
    return {
      proceed: true,
      responsibleId: decision.userId,
      responsibleWhy: decision.why,
      ...(slot.moved ? { notBefore: slot.at.toISOString() } : {}),
    };
  }

  /** "The client has an active deal / bought since": one batch request, or undefined. */
  async function clientActivity(deal: Deal): Promise<string | undefined> {
    const ref = clientOfDeal({ companyId: deal.companyId ?? undefined, contactId: deal.contactId ?? undefined }, 'companyOrContact');
    if (!ref) return undefined;
    const client = clientFilter(ref);
    const since = deal.movedAt ?? deal.modifiedAt ?? deal.createdAt;
    const { results } = await deps.b24.batch<unknown[]>(
      {
        open: { method: 'crm.deal.list', params: { filter: { ...client, CLOSED: 'N', '!ID': deal.id }, select: ['ID', 'ORIGINATOR_ID'] } },
        won: {
          method: 'crm.deal.list',
          params: { filter: { ...client, STAGE_SEMANTIC_ID: 'S', ...(since ? { '>CLOSEDATE': since } : {}) }, select: ['ID'] },
        },
      },
      { allOrThrow: true },
    );
    const open = (results.open ?? []) as { ID: string; ORIGINATOR_ID?: string | null }[];
    const foreignOpen = open.find((d) => d.ORIGINATOR_ID !== ORIGINATOR);
    if (foreignOpen) return `the client already has an active deal ${foreignOpen.ID}`;
    const won = (results.won ?? []) as { ID: string }[];
    if (won.length > 0) return `the client bought since (deal ${won[0].ID})`;
    return undefined;
  }

  async function createReactivation(req: CreateReactivationRequest): Promise<CreateReactivationResult> {
    const element = await readElement(req.entity, req.lostElementId);
    if (!element) throw new Error(`${req.entity} ${req.lostElementId} disappeared before the reactivation was created`);
    const found = ruleOf(element);
    const rule = 'rule' in found ? found.rule : undefined;
    if (!rule) throw new Error(`no rule for the loss of ${req.entity} ${req.lostElementId}: ${(found as { why: string }).why}`);
    const at = now();
    const zone = rule.calendar.timeZone;
    const f = facts(element);
    const vars = lostMessageVars(
      {
        title: f.title,
        client: await clientNameFor(element),
        reason: req.reason.name,
        lostAt: f.lostAt ? new Date(f.lostAt) : undefined,
        attempt: req.attempt,
        maxAttempts: rule.maxReactivations,
        link: dealLink(deps.portalUrl, req.entity, req.lostElementId),
        originalLink: dealLink(deps.portalUrl, req.entity, req.id),
      },
      zone,
    );
    const marker = `[${originKey(req.workflowId, req.attempt)}]`;
    const todo = {
      title: render(rule.templates.todoTitle, vars).text,
      description: `${render(rule.templates.todoDescription, vars).text}\n${marker}`,
      deadline: todoDeadline(at, rule.todoDeadline, rule.calendar).toISOString(),
      responsibleId: req.responsibleId,
    };

    if (element.entity === 'lead' || rule.entity === 'lead') {
      const target = rule.entity === 'lead' ? rule.target : undefined;
      if (!target) throw new Error('a lead rule without a target status');
      await deps.crm.updateLead(req.lostElementId, { STATUS_ID: target.statusId, ASSIGNED_BY_ID: req.responsibleId });
      const todoId = await ensureTodo(deps, CrmEntityTypeId.lead, req.lostElementId, marker, todo);
      return { elementId: req.lostElementId, created: true, todoId };
    }

    const { deal, productRows, contacts } = element.ctx;
    const target = rule.target;
    if (target.action === 'move') {
      await deps.crm.updateDeal(deal.id, { STAGE_ID: target.stageId, ASSIGNED_BY_ID: req.responsibleId });
      const todoId = await ensureTodo(deps, CrmEntityTypeId.deal, deal.id, marker, todo);
      return { elementId: deal.id, created: false, todoId };
    }

    const key = originKey(req.workflowId, req.attempt);
    const existing = await deps.crm.findDealByOrigin(ORIGINATOR, key);
    const dealId =
      existing?.id ??
      (await deps.crm.addDeal({
        TITLE: render(rule.templates.dealTitle, { ...vars, title: originalTitle(deal) }).text,
        CATEGORY_ID: target.categoryId,
        STAGE_ID: target.stageId,
        ASSIGNED_BY_ID: req.responsibleId,
        COMPANY_ID: deal.companyId ?? undefined,
        // CONTACT_ID is deprecated in crm.deal.add (crm-deal-add.md); further contacts follow below.
        CONTACT_IDS: deal.contactId ? [deal.contactId] : undefined,
        OPPORTUNITY: deal.opportunity,
        CURRENCY_ID: deal.currencyId ?? undefined,
        SOURCE_ID: deal.sourceId ?? undefined,
        IS_RETURN_CUSTOMER: 'Y',
        COMMENTS: render(rule.templates.dealComments, vars).text,
        ORIGINATOR_ID: ORIGINATOR,
        ORIGIN_ID: key,
        ...reactivationMarks(rule.marks, { sourceId: req.id, reason: req.reason.name, attempt: req.attempt, at }),
      }));
    // Copy what the add does not carry; each step is skipped when an earlier try did it.
    const copy = existing ? await deps.crm.getDealContext(dealId) : null;
    if (productRows.length > 0 && !(copy && copy.productRows.length > 0)) {
      // The discount goes with its type: a monetary one (type 1) needs DISCOUNT_SUM, or the portal
      // refuses the rows (crm-deal-productrows-set.md).
      await deps.crm.setDealProductRows(
        dealId,
        productRows.map(({ productId, price, quantity, productName, discountTypeId, discountRate, discountSum, taxRate, taxIncluded, measureCode, measureName, sort }) => ({
          productId, price, quantity, productName, discountTypeId, discountRate, discountSum, taxRate, taxIncluded, measureCode, measureName, sort,
        })),
      );
    }
    if (contacts.length > 1 && !(copy && copy.contacts.length > 1)) {
      await deps.crm.setDealContactItems(dealId, contacts.map(({ contactId, sort, isPrimary }) => ({ contactId, sort, isPrimary })));
    }
    const todoId = await ensureTodo(deps, CrmEntityTypeId.deal, dealId, marker, todo);
    deps.log.info('reactivation deal ready', { source: req.id, dealId, attempt: req.attempt, created: !existing });
    return { elementId: dealId, created: !existing, todoId };
  }

  async function readOutcome({ entity, elementId }: { entity: 'deal' | 'lead'; elementId: number }): Promise<ElementOutcome> {
    if (entity === 'deal') {
      const deal = await deps.crm.getDeal(elementId);
      if (!deal) return { state: 'deleted' };
      if (deal.stageSemantic === 'S') return { state: 'won' };
      if (deal.stageSemantic === 'F') return { state: 'lost', stageId: deal.stageId, lostAt: deal.movedAt ?? deal.modifiedAt ?? now().toISOString() };
      return { state: 'open' };
    }
    const lead = await deps.crm.getLead(elementId);
    if (!lead) return { state: 'deleted' };
    if (lead.statusSemantic === 'S') return { state: 'won' };
    if (lead.statusSemantic === 'F') return { state: 'lost', stageId: lead.statusId, lostAt: lead.movedAt ?? lead.modifiedAt ?? now().toISOString() };
    return { state: 'open' };
  }

  async function markForgotten(req: ForgetRequest): Promise<void> {
    const element = await readElement(req.entity, req.elementId);
    if (!element) return;
    if (element.entity === 'lead') {
      const forgotten = deps.rules().lostDeals.leads?.forgotten;
      if (forgotten && element.lead.statusId !== forgotten.statusId) await deps.crm.updateLead(req.elementId, { STATUS_ID: forgotten.statusId });
      return;
    }
    const found = findLostRule(deps.rules(), {
      entity: 'deal',
      categoryId: element.ctx.deal.categoryId,
      stageId: element.ctx.deal.stageId,
      fields: element.ctx.deal.userFields,
    });
    const forgotten = found.decision === 'reactivate' && found.rule.entity === 'deal' ? found.rule.forgotten : deps.rules().lostDeals.forgotten;
    if (!forgotten || element.ctx.deal.stageId === forgotten.stageId) return;
    if (forgotten.categoryId !== element.ctx.deal.categoryId) {
      deps.log.warn('forgotten stage is in another pipeline than the reactivation deal; only the stage of the same pipeline can be set', {
        dealId: req.elementId,
      });
      return;
    }
    await deps.crm.updateDeal(req.elementId, { STAGE_ID: forgotten.stageId });
  }

  return withTaxonomy({ planLostReactivation, notifyLost, prepareReactivation, createReactivation, readOutcome, markForgotten });
}

export type LostDealActivities = ReturnType<typeof createLostDealActivities>;

function originalTitle(deal: Deal): string {
  return deal.title.replace(/^Реактивация: /, '').replace(/ \(попытка \d+\)$/, '');
}
