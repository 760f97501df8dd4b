/**
 * zod schemas of every HTTP input: Bitrix24 outbound events and the manager API.
 */
import { z } from 'zod';
import { DEAL_EVENTS, LEAD_EVENTS } from '../domain/routing';

/**
 * A JSON number, or a string of decimal digits as form fields and URL params carry it. Nothing
 * else becomes a number: z.coerce would read `["5"]` (`data[FIELDS][ID][]=5`), `true`, `"0x10"`
 * and `"1e3"` as ids 5, 1, 16 and 1000 and act on those elements.
 */
const decimal = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value), schema);

const positiveId = decimal(
  z.number({ error: 'expected a numeric id' }).int('expected a whole number').positive('expected a positive id').max(Number.MAX_SAFE_INTEGER),
);

// The events the service handles are routing's (src/domain/routing.ts); re-exported for setup and tests.
export { DEAL_EVENTS, LEAD_EVENTS };

/**
 * A Bitrix24 outbound event as parsed from `application/x-www-form-urlencoded`
 * (`data[FIELDS][ID]=759&auth[application_token]=...`) or JSON of the same shape.
 */
export const bitrix24EventSchema = z.object({
  event: z
    .string({ error: 'expected the event name' })
    .transform((s) => s.toUpperCase())
    .pipe(z.enum([...DEAL_EVENTS, ...LEAD_EVENTS], { error: (i) => `unsupported event ${String(i.input)}` })),
  event_handler_id: z.coerce.string().optional(),
  data: z.object(
    { FIELDS: z.object({ ID: positiveId }, { error: 'expected data[FIELDS][ID]' }) },
    { error: 'expected data[FIELDS][ID]' },
  ),
  ts: decimal(z.number({ error: 'expected a unix timestamp' }).int('expected a unix timestamp').positive('expected a unix timestamp')).optional(),
  auth: z.object(
    {
      application_token: z.string({ error: 'expected auth[application_token]' }).min(1, 'expected auth[application_token]'),
      domain: z.string().optional(),
      member_id: z.string().optional(),
    },
    { error: 'expected auth[application_token]' },
  ),
});
export type Bitrix24Event = z.infer<typeof bitrix24EventSchema>;

export const entityParamsSchema = z.object({
  entity: z.enum(['deal', 'lead'], { error: 'entity: expected "deal" or "lead"' }),
  id: positiveId,
});

const isoDateTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time with a time zone, e.g. 2026-12-01T10:00:00+03:00' });

export const startReactivationSchema = z
  .object({
    entity: z.enum(['deal', 'lead'], { error: 'expected "deal" or "lead"' }).default('deal'),
    id: positiveId,
    returnAt: isoDateTime.optional(),
  })
  .strict();

export const setReturnDateSchema = z.object({ returnAt: isoDateTime, by: z.string().max(200).optional() }).strict();

export const postponeSchema = z
  .object({
    days: z.number({ error: 'expected a number of days' }).int('expected whole days').min(1).max(3650),
    by: z.string().max(200).optional(),
  })
  .strict();

export const cancelSchema = z
  .object({
    reason: z.string({ error: 'expected a reason' }).trim().min(1, 'expected a reason').max(1000),
    by: z.string().max(200).optional(),
  })
  .strict();

/** `[{ path: "data.FIELDS.ID", message: "..." }]` — every problem, with the field it concerns. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

export const clientParamsSchema = z.object({
  kind: z.enum(['company', 'contact'], { error: 'kind: expected "company" or "contact"' }),
  id: positiveId,
});

export const setNextDateSchema = z.object({ dueAt: isoDateTime, by: z.string().max(200).optional() }).strict();

/** `""` (an empty form field) is the same as leaving the parameter out. */
const optionalQuery = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const localDay = z.iso.date({ error: 'expected a date YYYY-MM-DD (in the rules time zone)' });

/** GET /api/analytics and /analytics: creation days of the reactivation deals, both inclusive. */
export const analyticsQuerySchema = z
  .object({
    from: optionalQuery(localDay),
    to: optionalQuery(localDay),
    fresh: optionalQuery(z.enum(['0', '1'], { error: 'expected 1 (read the CRM now) or 0' })),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'expected a date on or after "from"' });

const queryCount = (what: string, min: number, max: number) =>
  decimal(z.number({ error: `expected ${what}` }).int(`expected a whole number of ${what}`).min(min, `expected at least ${min}`).max(max, `expected at most ${max}`));

/** GET /api/runs: failed (or stuck) runs of the product's workflows (src/temporal/runs.ts). */
export const runsQuerySchema = z
  .object({
    status: optionalQuery(z.enum(['failed', 'stuck'], { error: 'expected "failed" or "stuck"' })).default('failed'),
    limit: optionalQuery(queryCount('runs', 1, 1000)).default(100),
    /** Stuck: an activity or workflow task on this attempt or later. */
    attempts: optionalQuery(queryCount('attempts', 2, 1000)).default(5),
    /** Stuck: a wake-up this many minutes in the past. */
    overdueMinutes: optionalQuery(queryCount('minutes', 1, 525_600)).default(30),
  })
  .strict();
