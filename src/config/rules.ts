/**
 * The rules file (config/rules.*.yaml): one zod schema, the single source of truth for
 *  - validation, with every problem reported with its path and line
 *    (`lostDeals.pipelines[0].reasons[2].returnPeriod: expected a duration ... (line 42)`);
 *  - the types the pure domain code works with (src/domain/types.ts re-exports them, type-only);
 *  - the JSON Schema for editors (config/rules.schema.json, `npm run rules:schema`).
 *
 * Durations are parsed here (into plain objects), so domain code never sees text to parse.
 * Blocks inherit: a reason takes what it does not say from its pipeline, then from `lostDeals`,
 * then from `defaults` — so a small file is enough.
 */
import { readFileSync } from 'node:fs';
import { DateTime, IANAZone } from 'luxon';
import { isAlias, isMap, isNode, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { durationMs, formatDuration, parseDeadline, parseDuration, type Duration } from '../domain/durations';
import { stageBelongsTo } from '../domain/stages';
import {
  CLIENT_TEMPLATES_RU,
  CLIENT_TEMPLATE_VARIABLES,
  EXPIRY_TEMPLATES_RU,
  EXPIRY_TEMPLATE_VARIABLES,
  LOST_TEMPLATES_RU,
  LOST_TEMPLATE_VARIABLES,
  placeholdersOf,
} from '../domain/templates';

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

const durationSchema = z
  .string({ error: 'expected a duration text such as "2 weeks", "1 month", "P1M", "30 seconds"' })
  // Examples sit on the text: JSON Schema (input side) drops them from a transform.
  .meta({ examples: ['1 month', '2 weeks', 'P1M', '30 seconds', '2 недели'] })
  .transform((text, ctx) => {
    const parsed = parseDuration(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  })
  .meta({
    id: 'Duration',
    description:
      'A duration: ISO 8601 (P1M, P2W, P10D, PT45M, PT30S) or words in English or Russian ("2 weeks", "1 month", ' +
      '"10 days", "45 minutes", "30 seconds", "2 недели", "1 месяц", "45 дней", "полгода"). Months and days are ' +
      'counted in the portal time zone.',
  });

const deadlineSchema = z
  .string({ error: 'expected a deadline such as "1 working day" or "4 hours"' })
  .meta({ examples: ['1 working day', '2 рабочих дня', '4 hours'] })
  .transform((text, ctx) => {
    const parsed = parseDeadline(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  })
  .meta({
    id: 'Deadline',
    description: 'A to-do deadline after its creation: "N working days" of the business calendar, or a duration.',
  });

const wholeNumber = (what: string) =>
  z.number({ error: `expected ${what} (a whole number)` }).int(`expected ${what} (a whole number)`);

const userIdSchema = wholeNumber('a user id').positive('expected a user id, at least 1');
const departmentIdSchema = wholeNumber('a department id').positive('expected a department id, at least 1');
const categoryIdSchema = wholeNumber('a pipeline id (CATEGORY_ID)').min(0, 'expected a pipeline id, 0 or more');
const catalogIdSchema = wholeNumber('a catalog id').positive('expected a catalog id, at least 1');

/** Ids Bitrix24 keeps as strings but YAML may read as numbers (lead status "1", list item 45). */
const idText = z
  .union([z.string(), z.number()], { error: 'expected an id (text or number)' })
  .transform((v) => String(v).trim());

const stageIdSchema = idText.pipe(
  z.string().regex(/^(C\d+:)?[A-Z0-9_]+$/, 'expected a deal stage id such as "LOSE", "C7:LOSE" or "C7:UC_A1B2C3"'),
);
const statusIdSchema = idText.pipe(z.string().regex(/^[A-Z0-9_]+$/, 'expected a lead status id such as "JUNK" or "IN_PROCESS"'));
const fieldCodeSchema = z
  .string({ error: 'expected a field code such as UF_CRM_RETURN_DATE' })
  .regex(/^[A-Z][A-Z0-9_]*$/, 'expected a field code in upper case, such as UF_CRM_RETURN_DATE or SOURCE_ID');
const userFieldSchema = z
  .string({ error: 'expected a user field code such as UF_CRM_REACT_SOURCE' })
  .regex(/^UF_CRM_[A-Z0-9_]+$/, 'expected a user field code starting with UF_CRM_, such as UF_CRM_REACT_SOURCE');
const nameSchema = z.string({ error: 'expected a name' }).trim().min(1, 'expected a non-empty name');

const maxCountSchema = z
  .union([wholeNumber('a count').min(1, 'expected at least 1, or "unlimited"'), z.literal('unlimited')], {
    error: 'expected a whole number or "unlimited"',
  })
  .transform((v) => (v === 'unlimited' ? null : v))
  .meta({ description: 'A whole number, or "unlimited" (read as null).' });

const dailyCapSchema = z
  .union([wholeNumber('a daily cap').min(1, 'expected at least 1, or "unlimited"'), z.literal('unlimited')], {
    error: 'expected a whole number or "unlimited"',
  })
  .transform((v) => (v === 'unlimited' ? null : v))
  .meta({ description: 'At most this many new reactivations per manager per day; the excess moves to the next working day.' });

const WEEKDAYS: Readonly<Record<string, number>> = {
  mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7,
  пн: 1, вт: 2, ср: 3, чт: 4, пт: 5, сб: 6, вс: 7,
};

const weekdaySchema = z
  .union(
    [
      wholeNumber('a weekday').min(1, 'expected 1 (Monday) to 7 (Sunday)').max(7, 'expected 1 (Monday) to 7 (Sunday)'),
      z.enum(Object.keys(WEEKDAYS) as [string, ...string[]], { error: 'expected mon..sun, пн..вс or 1..7' }),
    ],
    { error: 'expected a weekday: mon..sun, пн..вс or 1..7' },
  )
  .transform((v) => (typeof v === 'number' ? v : WEEKDAYS[v]!));

const clockSchema = z
  .string({ error: 'expected a time such as "09:00"' })
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected a time HH:MM such as "09:00" (24:00 = end of day)');

const localDateSchema = z
  .string({ error: 'expected a date such as "2026-01-01"' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD such as "2026-01-01"')
  .refine((s) => DateTime.fromISO(s).isValid, 'not a calendar date');

const timeZoneSchema = z
  .string({ error: 'expected an IANA time zone such as Europe/Moscow' })
  .refine((zone) => IANAZone.isValidZone(zone), 'expected an IANA time zone such as Europe/Moscow or Asia/Yekaterinburg');

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return h! * 60 + m!;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Cross-field checks run even when a sibling field has its own problem, so one pass reports
 * everything. Their code must then expect raw values and guard every access.
 */
const evenWithOtherIssues = { when: (payload: { value: unknown }) => isRecord(payload.value) };

// ---------------------------------------------------------------------------------------------
// Business calendar, responsible, notifications, templates
// ---------------------------------------------------------------------------------------------

const calendarSchema = z
  .strictObject({
    timeZone: timeZoneSchema.default('Europe/Moscow').meta({ description: 'The portal time zone (IANA).' }),
    workingDays: z
      .array(weekdaySchema)
      .min(1, 'expected at least one working day')
      .prefault(['mon', 'tue', 'wed', 'thu', 'fri'])
      .meta({ description: 'Working weekdays; read as ISO numbers 1 (Monday) … 7 (Sunday).' }),
    workingHours: z
      .strictObject({ from: clockSchema, to: clockSchema })
      .refine((h) => minutesOf(h.from) < minutesOf(h.to), { message: 'expected "from" earlier than "to"', path: ['to'] })
      .prefault({ from: '09:00', to: '18:00' })
      .meta({ description: 'Local working hours; "00:00"–"24:00" means around the clock.' }),
    holidays: z.array(localDateSchema).default([]).meta({ description: 'Non-working dates (YYYY-MM-DD).' }),
    workingWeekends: z
      .array(localDateSchema)
      .default([])
      .meta({ description: 'Weekend dates that are working days (transferred working days).' }),
    spread: durationSchema
      .optional()
      .meta({ description: 'Spread creations moved to the start of a working day over this long, so they do not all land at 09:00.' }),
  })
  .meta({ id: 'Calendar', description: 'When to create reactivations and to-dos: working days and hours in the portal time zone.' });

const userStrategySchema = z.strictObject({
  strategy: z.literal('user'),
  userId: userIdSchema,
});

const departmentHeadStrategySchema = z.strictObject({
  strategy: z.literal('departmentHead'),
  departmentId: departmentIdSchema
    .optional()
    .meta({ description: "A fixed department; without it, the original manager's department." }),
});

const poolStrategySchema = z
  .strictObject({
    strategy: z.literal('pool'),
    users: z.array(userIdSchema).min(1, 'expected at least one user').optional(),
    departmentId: departmentIdSchema.optional().meta({ description: 'Every active member of this department.' }),
    pick: z.enum(['roundRobin', 'random'], { error: 'expected "roundRobin" or "random"' }).default('roundRobin'),
  })
  .refine((p) => (p.users === undefined) !== (p.departmentId === undefined), {
    message: 'expected either "users" or "departmentId" (exactly one)',
  });

const fallbackSchema = z
  .discriminatedUnion('strategy', [userStrategySchema, departmentHeadStrategySchema, poolStrategySchema], {
    error: 'expected strategy "user", "departmentHead" or "pool"',
  })
  .meta({ id: 'FallbackResponsible' });

const responsibleSchema = z
  .discriminatedUnion(
    'strategy',
    [
      z.strictObject({
        strategy: z.literal('original'),
        fallback: fallbackSchema
          .prefault({ strategy: 'departmentHead' })
          .meta({ description: 'Used when the original manager is fired or inactive.' }),
      }),
      z.strictObject({
        strategy: z.literal('user'),
        userId: userIdSchema,
        fallback: fallbackSchema.optional(),
      }),
      departmentHeadStrategySchema,
      poolStrategySchema,
    ],
    { error: 'expected strategy "original", "user", "departmentHead" or "pool"' },
  )
  .meta({
    id: 'Responsible',
    description:
      'Who gets the reactivation: the original manager (fallback when inactive), a fixed user, a department head, ' +
      'or a pool (listed users or a department) picked round-robin or at random.',
  });

const notifyWhomSchema = (manager: boolean, head: boolean) =>
  z
    .strictObject({ manager: z.boolean().default(manager), head: z.boolean().default(head) })
    .prefault({});

const notifyWhomOverrideSchema = z.strictObject({ manager: z.boolean().optional(), head: z.boolean().optional() });

const lostNotificationsSchema = z
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
  })
  .prefault({})
  .meta({ description: 'Who is told (the manager, the head of sales) at the loss, before the return, at the return, when forgotten.' });

const lostNotificationsOverrideSchema = z.strictObject({
  atLoss: notifyWhomOverrideSchema.optional(),
  beforeReturn: z
    .strictObject({ before: z.array(durationSchema).optional(), manager: z.boolean().optional(), head: z.boolean().optional() })
    .optional(),
  atReturn: notifyWhomOverrideSchema.optional(),
  onForgotten: notifyWhomOverrideSchema.optional(),
});

function templateText(variables: readonly string[]) {
  return z
    .string({ error: 'expected a template text' })
    .min(1, 'expected a non-empty template')
    .superRefine((text, ctx) => {
      const unknown = placeholdersOf(text).filter((name) => !variables.includes(name));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')}; available: ${variables.map((n) => `{${n}}`).join(' ')}`,
        });
      }
    });
}

