/**
 * A. The lost-deal and junk-lead part of the rules schema (`lostDeals`): return periods, targets,
 * reasons per pipeline (by failure stage or by a reason field), junk leads, notifications,
 * templates and marks; the check that every reactivated reason gets a return period
 * (src/domain/lost-rules.ts and src/domain/return-period.ts apply them).
 */
import { z } from 'zod';
import { stageBelongsTo } from '../../domain/stages';
import { LOST_TEMPLATES_RU, LOST_TEMPLATE_VARIABLES } from '../../domain/templates';
import {
  catalogIdSchema,
  categoryIdSchema,
  checkMinMax,
  checkStageInPipeline,
  dailyCapSchema,
  dateBoundsSchema,
  deadlineSchema,
  dealForgottenSchema,
  durationSchema,
  evenWithOtherIssues,
  fieldCodeSchema,
  idText,
  isRecord,
  maxCountSchema,
  nameSchema,
  notifyWhomSchema,
  responsibleSchema,
  stageIdSchema,
  stageMismatch,
  statusIdSchema,
  templateBlock,
  userFieldSchema,
  wholeNumber,
} from './common';

// ---------------------------------------------------------------------------------------------
// Notifications and templates of a lost deal
// ---------------------------------------------------------------------------------------------

const notifyWhomOverrideSchema = z.strictObject({ manager: z.boolean().optional(), head: z.boolean().optional() });

export const lostNotificationsSchema = z
  .strictObject({
    atLoss: notifyWhomSchema(true, false),
    beforeReturn: z
      .strictObject({
        before: z.array(durationSchema).prefault(['1 day']).meta({ description: 'How long before the return to remind.' }),
        manager: z.boolean().default(true),
        head: z.boolean().default(false),
      })
      .prefault({}),
    atReturn: notifyWhomSchema(true, true),
    onForgotten: notifyWhomSchema(true, true),
    onClientBack: notifyWhomSchema(false, false).meta({
      description: 'No reactivation because the client came back (or has a newer open deal): the timeline comment always; a notice only when set.',
    }),
  })
  .prefault({})
  .meta({ description: 'Who is told (the manager, the head of sales) at the loss, before the return, at the return, when forgotten, when the client came back.' });

export const lostNotificationsOverrideSchema = z.strictObject({
  atLoss: notifyWhomOverrideSchema.optional(),
  beforeReturn: z
    .strictObject({ before: z.array(durationSchema).optional(), manager: z.boolean().optional(), head: z.boolean().optional() })
    .optional(),
  atReturn: notifyWhomOverrideSchema.optional(),
  onForgotten: notifyWhomOverrideSchema.optional(),
  onClientBack: notifyWhomOverrideSchema.optional(),
});

export const lostTemplates = templateBlock(LOST_TEMPLATES_RU, LOST_TEMPLATE_VARIABLES, 'LostTemplates');

// ---------------------------------------------------------------------------------------------
// The return period (срок возврата)
// ---------------------------------------------------------------------------------------------

const staticPeriodSchema = z.strictObject({ kind: z.literal('static'), period: durationSchema });

const byAmountSchema = z
  .strictObject({
    kind: z.literal('byAmount'),
    brackets: z
      .array(
        z.strictObject({
          below: z.number({ error: 'expected an amount' }).positive('expected a positive amount'),
          period: durationSchema,
        }),
      )
      .min(1, 'expected at least one bracket'),
    otherwise: durationSchema.meta({ description: 'For amounts at or above the last bracket, or no amount.' }),
  })
  .superRefine((rule, ctx) => {
    rule.brackets.forEach((bracket, i) => {
      if (i > 0 && bracket.below <= rule.brackets[i - 1]!.below) {
        ctx.addIssue({ code: 'custom', message: 'expected brackets in ascending order of "below"', path: ['brackets', i, 'below'] });
      }
    });
  });

const bySectionSchema = z.strictObject({
  kind: z.literal('bySection'),
  cases: z
    .array(z.strictObject({ sections: z.array(catalogIdSchema).min(1, 'expected at least one id'), period: durationSchema }))
    .min(1, 'expected at least one case')
    .meta({ description: "The first case with one of the deal's product sections decides." }),
  otherwise: durationSchema,
});

const bySourceSchema = z.strictObject({
  kind: z.literal('bySource'),
  cases: z
    .array(z.strictObject({ sources: z.array(idText).min(1, 'expected at least one source'), period: durationSchema }))
    .min(1, 'expected at least one case')
    .meta({ description: 'The first case listing the deal SOURCE_ID decides.' }),
  otherwise: durationSchema,
});

