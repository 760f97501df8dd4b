/**
 * Shared parts of the rules schema: the building blocks (durations, deadlines, ids, field
 * codes, counts, weekdays, times, dates, time zones), the business calendar, the responsible
 * strategies, "notify whom", template blocks, date bounds, pipeline/stage checks, new-deal
 * targets and the «Забытый клиент» stage.
 *
 * Durations are parsed here (into plain objects), so domain code never sees text to parse.
 */
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { durationMs, formatDuration, parseDeadline, parseDuration, type Duration, type Parsed } from '../../domain/durations';
import { stageBelongsTo } from '../../domain/stages';
import { placeholdersOf } from '../../domain/templates';

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** Text a domain parser turns into a plain value; its error is the problem reported. */
function parsedText<T>(parse: (text: string) => Parsed<T>, error: string, examples: string[]) {
  return z
    .string({ error })
    // Examples sit on the text: JSON Schema (input side) drops them from a transform.
    .meta({ examples })
    .transform((text, ctx) => {
      const parsed = parse(text);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    });
}

export const durationSchema = parsedText(
  parseDuration,
  'expected a duration text such as "2 weeks", "1 month", "P1M", "30 seconds"',
  ['1 month', '2 weeks', 'P1M', '30 seconds', '2 недели'],
).meta({
  id: 'Duration',
  description:
    'A duration: ISO 8601 (P1M, P2W, P10D, PT45M, PT30S) or words in English or Russian ("2 weeks", "1 month", ' +
    '"10 days", "45 minutes", "30 seconds", "2 недели", "1 месяц", "45 дней", "полгода"). Months and days are ' +
    'counted in the portal time zone.',
});

export const deadlineSchema = parsedText(
  parseDeadline,
  'expected a deadline such as "1 working day" or "4 hours"',
  ['1 working day', '2 рабочих дня', '4 hours'],
).meta({
  id: 'Deadline',
  description: 'A to-do deadline after its creation: "N working days" of the business calendar, or a duration.',
});

export const wholeNumber = (what: string) =>
  z.number({ error: `expected ${what} (a whole number)` }).int(`expected ${what} (a whole number)`);

export const userIdSchema = wholeNumber('a user id').positive('expected a user id, at least 1');
const departmentIdSchema = wholeNumber('a department id').positive('expected a department id, at least 1');
export const categoryIdSchema = wholeNumber('a pipeline id (CATEGORY_ID)').min(0, 'expected a pipeline id, 0 or more');
export const catalogIdSchema = wholeNumber('a catalog id').positive('expected a catalog id, at least 1');

/** Ids Bitrix24 keeps as strings but YAML may read as numbers (lead status "1", list item 45). */
export const idText = z
  .union([z.string(), z.number()], { error: 'expected an id (text or number)' })
  .transform((v) => String(v).trim());

export const stageIdSchema = idText.pipe(
  z.string().regex(/^(C\d+:)?[A-Z0-9_]+$/, 'expected a deal stage id such as "LOSE", "C7:LOSE" or "C7:UC_A1B2C3"'),
);
export const statusIdSchema = idText.pipe(z.string().regex(/^[A-Z0-9_]+$/, 'expected a lead status id such as "JUNK" or "IN_PROCESS"'));
export const fieldCodeSchema = z
  .string({ error: 'expected a field code such as UF_CRM_RETURN_DATE' })
  .regex(/^[A-Z][A-Z0-9_]*$/, 'expected a field code in upper case, such as UF_CRM_RETURN_DATE or SOURCE_ID');
export const userFieldSchema = z
  .string({ error: 'expected a user field code such as UF_CRM_REACT_SOURCE' })
  .regex(/^UF_CRM_[A-Z0-9_]+$/, 'expected a user field code starting with UF_CRM_, such as UF_CRM_REACT_SOURCE');
export const nameSchema = z.string({ error: 'expected a name' }).trim().min(1, 'expected a non-empty name');

