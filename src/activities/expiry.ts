/**
 * Activities of expiry reminders (seed 004): plan the expiry date and the reminders of a sold
 * deal, and perform one reminder's action (notify, to-do, renewal deal, business process),
 * keyed so that a retry never doubles it.
 */
import { CrmEntityTypeId, isBitrix24Error } from '../bitrix24';
import { expiryDate, expiryRulesFor, formatLocal, render, reminderSchedule, todoDeadline } from '../domain';
import type { ExpiryPlan, ReminderRequest } from './contracts';
import { purchaseItems, readPurchase, toDomainPurchase } from './purchases';
import { originKey } from '../shared/names';
import { dealLink, finalFailure, notifyPeople, ORIGINATOR, withTaxonomy, type ActivityDeps } from './shared';
import { ensureTodo } from './todos';

export function createExpiryActivities(deps: ActivityDeps) {
  const now = () => deps.now?.() ?? new Date();

  async function planExpiry({ dealId }: { dealId: number }): Promise<ExpiryPlan> {
    const rules = deps.rules();
    const expiry = rules.expiry;
    if (!expiry?.enabled) return { decision: 'skip', why: 'expiry reminders are disabled in the rules' };
    const deal = await deps.crm.getDeal(dealId);
    if (!deal) return { decision: 'skip', why: `deal ${dealId} was deleted` };
    if (deal.stageSemantic !== 'S') return { decision: 'skip', why: `deal ${dealId} is no longer won (stage ${deal.stageId})` };
    const zone = rules.defaults.calendar.timeZone;
    const sale = toDomainPurchase(await readPurchase(deps, deal), deal.userFields);
    const matching = expiryRulesFor(expiry, sale);
    const dated = matching.map((rule) => ({ rule, result: expiryDate(rule, sale, zone) }));
    const first = dated.find((d) => d.result.ok);
    if (!first || !first.result.ok) return { decision: 'skip', why: dated.map((d) => (d.result.ok ? '' : d.result.why)).join('; ') || 'no expiry rule matches' };
    const reminders = reminderSchedule(first.result.at, first.rule.reminders, now(), zone);
    return {
      decision: 'remind',
      why: first.result.explanation,
      expiresAt: first.result.at.toISOString(),
      basis: first.result.basis,
      reminders: reminders.map((r) => ({ key: r.key, at: r.at.toISOString(), offset: r.offsetRu, action: r.action, bizprocTemplateId: r.bizprocTemplateId })),
      responsibleId: deal.assignedById ?? 0,
    };
  }

  async function performReminder(req: ReminderRequest): Promise<{ done: string; elementId?: number }> {
    const rules = deps.rules();
    const expiry = rules.expiry;
    if (!expiry) throw finalFailure('RulesError', `the rules have no "expiry" block, yet the reminders of deal ${req.dealId} run: restore the block in RULES_FILE (or cancel them)`);
    const calendar = rules.defaults.calendar;
    const deal = await deps.crm.getDeal(req.dealId);
    if (!deal) return { done: 'skipped: the deal was deleted' };
    const items = await purchaseItems(deps, deal);
    const client = deal.companyId ? (await deps.crm.getCompany(deal.companyId))?.title : undefined;
    const key = originKey(req.workflowId, req.reminder.key);
    const vars = {
      title: deal.title,
      client: client ?? `deal ${deal.id}`,
      products: items.map((i) => i.name).join(', ') || deal.title,
      expiresAt: formatLocal(new Date(req.expiresAt), calendar.timeZone, false),
      offset: req.reminder.offset,
      link: dealLink(deps.portalUrl, 'deal', deal.id),
    };
    const todo = () => ({
      title: render(expiry.templates.todoTitle, vars).text,
      description: `${render(expiry.templates.todoDescription, vars).text}\n[${key}]`,
      deadline: todoDeadline(now(), expiry.todoDeadline ?? rules.defaults.todoDeadline, calendar).toISOString(),
      responsibleId: deal.assignedById ?? rules.defaults.headOfSales ?? 1,
    });
    switch (req.reminder.action) {
      case 'notify':
        await notifyPeople(deps, { manager: true, head: false }, deal.assignedById ?? undefined, rules.defaults.headOfSales ?? null, render(expiry.templates.notify, vars).text, key);
        return { done: 'notified' };
      case 'todo':
        return { done: 'todo', elementId: await ensureTodo(deps, CrmEntityTypeId.deal, deal.id, `[${key}]`, todo()) };
      case 'deal': {
        const target = expiry.target;
        if (!target) throw finalFailure('RulesError', `reminder "${req.reminder.offset}" of deal ${deal.id} makes a deal, but the rules' expiry block has no target pipeline and stage: add expiry.target to RULES_FILE`);
        const existing = await deps.crm.findDealByOrigin(ORIGINATOR, key);
        const dealId =
          existing?.id ??
          (await deps.crm.addDeal({
            TITLE: render(expiry.templates.dealTitle, vars).text,
            CATEGORY_ID: target.categoryId,
            STAGE_ID: target.stageId,
            ASSIGNED_BY_ID: deal.assignedById ?? undefined,
            COMPANY_ID: deal.companyId ?? undefined,
            CONTACT_IDS: deal.contactId ? [deal.contactId] : undefined,
            IS_RETURN_CUSTOMER: 'Y',
            COMMENTS: render(expiry.templates.dealComments, vars).text,
            ORIGINATOR_ID: ORIGINATOR,
            ORIGIN_ID: key,
          }));
        await ensureTodo(deps, CrmEntityTypeId.deal, dealId, `[${key}]`, todo());
        return { done: existing ? 'deal existed' : 'deal created', elementId: dealId };
      }
      case 'bizproc': {
        // bizproc.workflow.start has no idempotency key: a timeline comment records the start.
        // When the comments cannot be read now (limits, 5xx), the reminder is retried rather than
        // started blind; only a final refusal (no access to comments) starts it unchecked.
        const comments = await deps.b24
          .listAll<{ COMMENT?: string }>('crm.timeline.comment.list', {
            filter: { ENTITY_TYPE: 'deal', ENTITY_ID: deal.id },
            select: ['ID', 'COMMENT'],
          })
          .catch((error: unknown) => {
            if (isBitrix24Error(error) && !error.retryable) return [];
            throw error;
          });
        if (comments.some((c) => (c.COMMENT ?? '').includes(`[${key}]`))) return { done: 'bizproc already started' };
        const templateId = req.reminder.bizprocTemplateId;
        if (!templateId) throw finalFailure('RulesError', `reminder "${req.reminder.offset}" of deal ${deal.id} starts a business process, but names no template: set bizprocTemplateId in RULES_FILE`);
        const id = await deps.crm.startBizproc(templateId, { entity: 'deal', id: deal.id });
        await deps.crm.addTimelineComment({ entity: 'deal', entityId: deal.id, comment: `Запущен бизнес-процесс ${templateId} (${req.reminder.offset}) [${key}]` });
        return { done: `bizproc ${id}` };
      }
    }
  }

  return withTaxonomy({ planExpiry, performReminder }, deps.log);
}

export type ExpiryActivities = ReturnType<typeof createExpiryActivities>;
