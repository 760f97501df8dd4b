/**
 * Step "create" of the lost-deal reactivation: the manager's to-do on the reactivated element —
 * a lead back in work, the lost deal moved to the target pipeline and stage (crm.item.update,
 * checked), or a new deal copying the lost one (client, contacts, products, marks). Keyed by ORIGIN_ID and the to-do marker, so a retry finds what an earlier
 * try made.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { DealContext } from '../../bitrix24';
import { CrmEntityTypeId } from '../../bitrix24';
import {
  isEarlierReactivation,
  lostMessageVars,
  reactivationMarks,
  render,
  todoDeadline,
  type EffectiveDealRule,
  type EffectiveLostRule,
  type TemplateVars,
} from '../../domain';
import type { CreateReactivationRequest, CreateReactivationResult } from '../contracts';
import { originKey } from '../../shared/names';
import { dealLink, finalFailure, ORIGINATOR, type ActivityDeps } from '../shared';
import { targetMissing } from './target';
import { ensureTodo, type TodoSpec } from '../todos';
import { clientNameFor, loadElement, nowOf } from './element';

export function createCreateActivities(deps: ActivityDeps) {
  async function createReactivation(req: CreateReactivationRequest): Promise<CreateReactivationResult> {
    const loaded = await loadElement(deps, req.entity, req.lostElementId);
    if (!loaded) throw finalFailure('CannotProceed', `${req.entity} ${req.lostElementId} disappeared before its reactivation was created`);
    const { element, found, facts: f } = loaded;
    if ('why' in found) throw finalFailure('CannotProceed', `no rule applies to the loss of ${req.entity} ${req.lostElementId} any more (${found.why}): fix the rules or the element`);
    const { rule } = found;
    const at = nowOf(deps);
    const vars = lostMessageVars(
      {
        title: f.title,
        client: await clientNameFor(deps, element),
        reason: req.reason.name,
        lostAt: f.lostAt ? new Date(f.lostAt) : undefined,
        attempt: req.attempt,
        maxAttempts: rule.maxReactivations,
        link: dealLink(deps.portalUrl, req.entity, req.lostElementId),
        originalLink: dealLink(deps.portalUrl, req.entity, req.id),
      },
      rule.calendar.timeZone,
    );
    const marker = `[${originKey(req.workflowId, req.attempt)}]`;
    const todo = reactivationTodo(rule, vars, marker, at, req.responsibleId);

    if (element.entity === 'lead' || rule.entity === 'lead') {
      const target = rule.entity === 'lead' ? rule.target : undefined;
      if (!target) throw finalFailure('RulesError', `lead ${req.lostElementId} is reactivated by a rule without a target status: set lostDeals.leads.target in RULES_FILE`);
      await deps.crm.updateLead(req.lostElementId, { STATUS_ID: target.statusId, ASSIGNED_BY_ID: req.responsibleId });
      const todoId = await ensureTodo(deps, CrmEntityTypeId.lead, req.lostElementId, marker, todo);
      return { elementId: req.lostElementId, created: true, todoId };
    }
    const deal = element.ctx.deal;
    if (rule.target.action === 'move') {
      await moveLostDeal(deps, deal.id, rule.target, req.responsibleId);
      const todoId = await ensureTodo(deps, CrmEntityTypeId.deal, deal.id, marker, todo);
      return { elementId: deal.id, created: false, todoId };
    }
    return copyDeal(deps, { req, ctx: element.ctx, rule, vars, at }, marker, todo);
  }

  return { createReactivation };
}

/**
 * `action: move`: the lost deal itself goes to the target pipeline and stage through
 * crm.item.update (crm.deal.update ignores a stage of another pipeline — deals/index.md "How to
 * Change a Deal's Funnel"), and the answer must show it there: a portal that did not move it is a
 * final error with the reason, not a success.
 */
async function moveLostDeal(deps: ActivityDeps, dealId: number, target: { categoryId: number; stageId: string }, responsibleId: number): Promise<void> {
  await moveDeal(deps, dealId, target, { ASSIGNED_BY_ID: responsibleId });
}