const managerPeriodSchema = z
  .strictObject({
    kind: z.literal('manager'),
    dateField: fieldCodeSchema.optional().meta({ description: 'A date field the manager fills at the loss.' }),
    listField: fieldCodeSchema.optional().meta({ description: 'A list field whose chosen item maps to a period.' }),
    options: z
      .array(z.strictObject({ value: idText, period: durationSchema }))
      .default([])
      .meta({ description: 'List items (their ids) and the periods they mean.' }),
    default: durationSchema.meta({ description: 'When the manager chose nothing (or an out-of-bounds date).' }),
  })
  .superRefine((rule, ctx) => {
    if (rule.dateField === undefined && rule.listField === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected "dateField" or "listField" (or both)', path: ['dateField'] });
    }
    if (rule.listField !== undefined && rule.options.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'expected the list items and their periods for "listField"', path: ['options'] });
    }
  });

const learnedPeriodSchema = z
  .strictObject({
    kind: z.literal('learned'),
    otherwise: durationSchema.meta({ description: 'With fewer than "minSamples" past conversions.' }),
    minSamples: wholeNumber('a count').min(1, 'expected at least 1').default(5).meta({ description: 'Learn only from at least this many.' }),
    min: durationSchema.meta({ description: 'The learned period is at least this.' }),
    max: durationSchema.meta({ description: 'The learned period is at most this.' }),
    lookback: durationSchema.prefault('1 year').meta({ description: 'Learn from reactivations won this long ago at most.' }),
  })
  .superRefine(checkMinMax)
  .meta({
    description:
      'The median wait from the loss to the reactivation deal of past first reactivations of the same reason that were won ' +
      '(within "lookback"), kept within [min, max]; "otherwise" until there are "minSamples" of them.',
  });

export const returnPeriodSchema = z
  .union(
    [
      durationSchema.transform((period) => ({ kind: 'static' as const, period })),
      z.discriminatedUnion('kind', [staticPeriodSchema, byAmountSchema, bySectionSchema, bySourceSchema, managerPeriodSchema, learnedPeriodSchema], {
        error: 'expected kind "static", "byAmount", "bySection", "bySource", "manager" or "learned"',
      }),
    ],
    { error: 'expected a duration such as "1 month", or an object with "kind"' },
  )
  .meta({
    id: 'ReturnPeriod',
    description:
      'Срок возврата: a duration (static), computed from the deal (byAmount, bySection, bySource), learned from past ' +
      'conversions of the same reason (learned), or chosen by the manager (a date field or a list field) with a default.',
  });

// ---------------------------------------------------------------------------------------------
// Targets, reasons, pipelines, junk leads
// ---------------------------------------------------------------------------------------------

export const dealTargetSchema = z
  .strictObject({
    action: z
      .enum(['copy', 'move'], { error: 'expected "copy" or "move"' })
      .default('copy')
      .meta({ description: 'copy: a new deal (same client, contacts, products, link); move: the lost deal itself is moved.' }),
    categoryId: categoryIdSchema,
    stageId: stageIdSchema,
  })
  .superRefine(checkStageInPipeline, evenWithOtherIssues)
  .meta({ id: 'DealTarget', description: 'Where the reactivated deal goes: pipeline and stage; copy or move.' });

export const leadTargetSchema = z.strictObject({ statusId: statusIdSchema }).meta({ description: 'The lead status to set back.' });

/** What a reason, a pipeline or the lostDeals block may say; the narrower one wins. */
const lostOverrides = {
  returnPeriod: returnPeriodSchema.optional(),
  maxReactivations: maxCountSchema.optional(),
  responsible: responsibleSchema.optional(),
  notifications: lostNotificationsOverrideSchema.optional(),
  templates: lostTemplates.override.optional(),
  dailyCap: dailyCapSchema.optional(),
};

export const openDealSchema = z.enum(['copy', 'todo', 'skip'], { error: 'expected "copy", "todo" or "skip"' }).meta({
  description:
    'The client has an open deal created after the loss: copy — create the reactivation anyway; todo — a to-do for the ' +
    'manager on that open deal instead; skip — nothing more. A deal that was already open at the loss does not count; ' +
    'a skip leaves a comment on the lost deal.',
});

/** What a deal reason, a pipeline or lostDeals may say (leads have no client deals to look at). */
const dealOverrides = { ...lostOverrides, openDeal: openDealSchema.optional() };