/** A template block with Russian defaults, and the same block as a partial override. */
function templateBlock<K extends string>(defaults: Readonly<Record<K, string>>, variables: readonly string[], id: string) {
  const keys = Object.keys(defaults) as K[];
  const text = templateText(variables);
  const full = Object.fromEntries(keys.map((k) => [k, text.default(defaults[k])])) as { [P in K]: z.ZodDefault<typeof text> };
  const partial = Object.fromEntries(keys.map((k) => [k, text.optional()])) as { [P in K]: z.ZodOptional<typeof text> };
  const description = `Placeholders: ${variables.map((n) => `{${n}}`).join(' ')}`;
  return {
    // Every key has a default, so {} is a valid input; the generic key type hides that from tsc.
    full: z.strictObject(full).prefault({} as never).meta({ id, description }),
    override: z.strictObject(partial).meta({ id: `${id}Override`, description }),
  };
}

const lostTemplates = templateBlock(LOST_TEMPLATES_RU, LOST_TEMPLATE_VARIABLES, 'LostTemplates');
const clientTemplates = templateBlock(CLIENT_TEMPLATES_RU, CLIENT_TEMPLATE_VARIABLES, 'ClientTemplates');
const expiryTemplates = templateBlock(EXPIRY_TEMPLATES_RU, EXPIRY_TEMPLATE_VARIABLES, 'ExpiryTemplates');