export const maxCountSchema = z
  .union([wholeNumber('a count').min(1, 'expected at least 1, or "unlimited"'), z.literal('unlimited')], {
    error: 'expected a whole number or "unlimited"',
  })
  .transform((v) => (v === 'unlimited' ? null : v))
  .meta({ description: 'A whole number, or "unlimited" (read as null).' });

export const dailyCapSchema = z
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Cross-field checks run even when a sibling field has its own problem, so one pass reports
 * everything. Their code must then expect raw values and guard every access.
 */
export const evenWithOtherIssues = { when: (payload: { value: unknown }) => isRecord(payload.value) };

// ---------------------------------------------------------------------------------------------
// Business calendar, responsible, notifications, templates
// ---------------------------------------------------------------------------------------------

export const calendarSchema = z
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

export const fallbackSchema = z
  .discriminatedUnion('strategy', [userStrategySchema, departmentHeadStrategySchema, poolStrategySchema], {
    error: 'expected strategy "user", "departmentHead" or "pool"',
  })
  .meta({ id: 'FallbackResponsible' });

export const responsibleSchema = z
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

export const notifyWhomSchema = (manager: boolean, head: boolean) =>
  z
    .strictObject({ manager: z.boolean().default(manager), head: z.boolean().default(head) })
    .prefault({});

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
export function templateBlock<K extends string>(defaults: Readonly<Record<K, string>>, variables: readonly string[], id: string) {
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

// ---------------------------------------------------------------------------------------------
// Bounds, pipeline checks, targets and the forgotten stage
// ---------------------------------------------------------------------------------------------

export const dateBoundsSchema = z
  .strictObject({
    minAhead: durationSchema.prefault('1 hour').meta({ description: 'A chosen date must be at least this far ahead.' }),
    maxAhead: durationSchema.prefault('1 year').meta({ description: 'A chosen date must be at most this far ahead.' }),
  })
  .prefault({})
  .meta({ description: 'Bounds for dates chosen by managers (a date field, the API or a signal).' });

/** Learned periods are kept within [min, max]: "max" must not be shorter than "min". */
export function checkMinMax(rule: { min: Duration; max: Duration }, ctx: z.RefinementCtx): void {
  const epoch = new Date(0);
  if (durationMs(rule.min, epoch, 'UTC') > durationMs(rule.max, epoch, 'UTC')) {
    ctx.addIssue({ code: 'custom', message: `"max" (${formatDuration(rule.max)}) is shorter than "min" (${formatDuration(rule.min)})`, path: ['max'] });
  }
}

const clientMarkSchema = z
  .strictObject({ field: userFieldSchema, value: z.union([z.string(), z.number(), z.boolean()]) })
  .meta({ description: 'A client (company/contact) field set when the client is forgotten.' });

export const dealForgottenSchema = z
  .strictObject({ categoryId: categoryIdSchema, stageId: stageIdSchema, clientField: clientMarkSchema.optional() })
  .superRefine(checkStageInPipeline, evenWithOtherIssues)
  .meta({ id: 'ForgottenStage', description: '«Забытый клиент»: the stage the last deal goes to when the limit is reached.' });

export function checkStageInPipeline(t: { categoryId: number; stageId: string }, ctx: z.RefinementCtx): void {
  if (typeof t.stageId !== 'string' || typeof t.categoryId !== 'number') return;
  if (!stageBelongsTo(t.stageId, t.categoryId)) {
    ctx.addIssue({ code: 'custom', message: stageMismatch(t.stageId, t.categoryId), path: ['stageId'] });
  }
}

export function stageMismatch(stageId: string, categoryId: number): string {
  return categoryId === 0
    ? `stage "${stageId}" is not in pipeline 0; stages of pipeline 0 have no "C<n>:" prefix`
    : `stage "${stageId}" is not in pipeline ${categoryId}; expected "C${categoryId}:..."`;
}

export const newDealTargetSchema = z
  .strictObject({ categoryId: categoryIdSchema, stageId: stageIdSchema })
  .superRefine(checkStageInPipeline, evenWithOtherIssues)
  .meta({ id: 'NewDealTarget', description: 'Pipeline and stage of a new deal.' });