const reactivateSchema = z
  .boolean({ error: 'expected true or false' })
  .default(true)
  .meta({ description: 'false: this reason is never reactivated (e.g. Нецелевое обращение).' });

export const dealReasonSchema = z
  .strictObject({
    stageId: stageIdSchema.optional().meta({ description: 'The failure stage that is this reason.' }),
    value: idText.optional().meta({ description: 'When the pipeline reads the reason from a field: its value (list item id).' }),
    name: nameSchema,
    reactivate: reactivateSchema,
    target: dealTargetSchema.optional(),
    ...dealOverrides,
  })
  .meta({ id: 'LostReason' });

export const otherReasonsSchema = z
  .strictObject({
    name: nameSchema.default('Другая причина'),
    reactivate: reactivateSchema,
    target: dealTargetSchema.optional(),
    ...dealOverrides,
  })
  .meta({ description: 'The rule for failure stages (or field values) not listed in "reasons". Without it they are skipped.' });

export const lostPipelineSchema = z
  .strictObject({
    categoryId: categoryIdSchema,
    name: z.string().optional(),
    reasonField: fieldCodeSchema
      .optional()
      .meta({ description: 'Read the loss reason from this deal field instead of the failure stage.' }),
    reasons: z.array(dealReasonSchema).min(1, 'expected at least one reason'),
    otherReasons: otherReasonsSchema.optional(),
    target: dealTargetSchema.optional(),
    forgotten: dealForgottenSchema.optional(),
    ...dealOverrides,
  })
  .superRefine((pipeline, ctx) => {
    if (!Array.isArray(pipeline.reasons)) return;
    const seen = new Map<string, number>();
    pipeline.reasons.forEach((reason, i) => {
      if (!isRecord(reason)) return;
      if (pipeline.reasonField !== undefined) {
        if (reason.value === undefined) {
          ctx.addIssue({ code: 'custom', message: `expected "value": the pipeline reads reasons from ${pipeline.reasonField}`, path: ['reasons', i, 'value'] });
        }
        if (reason.stageId !== undefined) {
          ctx.addIssue({ code: 'custom', message: `unexpected "stageId": the pipeline reads reasons from ${pipeline.reasonField}`, path: ['reasons', i, 'stageId'] });
        }
      } else {
        if (reason.stageId === undefined) {
          ctx.addIssue({ code: 'custom', message: 'expected "stageId" (or set "reasonField" on the pipeline)', path: ['reasons', i, 'stageId'] });
        } else if (typeof reason.stageId === 'string' && typeof pipeline.categoryId === 'number' && !stageBelongsTo(reason.stageId, pipeline.categoryId)) {
          ctx.addIssue({ code: 'custom', message: stageMismatch(reason.stageId, pipeline.categoryId), path: ['reasons', i, 'stageId'] });
        }
        if (reason.value !== undefined) {
          ctx.addIssue({ code: 'custom', message: 'unexpected "value" without "reasonField" on the pipeline', path: ['reasons', i, 'value'] });
        }
      }
      const key = pipeline.reasonField !== undefined ? reason.value : reason.stageId;
      if (typeof key !== 'string') return;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${key}" is already reasons[${first}]`, path: ['reasons', i, pipeline.reasonField ? 'value' : 'stageId'] });
      } else {
        seen.set(key, i);
      }
    });
  }, evenWithOtherIssues)
  .meta({ id: 'LostPipeline' });

export const leadReasonSchema = z
  .strictObject({
    statusId: statusIdSchema.meta({ description: 'A failure (JUNK-semantics) lead status.' }),
    name: nameSchema,
    reactivate: reactivateSchema,
    target: leadTargetSchema.optional(),
    ...lostOverrides,
  })
  .meta({ id: 'LeadReason' });

export const leadsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    target: leadTargetSchema,
    forgotten: z.strictObject({ statusId: statusIdSchema }).optional(),
    statuses: z.array(leadReasonSchema).min(1, 'expected at least one status'),
    otherStatuses: otherReasonsSchema.omit({ target: true, openDeal: true }).extend({ target: leadTargetSchema.optional() }).optional(),
    ...lostOverrides,
  })
  .superRefine((leads, ctx) => {
    if (!Array.isArray(leads.statuses)) return;
    const seen = new Map<string, number>();
    leads.statuses.forEach((s, i) => {
      if (!isRecord(s) || typeof s.statusId !== 'string') return;
      const first = seen.get(s.statusId);
      if (first !== undefined) ctx.addIssue({ code: 'custom', message: `"${s.statusId}" is already statuses[${first}]`, path: ['statuses', i, 'statusId'] });
      else seen.set(s.statusId, i);
    });
  }, evenWithOtherIssues)
  .meta({ id: 'LostLeads', description: 'Junk leads: their status is set back to an "in work" status after the return period.' });