const dateBoundsSchema = z
  .strictObject({
    minAhead: durationSchema.prefault('1 hour').meta({ description: 'A chosen date must be at least this far ahead.' }),
    maxAhead: durationSchema.prefault('1 year').meta({ description: 'A chosen date must be at most this far ahead.' }),
  })
  .prefault({})
  .meta({ description: 'Bounds for dates chosen by managers (a date field, the API or a signal).' });

// ---------------------------------------------------------------------------------------------
// A. Lost deals and junk leads
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

/** Learned periods are kept within [min, max]: "max" must not be shorter than "min". */
function checkMinMax(rule: { min: Duration; max: Duration }, ctx: z.RefinementCtx): void {
  const epoch = new Date(0);
  if (durationMs(rule.min, epoch, 'UTC') > durationMs(rule.max, epoch, 'UTC')) {
    ctx.addIssue({ code: 'custom', message: `"max" (${formatDuration(rule.max)}) is shorter than "min" (${formatDuration(rule.min)})`, path: ['max'] });
  }
}

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

const returnPeriodSchema = z
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

const dealTargetSchema = z
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

const clientMarkSchema = z
  .strictObject({ field: userFieldSchema, value: z.union([z.string(), z.number(), z.boolean()]) })
  .meta({ description: 'A client (company/contact) field set when the client is forgotten.' });

const dealForgottenSchema = z
  .strictObject({ categoryId: categoryIdSchema, stageId: stageIdSchema, clientField: clientMarkSchema.optional() })
  .superRefine(checkStageInPipeline, evenWithOtherIssues)
  .meta({ id: 'ForgottenStage', description: '«Забытый клиент»: the stage the last deal goes to when the limit is reached.' });

function checkStageInPipeline(t: { categoryId: number; stageId: string }, ctx: z.RefinementCtx): void {
  if (typeof t.stageId !== 'string' || typeof t.categoryId !== 'number') return;
  if (!stageBelongsTo(t.stageId, t.categoryId)) {
    ctx.addIssue({ code: 'custom', message: stageMismatch(t.stageId, t.categoryId), path: ['stageId'] });
  }
}

function stageMismatch(stageId: string, categoryId: number): string {
  return categoryId === 0
    ? `stage "${stageId}" is not in pipeline 0; stages of pipeline 0 have no "C<n>:" prefix`
    : `stage "${stageId}" is not in pipeline ${categoryId}; expected "C${categoryId}:..."`;
}

const leadTargetSchema = z.strictObject({ statusId: statusIdSchema }).meta({ description: 'The lead status to set back.' });