/** A deal into a stage of another pipeline (crm.item.update), checked: a portal that did not move it is a final error. */
export async function moveDeal(deps: ActivityDeps, dealId: number, target: { categoryId: number; stageId: string }, fields: Record<string, unknown> = {}): Promise<void> {
  const at = await deps.crm.moveDealToStage(dealId, target, fields);
  if (at.categoryId === target.categoryId && at.stageId === target.stageId) return;
  throw ApplicationFailure.create({
    type: 'ReactivationMoveFailed',
    nonRetryable: true,
    message:
      `deal ${dealId} was not moved to pipeline ${target.categoryId}, stage ${target.stageId}: ` +
      `the portal answered pipeline ${at.categoryId}, stage ${at.stageId} (check the target stage and the webhook user's rights)`,
  });
}

function reactivationTodo(rule: EffectiveLostRule, vars: TemplateVars, marker: string, at: Date, responsibleId: number): TodoSpec {
  return {
    title: render(rule.templates.todoTitle, vars).text,
    description: `${render(rule.templates.todoDescription, vars).text}\n${marker}`,
    deadline: todoDeadline(at, rule.todoDeadline, rule.calendar).toISOString(),
    responsibleId,
  };
}

interface CopyOf {
  req: CreateReactivationRequest;
  /** The lost deal: the original, or an earlier attempt's reactivation deal. */
  ctx: DealContext;
  rule: EffectiveDealRule;
  vars: TemplateVars;
  at: Date;
}

/** The reactivation deal: found by its ORIGIN_ID, or added; then what the add does not carry. */
async function copyDeal(deps: ActivityDeps, copy: CopyOf, marker: string, todo: TodoSpec): Promise<CreateReactivationResult> {
  const { req, ctx } = copy;
  const existing = await deps.crm.findDealByOrigin(ORIGINATOR, originKey(req.workflowId, req.attempt));
  const dealId = existing?.id ?? (await addCopy(deps, copy));
  // Copy what the add does not carry; each step is skipped when an earlier try did it.
  const made = existing ? await deps.crm.getDealContext(dealId) : null;
  if (ctx.productRows.length > 0 && !(made && made.productRows.length > 0)) {
    // The discount goes with its type: a monetary one (type 1) needs DISCOUNT_SUM, or the portal
    // refuses the rows (crm-deal-productrows-set.md).
    await deps.crm.setDealProductRows(
      dealId,
      ctx.productRows.map(({ productId, price, quantity, productName, discountTypeId, discountRate, discountSum, taxRate, taxIncluded, measureCode, measureName, sort }) => ({
        productId, price, quantity, productName, discountTypeId, discountRate, discountSum, taxRate, taxIncluded, measureCode, measureName, sort,
      })),
    );
  }
  if (ctx.contacts.length > 1 && !(made && made.contacts.length > 1)) {
    await deps.crm.setDealContactItems(dealId, ctx.contacts.map(({ contactId, sort, isPrimary }) => ({ contactId, sort, isPrimary })));
  }
  const todoId = await ensureTodo(deps, CrmEntityTypeId.deal, dealId, marker, todo);
  deps.log.info('reactivation deal ready', { source: req.id, dealId, attempt: req.attempt, created: !existing });
  return { elementId: dealId, created: !existing, todoId };
}

async function addCopy(deps: ActivityDeps, { req, ctx: { deal }, rule, vars, at }: CopyOf): Promise<number> {
  // Named after the original deal, never after an earlier reactivation (whose title is already a
  // rendered dealTitle); a deleted original leaves the lost deal's own title.
  const named = isEarlierReactivation(deal, req.id) ? ((await deps.crm.getDeal(req.id)) ?? deal) : deal;
  const fields = {
    TITLE: render(rule.templates.dealTitle, { ...vars, title: named.title }).text,
    CATEGORY_ID: rule.target.categoryId,
    STAGE_ID: rule.target.stageId,
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
    ORIGIN_ID: originKey(req.workflowId, req.attempt),
    ...reactivationMarks(rule.marks, { sourceId: req.id, reason: req.reason.name, attempt: req.attempt, at }),
  };
  try {
    return await deps.crm.addDeal(fields);
  } catch (error) {
    // The portal refused the deal: when the target pipeline or stage is missing, say so plainly.
    const missing = await targetMissing(deps, error, rule.target);
    if (missing) throw finalFailure('PortalMismatch', `the reactivation of deal ${req.lostElementId} cannot be created: ${missing}`);
    throw error;
  }
}