export const marksSchema = z
  .strictObject({
    sourceField: userFieldSchema.default('UF_CRM_REACT_SOURCE').meta({ description: 'Holds the source (lost) deal id.' }),
    reasonField: userFieldSchema.default('UF_CRM_REACT_REASON').meta({ description: 'Holds the loss reason name.' }),
    attemptField: userFieldSchema.default('UF_CRM_REACT_ATTEMPT').meta({ description: 'Holds the attempt number.' }),
    dateField: userFieldSchema.default('UF_CRM_REACT_DATE').meta({ description: 'Holds the reactivation date.' }),
  })
  .prefault({})
  .meta({ description: 'Deal user fields that mark a reactivation for analytics.' });

export const lostDealsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    returnPeriod: returnPeriodSchema.optional().meta({ description: 'For reasons and pipelines that do not say.' }),
    maxReactivations: maxCountSchema.prefault(3),
    target: dealTargetSchema
      .optional()
      .meta({ description: 'Default target; without one, a copy in the same pipeline at its NEW stage.' }),
    forgotten: dealForgottenSchema.optional(),
    responsible: responsibleSchema.optional(),
    dailyCap: dailyCapSchema.optional(),
    openDeal: openDealSchema.default('skip'),
    notifications: lostNotificationsSchema,
    templates: lostTemplates.full,
    managerDates: dateBoundsSchema,
    todoDeadline: deadlineSchema.optional(),
    followUpEvery: durationSchema
      .prefault('1 day')
      .meta({ description: 'How often a reactivation deal is re-read when no Bitrix24 event arrives.' }),
    marks: marksSchema,
    pipelines: z.array(lostPipelineSchema).default([]),
    leads: leadsSchema.optional(),
  })
  .superRefine((lost, ctx) => {
    if (!Array.isArray(lost.pipelines)) return;
    const seen = new Map<number, number>();
    lost.pipelines.forEach((p, i) => {
      if (!isRecord(p) || typeof p.categoryId !== 'number') return;
      const first = seen.get(p.categoryId);
      if (first !== undefined) ctx.addIssue({ code: 'custom', message: `pipeline ${p.categoryId} is already pipelines[${first}]`, path: ['pipelines', i, 'categoryId'] });
      else seen.set(p.categoryId, i);
    });
  }, evenWithOtherIssues)
  .prefault({})
  .meta({ description: 'A. Lost-deal reactivation (реактивация отказов), per pipeline and failure stage; junk leads.' });

/**
 * A reactivated reason needs a return period from somewhere: its own, its pipeline's (or the
 * leads block's) or lostDeals'. Run on the whole file (paths start at lostDeals).
 */
export function checkReturnPeriodsSet(rules: { lostDeals: z.output<typeof lostDealsSchema> }, ctx: z.RefinementCtx): void {
  const lost = rules.lostDeals;
  if (!isRecord(lost)) return;
  (Array.isArray(lost.pipelines) ? lost.pipelines : []).forEach((pipeline, i) => {
    if (!isRecord(pipeline)) return;
    const inherited = pipeline.returnPeriod ?? lost.returnPeriod;
    (Array.isArray(pipeline.reasons) ? pipeline.reasons : []).forEach((reason, j) => {
      if (isRecord(reason) && reason.reactivate === true && reason.returnPeriod === undefined && inherited === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a return period: none here, on the pipeline or in lostDeals',
          path: ['lostDeals', 'pipelines', i, 'reasons', j, 'returnPeriod'],
        });
      }
    });
    const other = pipeline.otherReasons;
    if (isRecord(other) && other.reactivate === true && other.returnPeriod === undefined && inherited === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a return period', path: ['lostDeals', 'pipelines', i, 'otherReasons', 'returnPeriod'] });
    }
  });
  const leads = lost.leads;
  if (!isRecord(leads) || !Array.isArray(leads.statuses)) return;
  leads.statuses.forEach((status, j) => {
    if (isRecord(status) && status.reactivate === true && status.returnPeriod === undefined && (leads.returnPeriod ?? lost.returnPeriod) === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a return period: none here, in leads or in lostDeals',
        path: ['lostDeals', 'leads', 'statuses', j, 'returnPeriod'],
      });
    }
  });
}