/** What a reason, a pipeline or the lostDeals block may say; the narrower one wins. */
const lostOverrides = {
  returnPeriod: returnPeriodSchema.optional(),
  maxReactivations: maxCountSchema.optional(),
  responsible: responsibleSchema.optional(),
  notifications: lostNotificationsOverrideSchema.optional(),
  templates: lostTemplates.override.optional(),
  dailyCap: dailyCapSchema.optional(),
};

const reactivateSchema = z
  .boolean({ error: 'expected true or false' })
  .default(true)
  .meta({ description: 'false: this reason is never reactivated (e.g. Нецелевое обращение).' });

const dealReasonSchema = z
  .strictObject({
    stageId: stageIdSchema.optional().meta({ description: 'The failure stage that is this reason.' }),
    value: idText.optional().meta({ description: 'When the pipeline reads the reason from a field: its value (list item id).' }),
    name: nameSchema,
    reactivate: reactivateSchema,
    target: dealTargetSchema.optional(),
    ...lostOverrides,
  })
  .meta({ id: 'LostReason' });

const otherReasonsSchema = z
  .strictObject({
    name: nameSchema.default('Другая причина'),
    reactivate: reactivateSchema,
    target: dealTargetSchema.optional(),
    ...lostOverrides,
  })
  .meta({ description: 'The rule for failure stages (or field values) not listed in "reasons". Without it they are skipped.' });

const lostPipelineSchema = z
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
    ...lostOverrides,
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

const leadReasonSchema = z
  .strictObject({
    statusId: statusIdSchema.meta({ description: 'A failure (JUNK-semantics) lead status.' }),
    name: nameSchema,
    reactivate: reactivateSchema,
    target: leadTargetSchema.optional(),
    ...lostOverrides,
  })
  .meta({ id: 'LeadReason' });

const leadsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    target: leadTargetSchema,
    forgotten: z.strictObject({ statusId: statusIdSchema }).optional(),
    statuses: z.array(leadReasonSchema).min(1, 'expected at least one status'),
    otherStatuses: otherReasonsSchema.omit({ target: true }).extend({ target: leadTargetSchema.optional() }).optional(),
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

const marksSchema = z
  .strictObject({
    sourceField: userFieldSchema.default('UF_CRM_REACT_SOURCE').meta({ description: 'Holds the source (lost) deal id.' }),
    reasonField: userFieldSchema.default('UF_CRM_REACT_REASON').meta({ description: 'Holds the loss reason name.' }),
    attemptField: userFieldSchema.default('UF_CRM_REACT_ATTEMPT').meta({ description: 'Holds the attempt number.' }),
    dateField: userFieldSchema.default('UF_CRM_REACT_DATE').meta({ description: 'Holds the reactivation date.' }),
  })
  .prefault({})
  .meta({ description: 'Deal user fields that mark a reactivation for analytics.' });

const lostDealsSchema = z
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

// ---------------------------------------------------------------------------------------------
// B, C. Client reactivation after purchases; sales chains
// ---------------------------------------------------------------------------------------------

const newDealTargetSchema = z
  .strictObject({ categoryId: categoryIdSchema, stageId: stageIdSchema })
  .superRefine(checkStageInPipeline, evenWithOtherIssues)
  .meta({ id: 'NewDealTarget', description: 'Pipeline and stage of a new deal.' });

const periodsSchema = z
  .strictObject({
    default: durationSchema.meta({ description: 'Global default purchase period.' }),
    pipelines: z.array(z.strictObject({ categoryId: categoryIdSchema, period: durationSchema })).default([]),
    sections: z
      .array(z.strictObject({ ids: z.array(catalogIdSchema).min(1, 'expected at least one id'), name: z.string().optional(), period: durationSchema }))
      .default([]),
    products: z
      .array(z.strictObject({ ids: z.array(catalogIdSchema).min(1, 'expected at least one id'), name: z.string().optional(), period: durationSchema }))
      .default([]),
  })
  .meta({
    id: 'PurchasePeriods',
    description: 'Expected purchase period: per product, else per product section, else per pipeline, else the default.',
  });

const learningSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    lastPurchases: wholeNumber('a count').min(2, 'expected at least 2').default(6).meta({ description: 'Look at this many last purchases.' }),
    minPurchases: wholeNumber('a count').min(2, 'expected at least 2').default(3).meta({ description: 'Learn only from at least this many.' }),
    min: durationSchema,
    max: durationSchema,
  })
  .superRefine(checkMinMax)
  .meta({ description: "Learn a product's period from the client's own history: the median gap, kept within [min, max]." });

const chainStepSchema = z
  .strictObject({
    name: nameSchema,
    products: z.array(catalogIdSchema).default([]),
    sections: z.array(catalogIdSchema).default([]),
    after: durationSchema.optional().meta({ description: 'The typical gap after the previous step (not on the first step).' }),
  })
  .refine((s) => s.products.length + s.sections.length > 0, { message: 'expected "products" or "sections"' });

const chainSchema = z
  .strictObject({
    name: nameSchema,
    target: newDealTargetSchema.optional(),
    steps: z.array(chainStepSchema).min(2, 'expected at least two steps'),
  })
  .superRefine((chain, ctx) => {
    if (!Array.isArray(chain.steps)) return;
    chain.steps.forEach((step, i) => {
      if (!isRecord(step)) return;
      if (i === 0 && step.after !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'the first step has no "after"', path: ['steps', 0, 'after'] });
      }
      if (i > 0 && step.after === undefined) {
        ctx.addIssue({ code: 'custom', message: 'expected "after": the typical gap after the previous step', path: ['steps', i, 'after'] });
      }
    });
  }, evenWithOtherIssues)
  .meta({ id: 'SalesChain', description: 'Цепочка продаж: ordered steps; a purchase of a step predicts the next one.' });

const clientsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    clientOf: z
      .enum(['company', 'contact', 'companyOrContact'], { error: 'expected "company", "contact" or "companyOrContact"' })
      .default('companyOrContact')
      .meta({ description: 'Whose purchase cycle a won deal counts for.' }),
    wonIn: z
      .array(categoryIdSchema)
      .min(1, 'expected at least one pipeline')
      .prefault([0])
      .meta({ description: 'Pipelines whose won deals start or reset a client cycle.' }),
    periods: periodsSchema,
    learning: learningSchema.optional(),
    maxCycles: maxCountSchema.prefault(3).meta({ description: 'Cycles without a purchase before «Забытый клиент».' }),
    forgotten: dealForgottenSchema.optional(),
    openDeal: z
      .strictObject({ todo: z.boolean().default(true), notify: z.boolean().default(true) })
      .prefault({})
      .meta({ description: 'When the client already has an open deal: a to-do on it and/or a notice.' }),
    target: newDealTargetSchema,
    responsible: responsibleSchema.optional(),
    dailyCap: dailyCapSchema.optional(),
    dueDates: dateBoundsSchema,
    todoDeadline: deadlineSchema.optional(),
    notifications: z
      .strictObject({ atDue: notifyWhomSchema(true, false), onForgotten: notifyWhomSchema(true, true) })
      .prefault({}),
    templates: clientTemplates.full,
    chains: z.array(chainSchema).default([]),
  })
  .meta({ description: 'B. Client reactivation after purchases (реактивация клиентов) and C. sales chains.' });

// ---------------------------------------------------------------------------------------------
// D. Expiry reminders
// ---------------------------------------------------------------------------------------------

const expiresAtSchema = z
  .discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('field'), field: fieldCodeSchema.meta({ description: 'The deal date field with the expiry date.' }) }),
      z.strictObject({
        kind: z.literal('term'),
        term: durationSchema.meta({ description: 'Purchase date + this term.' }),
        field: fieldCodeSchema.optional().meta({ description: 'If the manager filled this date field, it wins.' }),
      }),
      z
        .strictObject({
          kind: z.literal('consumption'),
          ratePerMonth: z.number().positive('expected a positive rate').optional().meta({ description: 'Units used per month.' }),
          rateProperty: fieldCodeSchema.optional().meta({ description: 'A product property holding the monthly rate (PROPERTY_107).' }),
          rateField: fieldCodeSchema.optional().meta({ description: "A deal field with the client's monthly rate." }),
          unit: z.string().optional(),
          field: fieldCodeSchema.optional().meta({ description: 'If the manager filled this date field, it wins.' }),
        })
        .refine((c) => [c.ratePerMonth, c.rateProperty, c.rateField].filter((v) => v !== undefined).length >= 1, {
          message: 'expected a rate: "ratePerMonth", "rateProperty" or "rateField"',
        }),
    ],
    { error: 'expected kind "field", "term" or "consumption"' },
  )
  .meta({ id: 'ExpiresAt', description: 'The expiry date: a deal field, purchase date + term, or a consumption forecast (quantity ÷ rate per month).' });

const reminderSchema = z
  .strictObject({
    before: durationSchema.optional(),
    after: durationSchema.optional(),
    action: z.enum(['notify', 'todo', 'deal', 'bizproc'], { error: 'expected "notify", "todo", "deal" or "bizproc"' }),
    bizprocTemplateId: wholeNumber('a business process template id').positive('expected a template id, at least 1').optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.before === undefined) === (r.after === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected either "before" or "after" (exactly one)' });
    }
    if (r.action === 'bizproc' && r.bizprocTemplateId === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected "bizprocTemplateId" for action "bizproc"', path: ['bizprocTemplateId'] });
    }
  })
  .meta({ id: 'Reminder', description: 'A reminder before or after the expiry date and its action.' });

const expiryRuleSchema = z
  .strictObject({
    name: nameSchema,
    products: z.array(catalogIdSchema).default([]),
    sections: z.array(catalogIdSchema).default([]).meta({ description: 'With no products and no sections, every sale matches.' }),
    expiresAt: expiresAtSchema,
    reminders: z.array(reminderSchema).min(1, 'expected at least one reminder'),
  })
  .meta({ id: 'ExpiryRule' });

const expirySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    wonIn: z.array(categoryIdSchema).min(1, 'expected at least one pipeline').prefault([0]),
    target: newDealTargetSchema.optional().meta({ description: 'Where "deal" reminders create the renewal deal.' }),
    responsible: responsibleSchema.optional(),
    todoDeadline: deadlineSchema.optional(),
    templates: expiryTemplates.full,
    rules: z.array(expiryRuleSchema).min(1, 'expected at least one rule'),
  })
  .superRefine((expiry, ctx) => {
    if (expiry.target !== undefined || !Array.isArray(expiry.rules)) return;
    expiry.rules.forEach((rule, i) =>
      (isRecord(rule) && Array.isArray(rule.reminders) ? rule.reminders : []).forEach((reminder, j) => {
        if (isRecord(reminder) && reminder.action === 'deal') {
          ctx.addIssue({ code: 'custom', message: 'action "deal" needs expiry.target (pipeline and stage)', path: ['rules', i, 'reminders', j, 'action'] });
        }
      }),
    );
  }, evenWithOtherIssues)
  .meta({ description: 'D. Repeat-sale reminders by expiry date (licences, policies, consumables).' });

// ---------------------------------------------------------------------------------------------
// E. Later, and the file
// ---------------------------------------------------------------------------------------------

const contactPolicySchema = z
  .strictObject({
    perClientCap: z
      .strictObject({ touches: wholeNumber('a count').min(1, 'expected at least 1'), per: durationSchema })
      .optional()
      .meta({ description: 'Later: at most this many touches per client per period, across all scenarios.' }),
    doNotContact: z
      .strictObject({ field: userFieldSchema, pause: durationSchema.optional() })
      .optional()
      .meta({ description: 'Later: a client field that stops (or pauses) every scenario for the client.' }),
    exitWhenClientCameBack: z
      .boolean()
      .optional()
      .meta({ description: 'Later: any purchase or new open deal of the client ends or re-plans its waiting workflows.' }),
  })
  .meta({ description: 'E. Later: accepted and validated now, applied in a later release.' });

const defaultsSchema = z
  .strictObject({
    calendar: calendarSchema.prefault({}),
    responsible: responsibleSchema.prefault({ strategy: 'original' }),
    dailyCap: dailyCapSchema.prefault('unlimited'),
    headOfSales: userIdSchema
      .optional()
      .meta({ description: "РОП: receives the head's notices; without it, the head of the manager's department." }),
    todoDeadline: deadlineSchema.prefault('1 working day'),
  })
  .prefault({})
  .meta({ description: 'Inherited by every scenario unless it says otherwise.' });

export const rulesSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1, { error: 'expected "version: 1" (the rules format version)' }),
    ids: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Portal ids in one place, as YAML anchors (&name) used below as aliases (*name). Not read otherwise.' }),
    defaults: defaultsSchema,
    lostDeals: lostDealsSchema,
    clients: clientsSchema.optional(),
    expiry: expirySchema.optional(),
    contactPolicy: contactPolicySchema.optional(),
  })
  .superRefine((rules, ctx) => {
    // A reactivated reason needs a return period from somewhere.
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
  }, evenWithOtherIssues)
  .meta({
    title: 'b24-reactivation rules',
    description: 'Rules of lost-deal reactivation, client reactivation, sales chains and expiry reminders for Bitrix24.',
  });

// ---------------------------------------------------------------------------------------------
// Types (the domain re-exports these; one source of truth)
// ---------------------------------------------------------------------------------------------

export type Rules = z.output<typeof rulesSchema>;
export type RulesInput = z.input<typeof rulesSchema>;
export type Calendar = z.output<typeof calendarSchema>;
export type ResponsibleStrategy = z.output<typeof responsibleSchema>;
export type FallbackStrategy = z.output<typeof fallbackSchema>;
export type NotifyWhom = z.output<ReturnType<typeof notifyWhomSchema>>;
export type LostNotifications = z.output<typeof lostNotificationsSchema>;
export type LostNotificationsOverride = z.output<typeof lostNotificationsOverrideSchema>;
export type LostTemplates = z.output<typeof lostTemplates.full>;
export type ClientTemplates = z.output<typeof clientTemplates.full>;
export type ExpiryTemplates = z.output<typeof expiryTemplates.full>;
export type DateBounds = z.output<typeof dateBoundsSchema>;
export type ReturnPeriodRule = z.output<typeof returnPeriodSchema>;
export type DealTarget = z.output<typeof dealTargetSchema>;
export type LeadTarget = z.output<typeof leadTargetSchema>;
export type DealForgotten = z.output<typeof dealForgottenSchema>;
export type LeadForgotten = NonNullable<z.output<typeof leadsSchema>['forgotten']>;
export type Marks = z.output<typeof marksSchema>;
export type LostDealsRules = z.output<typeof lostDealsSchema>;
export type LostPipelineRule = z.output<typeof lostPipelineSchema>;
export type DealReasonRule = z.output<typeof dealReasonSchema>;
export type OtherReasonsRule = z.output<typeof otherReasonsSchema>;
export type LeadsRules = z.output<typeof leadsSchema>;
export type LeadReasonRule = z.output<typeof leadReasonSchema>;
export type ClientRules = z.output<typeof clientsSchema>;
export type PurchasePeriods = z.output<typeof periodsSchema>;
export type LearningRule = z.output<typeof learningSchema>;
export type SalesChain = z.output<typeof chainSchema>;
export type ChainStep = z.output<typeof chainStepSchema>;
export type NewDealTarget = z.output<typeof newDealTargetSchema>;
export type ExpiryRules = z.output<typeof expirySchema>;
export type ExpiryRule = z.output<typeof expiryRuleSchema>;
export type ExpiresAtRule = z.output<typeof expiresAtSchema>;
export type ReminderRule = z.output<typeof reminderSchema>;
export type ContactPolicy = z.output<typeof contactPolicySchema>;
export type Defaults = z.output<typeof defaultsSchema>;

// ---------------------------------------------------------------------------------------------
// Loading, errors with paths and lines
// ---------------------------------------------------------------------------------------------

export interface RulesIssue {
  /** `lostDeals.pipelines[0].reasons[2].returnPeriod`; `(root)` for the file itself; `(yaml)` for syntax. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class RulesError extends Error {
  override readonly name = 'RulesError';
  constructor(
    readonly issues: RulesIssue[],
    readonly source = 'rules',
  ) {
    super(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
  }
}

/** `lostDeals.pipelines[0].reasons[2].returnPeriod: expected ... (line 42)` */
export function formatIssue(issue: RulesIssue): string {
  const where = issue.line !== undefined ? ` (line ${issue.line}${issue.column !== undefined ? `, column ${issue.column}` : ''})` : '';
  return `${issue.path}: ${issue.message}${where}`;
}

export type RulesParse = { ok: true; rules: Rules } | { ok: false; issues: RulesIssue[] };

/** Validates already-parsed data (an object from YAML or JSON). */
export function safeParseRules(input: unknown): RulesParse {
  const result = rulesSchema.safeParse(input);
  if (result.success) return { ok: true, rules: result.data };
  return { ok: false, issues: describeZodIssues(result.error.issues).map(({ path, message }) => ({ path: formatPath(path), message })) };
}

/** Validates already-parsed data; throws RulesError listing every problem. */
export function parseRules(input: unknown, source = 'rules'): Rules {
  const parsed = safeParseRules(input);
  if (!parsed.ok) throw new RulesError(parsed.issues, source);
  return parsed.rules;
}

/** Parses and validates YAML text; issues carry the line they point at. */
export function safeParseRulesText(text: string): RulesParse {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = e.pos ? lineCounter.linePos(e.pos[0]) : undefined;
        return { path: '(yaml)', message: e.message.split('\n')[0]!, line: pos?.line, column: pos?.col };
      }),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    // An alias bomb ("Excessive alias count ...") is refused while the document is built.
    return { ok: false, issues: [{ path: '(yaml)', message: (error as Error).message }] };
  }
  const result = rulesSchema.safeParse(data);
  if (result.success) return { ok: true, rules: result.data };
  const issues = describeZodIssues(result.error.issues).map(({ path, message }): RulesIssue => {
    const offset = offsetOf(doc, path);
    const line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
    return { path: formatPath(path), message, line };
  });
  // In file order, so the list reads top to bottom (sort is stable for equal lines).
  return { ok: false, issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}

/** Parses and validates YAML text; throws RulesError listing every problem. */
export function loadRulesText(text: string, source = 'rules'): Rules {
  const parsed = safeParseRulesText(text);
  if (!parsed.ok) throw new RulesError(parsed.issues, source);
  return parsed.rules;
}

/** Reads, parses and validates a rules file; throws RulesError listing every problem. */
export function loadRules(path: string): Rules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RulesError([{ path: '(file)', message: `cannot read: ${(error as Error).message}` }], path);
  }
  return loadRulesText(text, path);
}

/** The JSON Schema of the rules file as written (input side: durations are text). */
export function rulesJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(rulesSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The exact text of config/rules.schema.json (2-space JSON and a final newline). */
export function rulesJsonSchemaText(): string {
  return `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`;
}

/** `lostDeals.pipelines[0].reasons[2].returnPeriod` */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

interface PathMessage {
  path: PropertyKey[];
  message: string;
}

/**
 * Turns zod issues into one plain message per problem. A union reports the branch the input
 * was meant for (the one whose type matched), not "Invalid input".
 */
function describeZodIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): PathMessage[] {
  return issues.flatMap((issue) => describeZodIssue(issue, prefix));
}

function describeZodIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): PathMessage[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_union': {
      if (issue.errors.length === 0) {
        // A discriminated union with no matching "kind"/"strategy".
        const options = (issue as { options?: unknown[] }).options;
        const message = options ? `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}` : plainMessage(issue.message);
        return [{ path, message }];
      }
      const meant = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
      if (meant.length >= 1) {
        const best = meant.reduce((a, b) => (b.length < a.length ? b : a));
        return describeZodIssues(best, path);
      }
      return [{ path, message: plainMessage(issue.message) }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const suggestion = closestKey(key);
        return { path, message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}` };
      });
    case 'invalid_type': {
      const received = /received (\w+)/.exec(issue.message)?.[1];
      if (received === 'undefined') return [{ path, message: `required: ${plainMessage(issue.message).replace(/, received undefined$/, '')}` }];
      return [{ path, message: plainMessage(issue.message) }];
    }
    default:
      return [{ path, message: plainMessage(issue.message) }];
  }
}

function plainMessage(message: string): string {
  return message.replace(/^(Invalid input|Invalid option|Too small|Too big|Invalid string|Invalid value): /, '');
}

let knownKeys: string[] | undefined;

/** The closest property name the schema knows, for typos (`retunPeriod` → `returnPeriod`). */
function closestKey(key: string): string | undefined {
  knownKeys ??= collectKeys(rulesJsonSchema());
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const candidate of knownKeys) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function collectKeys(node: unknown, into = new Set<string>()): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectKeys(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && v && typeof v === 'object') Object.keys(v).forEach((name) => into.add(name));
      collectKeys(v, into);
    }
  }
  return [...into];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The source offset of the deepest YAML node on a path (follows aliases to their anchors). */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const key of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (!isMap(node) && !isSeq(node)) break;
    const pair = isMap(node) ? node.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === String(key)) : undefined;
    const child: unknown = isMap(node) ? pair?.value : node.get(Number(key), true);
    if (!isNode(child)) {
      // A missing key: point at the key if present, else at the enclosing collection.
      if (pair && isNode(pair.key)) offset = pair.key.range?.[0] ?? offset;
      break;
    }
    offset = child.range?.[0] ?? offset;
    node = child;
  }
  return offset;
}

// ---------------------------------------------------------------------------------------------
// Summary and warnings (for `npm run rules:check`)
// ---------------------------------------------------------------------------------------------

/** "7 lost-deal reasons (6 reactivated) in 2 pipelines, 1 lead status, ..." */
export function summarizeRules(rules: Rules): string {
  const lost = rules.lostDeals;
  const reasons = lost.pipelines.flatMap((p) => p.reasons);
  const parts = [
    `${count(reasons.length, 'lost-deal reason')} (${reasons.filter((r) => r.reactivate).length} reactivated) in ${count(lost.pipelines.length, 'pipeline')}${lost.enabled ? '' : ' (disabled)'}`,
    count(lost.leads?.statuses.length ?? 0, 'lead status', 'lead statuses'),
  ];
  const clients = rules.clients;
  if (clients) {
    const periods = clients.periods.products.length + clients.periods.sections.length + clients.periods.pipelines.length + 1;
    const steps = clients.chains.reduce((n, c) => n + c.steps.length, 0);
    parts.push(`${count(periods, 'purchase period')}${clients.enabled ? '' : ' (disabled)'}`);
    parts.push(`${count(clients.chains.length, 'sales chain')} (${count(steps, 'step')})`);
  } else {
    parts.push('no client reactivation');
  }
  const expiry = rules.expiry;
  if (expiry) {
    const reminders = expiry.rules.reduce((n, r) => n + r.reminders.length, 0);
    parts.push(`${count(expiry.rules.length, 'expiry rule')} (${count(reminders, 'reminder')})${expiry.enabled ? '' : ' (disabled)'}`);
  } else {
    parts.push('no expiry reminders');
  }
  parts.push(`calendar ${rules.defaults.calendar.timeZone}`);
  return parts.join(', ');
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Things that are valid but probably not meant. */
export function rulesWarnings(rules: Rules): RulesIssue[] {
  const warnings: RulesIssue[] = [];
  const lost = rules.lostDeals;
  const configured = new Set(lost.pipelines.map((p) => p.categoryId));
  const targets: { path: string; categoryId: number }[] = [];
  if (lost.target) targets.push({ path: 'lostDeals.target', categoryId: lost.target.categoryId });
  lost.pipelines.forEach((p, i) => {
    if (p.target) targets.push({ path: `lostDeals.pipelines[${i}].target`, categoryId: p.target.categoryId });
    p.reasons.forEach((r, j) => {
      if (r.target) targets.push({ path: `lostDeals.pipelines[${i}].reasons[${j}].target`, categoryId: r.target.categoryId });
    });
  });
  for (const t of targets) {
    if (!configured.has(t.categoryId)) {
      warnings.push({
        path: t.path,
        message: `pipeline ${t.categoryId} has no entry in lostDeals.pipelines: a reactivation deal lost again there will not be reactivated`,
      });
    }
  }
  // A learned period learns from marked reactivation deals: a move or a lead makes none.
  const learnedWithout = (path: string, what: string) =>
    warnings.push({ path, message: `"learned" learns from reactivation deals, and ${what} makes none: "otherwise" always applies` });
  lost.pipelines.forEach((p, i) => {
    [...p.reasons, ...(p.otherReasons ? [p.otherReasons] : [])].forEach((r, j) => {
      const period = r.returnPeriod ?? p.returnPeriod ?? lost.returnPeriod;
      const target = ('target' in r ? r.target : undefined) ?? p.target ?? lost.target;
      const where = j < p.reasons.length ? `reasons[${j}]` : 'otherReasons';
      if (r.reactivate && period?.kind === 'learned' && target?.action === 'move') learnedWithout(`lostDeals.pipelines[${i}].${where}`, 'a move target');
    });
  });
  const leads = lost.leads;
  if (leads) {
    [...leads.statuses, ...(leads.otherStatuses ? [leads.otherStatuses] : [])].forEach((r, j) => {
      const period = r.returnPeriod ?? leads.returnPeriod ?? lost.returnPeriod;
      if (r.reactivate && period?.kind === 'learned') learnedWithout(j < leads.statuses.length ? `lostDeals.leads.statuses[${j}]` : 'lostDeals.leads.otherStatuses', 'a lead');
    });
  }
  if (lost.enabled && lost.pipelines.length > 0 && !lost.forgotten && lost.pipelines.every((p) => !p.forgotten)) {
    warnings.push({ path: 'lostDeals.forgotten', message: 'no «Забытый клиент» stage: at the limit the head is only notified' });
  }
  return warnings;
}
